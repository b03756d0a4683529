/**
 * 统计报表（附件3）: a quarter picker; the county table as the printed form, its XLSX, and each county
 * department's submission (报送, after a confirmation showing the figures that will be frozen); for
 * city-level users also the city table and the board of submissions (草稿 / 已报送 / 逾期, reminders
 * sent) where a click opens that county department's table. Quarter, tab, county and department are in the URL.
 */
import { useState } from 'react';
import { Alert, Button, Descriptions, Form, Modal, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call, type paths } from '../../api/client';
import { ErrorAlert, errorMessage, QueryView } from '../../components/States';
import { formatDate, formatDateTime } from '../../lib/format';
import { useMe } from '../../session';
import { PrintedForm } from './PrintedForm';
import { apiUrl, pickable, quarterText, quartersUpTo, thisQuarter, useScopeOptions, useUrlState, type Option } from './scope';

type Report = paths['/v1/reports/quarterly']['get']['responses'][200]['content']['application/json'];
type CountyReport = Extract<Report, { level: 'county' }>;
type Board = paths['/v1/reports/quarterly/submissions']['get']['responses'][200]['content']['application/json'];
type Submission = CountyReport['tables'][number]['submission'];
type Target = { quarter: string; county: string; department: string; unit: string };

const STATE_COLOURS: Record<string, string> = { submitted: 'green', draft: 'blue', overdue: 'red' };
const ALL = 'ALL';

function StateTag({ s }: { s: Pick<Submission, 'state' | 'late'> }) {
  return <Space size={4}><Tag color={STATE_COLOURS[s.state.code]}>{s.state.label}</Tag>{s.state.code === 'submitted' && s.late && <Tag color="orange">逾期报送</Tag>}</Space>;
}

function useReport(query: Record<string, string | undefined>, enabled = true) {
  return useQuery({
    queryKey: ['reports', 'quarterly', query],
    enabled,
    queryFn: () => call(api.GET('/v1/reports/quarterly', { params: { query: query as never } })) as Promise<Report>,
  });
}

export default function Quarterly() {
  const me = useMe();
  const scope = useScopeOptions();
  const [url, setUrl] = useUrlState(['quarter', 'tab', 'county', 'department'] as const);
  const current = thisQuarter();
  const quarter = url.quarter && quartersUpTo(current).includes(url.quarter) ? url.quarter : current;
  const city = me.scope.cityLevel;
  const tab = url.tab ?? (city ? 'board' : 'county');
  const mayPickAllDepartments = me.scope.departments.length === 0;
  const county = url.county ?? scope.counties[0]?.value ?? '';
  const department = url.department ?? (mayPickAllDepartments ? ALL : scope.departments[0]?.value);
  const departmentOptions: Option[] = [...(mayPickAllDepartments ? [{ value: ALL, label: '全部部门' }] : []), ...scope.departments];

  const tabs = [
    ...(city ? [{ key: 'board', label: '报送情况', children: <SubmissionBoard quarter={quarter} onOpen={(c, d) => setUrl({ tab: 'county', county: c, department: d })} /> }] : []),
    {
      key: 'county', label: '县区报表',
      children: <CountyTab quarter={quarter} county={county} department={department === ALL ? undefined : department}
        counties={scope.counties} departments={departmentOptions} departmentValue={department ?? ALL}
        onPick={(c) => setUrl(c)} />,
    },
    ...(city ? [{ key: 'city', label: '市级汇总表', children: <CityTab quarter={quarter} department={department === ALL ? undefined : department} departments={departmentOptions} departmentValue={department ?? ALL} onPick={(d) => setUrl({ department: d })} /> }] : []),
  ];

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>工作情况统计表（附件3）</Typography.Title>
      <Form layout="inline">
        <Form.Item label="季度" htmlFor="report-quarter">
          <Select id="report-quarter" style={{ width: 180 }} value={quarter} onChange={(q: string) => setUrl({ quarter: q })}
            options={quartersUpTo(current).map((q) => ({ value: q, label: quarterText(q) }))} />
        </Form.Item>
        <Typography.Text type="secondary">县级各部门于每季度结束前向市级相关部门报送；季度结束仍未报送的记为逾期。</Typography.Text>
      </Form>
      <Tabs activeKey={tabs.some((t) => t.key === tab) ? tab : tabs[0].key} onChange={(t) => setUrl({ tab: t })} items={tabs} />
    </Space>
  );
}

function Notes({ notes }: { notes: string[] }) {
  return notes.length ? <Alert type="info" showIcon title="口径说明" description={notes.join('；')} /> : null;
}

function CountyTab({ quarter, county, department, counties, departments, departmentValue, onPick }: {
  quarter: string; county: string; department?: string; counties: Option[]; departments: Option[]; departmentValue: string;
  onPick: (changes: { county?: string; department?: string }) => void;
}) {
  const me = useMe();
  const maySubmit = me.role.code !== 'reviewer' && me.role.code !== 'worker';
  const query = { quarter, level: 'county', county, department };
  const report = useReport(query, Boolean(county));
  const [target, setTarget] = useState<Target>();
  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Form layout="inline" style={{ rowGap: 8 }}>
        <Form.Item label="县（市）区" htmlFor="report-county">
          <Select id="report-county" style={{ width: 140 }} value={pickable(counties, county)} options={counties} onChange={(c: string) => onPick({ county: c })} />
        </Form.Item>
        <Form.Item label="部门" htmlFor="report-department">
          <Select id="report-department" style={{ width: 160 }} value={departmentValue} options={departments} onChange={(d: string) => onPick({ department: d })} />
        </Form.Item>
        <Button href={apiUrl('/v1/reports/quarterly', { ...query, format: 'xlsx' })} disabled={!report.data}>下载 XLSX</Button>
      </Form>
      <QueryView query={report}>
        {(r) => {
          const c = r as CountyReport;
          return (
            <Space direction="vertical" size={12} style={{ width: '100%' }}>
              <Notes notes={c.notes} />
              <Table
                rowKey={(t) => t.department.code} dataSource={c.tables} pagination={false} size="small" bordered aria-label="报送状态" scroll={{ x: 900 }}
                columns={[
                  { title: '填报单位', dataIndex: 'unit', width: 150 },
                  { title: '状态', key: 'state', width: 150, render: (_v, t) => <StateTag s={t.submission} /> },
                  { title: '报送时间', key: 'at', width: 150, render: (_v, t) => formatDateTime(t.submission.submittedAt) },
                  { title: '报送人', key: 'by', width: 110, render: (_v, t) => t.submission.submittedByName ?? '—' },
                  { title: '催报', key: 'reminders', width: 150, render: (_v, t) => (t.submission.reminders ? `${t.submission.reminders} 次（最近 ${formatDate(t.submission.remindedAt)}）` : '—') },
                  {
                    title: '操作', key: 'submit', width: 110,
                    render: (_v, t) => (t.submission.state.code === 'submitted' || !maySubmit ? '—' : (
                      <Button type="primary" size="small" aria-label={`报送：${t.unit}`}
                        onClick={() => setTarget({ quarter, county: c.county.code, department: t.department.code, unit: t.unit })}>报送</Button>
                    )),
                  },
                ]}
              />
              <PrintedForm form={c.form} label={`${c.unit} ${quarterText(quarter)}工作情况统计表`} />
            </Space>
          );
        }}
      </QueryView>
      {target && <SubmitDialog target={target} onClose={() => setTarget(undefined)} />}
    </Space>
  );
}

/** The confirmation: the unit, the quarter and the figures (its own form's 合计) that submitting freezes. */
function SubmitDialog({ target, onClose }: { target: Target; onClose: () => void }) {
  const queryClient = useQueryClient();
  const report = useReport({ quarter: target.quarter, level: 'county', county: target.county, department: target.department });
  const submit = useMutation({
    mutationFn: () => call(api.POST('/v1/reports/quarterly/submit', { body: { quarter: target.quarter, county: target.county, department: target.department } as never })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['reports'] });
      onClose();
    },
  });
  const form = report.data?.form;
  const table = report.data?.level === 'county' ? report.data.tables[0] : undefined;
  return (
    <Modal open title="确认报送统计表" okText="确认报送" cancelText="取消" onCancel={onClose} width={640}
      okButtonProps={{ disabled: !form, loading: submit.isPending }} onOk={() => submit.mutate()}>
      <ErrorAlert error={report.error} />
      {submit.isError && <Alert type="error" showIcon role="alert" style={{ marginBottom: 12 }} title="未报送" description={errorMessage(submit.error)} />}
      <Typography.Paragraph>
        将 <strong>{target.unit}</strong> {quarterText(target.quarter)}工作情况统计表报送市级{table?.department.label ?? '相关部门'}。报送后数据冻结，不可再修改。
      </Typography.Paragraph>
      {target.quarter < thisQuarter() && (
        <Alert type="warning" showIcon style={{ marginBottom: 12 }} title="该季度已结束" description="季度结束后报送，将记为逾期报送。" />
      )}
      {form && (
        <Descriptions bordered size="small" column={2} title="合计" items={form.columns.slice(3).map((label, i) => ({
          key: label, label, children: <span data-testid={`submit-figure-${i}`}>{form.totals[3 + i]}</span>,
        }))} />
      )}
    </Modal>
  );
}

function CityTab({ quarter, department, departments, departmentValue, onPick }: {
  quarter: string; department?: string; departments: Option[]; departmentValue: string; onPick: (department: string) => void;
}) {
  const query = { quarter, level: 'city', department };
  const report = useReport(query);
  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Form layout="inline" style={{ rowGap: 8 }}>
        <Form.Item label="部门" htmlFor="city-department">
          <Select id="city-department" style={{ width: 160 }} value={departmentValue} options={departments} onChange={onPick} />
        </Form.Item>
        <Button href={apiUrl('/v1/reports/quarterly', { ...query, format: 'xlsx' })} disabled={!report.data}>下载 XLSX</Button>
      </Form>
      <Typography.Text type="secondary">市级汇总表为各县区统计表之和：已报送的按报送时冻结的数据，未报送的按当前数据计算；服务对象人数按人去重。</Typography.Text>
      <QueryView query={report}>
        {(r) => <Space direction="vertical" size={12} style={{ width: '100%' }}><Notes notes={r.notes} /><PrintedForm form={r.form} label={`${r.unit} ${quarterText(quarter)}工作情况统计表`} /></Space>}
      </QueryView>
    </Space>
  );
}

/** 报送情况: counties × departments, each cell its state and reminders; a click opens that county department's table. */
function SubmissionBoard({ quarter, onOpen }: { quarter: string; onOpen: (county: string, department: string) => void }) {
  const board = useQuery({
    queryKey: ['reports', 'submissions', quarter],
    queryFn: () => call(api.GET('/v1/reports/quarterly/submissions', { params: { query: { quarter } } })),
  });
  return (
    <QueryView query={board}>
      {(b: Board) => {
        const counties = [...new Map(b.items.map((i) => [i.county.code, i.county])).values()];
        const departments = [...new Map(b.items.map((i) => [i.department.code, i.department])).values()];
        const at = new Map(b.items.map((i) => [`${i.county.code}/${i.department.code}`, i]));
        const count = (code: string) => b.items.filter((i) => i.state.code === code).length;
        return (
          <Space direction="vertical" size={12} style={{ width: '100%' }}>
            <Space wrap size={16}>
              <span>{b.period}，须在季度结束前报送（截至 {formatDate(new Date(new Date(b.dueAt).getTime() - 1).toISOString())}）</span>
              <span>已报送 <strong>{count('submitted')}</strong></span>
              <span>草稿 <strong>{count('draft')}</strong></span>
              <span>逾期 <strong>{count('overdue')}</strong></span>
            </Space>
            <div style={{ overflowX: 'auto' }}>
              <table className="board" aria-label="各县区部门报送情况">
                <thead>
                  <tr><th scope="col">县（市）区</th>{departments.map((d) => <th key={d.code} scope="col">{d.label}</th>)}</tr>
                </thead>
                <tbody>
                  {counties.map((c) => (
                    <tr key={c.code}>
                      <th scope="row">{c.label}</th>
                      {departments.map((d) => {
                        const s = at.get(`${c.code}/${d.code}`)!;
                        return (
                          <td key={d.code}>
                            <Button type="text" size="small" onClick={() => onOpen(c.code, d.code)}>
                              <span><span className="sr-only">{s.unit}：</span><StateTag s={s} />
                                {s.reminders > 0 && <span className="reminders"><span className="sr-only">，</span>已催报 {s.reminders} 次（{formatDate(s.remindedAt)}）</span>}
                              </span>
                            </Button>
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Space>
        );
      }}
    </QueryView>
  );
}
