/**
 * One service plan for desk roles: what the plan requires per period (the cadence), every period with
 * its sessions against it (the current one as it stands, the checked ones with their verdicts and what
 * was missing), the sessions themselves (date, who, what), and the plan's state. A plan outside the
 * caller's scope is answered 404 by the API and shown as "not found", never as a crash.
 */
import { Link, useParams } from 'react-router';
import { Alert, Descriptions, Progress, Space, Table, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api, call, type paths } from '../../api/client';
import { LinkButton } from '../../components/LinkButton';
import { Panel } from '../../components/Panel';
import { RuleTag } from '../../components/RuleTag';
import { QueryView } from '../../components/States';
import { formatDateTime } from '../../lib/format';
import { useCatalog, useSubject } from '../../lib/queries';
import { PeriodVerdict } from './PlanParts';

type PlanView = paths['/v1/plans/{id}']['get']['responses'][200]['content']['application/json'];
type Session = paths['/v1/plans/{id}/sessions']['get']['responses'][200]['content']['application/json']['items'][number];

/** A week of a weekly cadence as the checked period keeps it (domain/planPeriods WeekVerdict). */
interface WeekRow { index: number; start: string; end: string; sessions?: number; qualifying?: number; longest?: number; compliant?: boolean; checked?: boolean }

/** One row of the periods table: the current period (not yet checked) or a checked one. */
interface PeriodRow {
  period: string;
  startDate: string;
  endDate: string | null;
  current: boolean;
  sessions: number;
  qualifying: number | null;
  required: number;
  compliant: boolean | null;
  shortfall: string | null;
  partial: boolean;
  verdict?: { code: string; label: string };
  escalatedTo?: string | null;
  weeks: WeekRow[];
}

function periodRows(plan: PlanView, sessions: Session[]): PeriodRow[] {
  const rows: PeriodRow[] = plan.pastPeriods.map((p) => ({
    period: p.period, startDate: p.startDate, endDate: p.endDate, current: false, sessions: p.sessions, qualifying: p.qualifying,
    required: p.required, compliant: p.compliant, shortfall: p.shortfall, partial: p.partial, verdict: p.verdict,
    escalatedTo: p.escalatedTo?.label ?? null, weeks: Array.isArray(p.weeks) ? (p.weeks as WeekRow[]) : [],
  }));
  const c = plan.currentPeriod;
  if (c && !rows.some((r) => r.period === c.period)) {
    // A weekly cadence counts sessions against the period's whole weeks, as its check will; a monthly one as its progress says.
    const weeks = c.weeks ?? [];
    const weekly = plan.cadence.period === 'week';
    rows.push({
      period: c.period, startDate: c.startDate, endDate: c.endDate, current: true,
      sessions: sessions.filter((s) => s.period === c.period).length,
      qualifying: weekly ? weeks.reduce((n, w) => n + w.qualifying, 0) : c.progress?.done ?? null,
      required: weekly ? weeks.filter((w) => w.checked).length * plan.cadence.minSessions : c.progress?.required ?? plan.cadence.minSessions,
      compliant: null, shortfall: null, partial: c.partial, weeks,
    });
  }
  return rows.reverse();
}

const unitsText = (s: Session) => `${s.units} ${s.unit.label}`;

export default function PlanPage() {
  const { id } = useParams();
  const plan = useQuery({ queryKey: ['plan', id], queryFn: () => call(api.GET('/v1/plans/{id}', { params: { path: { id: id! } } })), retry: false });
  const sessions = useQuery({
    queryKey: ['plan', id, 'sessions'], enabled: plan.isSuccess,
    queryFn: () => call(api.GET('/v1/plans/{id}/sessions', { params: { path: { id: id! } } })),
  });
  const subject = useSubject(plan.data?.subjectId);
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>
          服务计划{plan.data ? `：${subject.data?.name ?? ''} · ${plan.data.item.label}` : ''}
        </Typography.Title>
        <LinkButton to="/oversight/plans">返回计划列表</LinkButton>
      </Space>
      <QueryView query={plan}>
        {(p) => <PlanBody plan={p} sessions={sessions.data?.items ?? []} sessionsLoading={sessions.isPending} subjectName={subject.data?.name} />}
      </QueryView>
    </Space>
  );
}

function PlanBody({ plan, sessions, sessionsLoading, subjectName }: { plan: PlanView; sessions: Session[]; sessionsLoading: boolean; subjectName?: string }) {
  const rows = periodRows(plan, sessions);
  const byPeriod = (period: string) => sessions.filter((s) => s.period === period);
  const progress = plan.currentPeriod?.progress;
  const shortNow = plan.pastPeriods.at(-1)?.compliant === false;
  // Whether the cadence is the plan's (items 6, 7) or a local rule (items 5, 11, 12), as the catalog says.
  const rule = useCatalog().data?.items.find((i) => i.code === plan.item.code)?.cadence?.rule;
  return (
    <>
      {shortNow && (
        <Alert type="error" showIcon title={`上期（${plan.pastPeriods.at(-1)!.period}）未达标`} description={plan.pastPeriods.at(-1)!.shortfall ?? '服务次数不足'} />
      )}
      {plan.end && <Alert type="info" showIcon title={`计划已结束：${plan.end.reason.label}`} description={`${plan.end.detail}（${formatDateTime(plan.end.at)}）`} />}
      <Panel title="计划概况">
        <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }} items={[
          { key: 'subject', label: '服务对象', children: <Link to={`/subjects/${plan.subjectId}`}>{subjectName ?? plan.subjectId}</Link> },
          { key: 'item', label: '服务事项', children: `${plan.item.label}（${plan.action.label}）` },
          { key: 'where', label: '县（市）区 · 承办部门', children: `${plan.county.label} · ${plan.department.label}` },
          { key: 'provider', label: '服务提供方', children: `${plan.provider.name}（${plan.provider.type.label}）` },
          {
            key: 'cadence', label: '服务频次（每期要求）',
            children: <Space size={4} wrap><strong>{plan.cadence.label}</strong>{rule && <RuleTag tag={rule.tag} />}</Space>,
          },
          {
            key: 'status', label: '状态',
            children: (
              <Space size={4} wrap>
                <Tag color={plan.status.code === 'active' ? 'blue' : undefined}>{plan.status.label}</Tag>
                {plan.escalation && <Tag color="volcano">连续未达标，已上报{plan.escalation.target?.label ?? ''}</Tag>}
              </Space>
            ),
          },
          { key: 'start', label: '开始日期', children: plan.startDate },
          { key: 'end', label: '结束日期', children: plan.end?.lastDay ?? plan.endDate ?? '长期' },
          { key: 'totals', label: '已核查周期', children: `${plan.totals.compliant}/${plan.totals.periods} 期达标，共服务 ${plan.totals.sessions} 次` },
          { key: 'enrolled', label: '登记时间', children: formatDateTime(plan.enrolledAt) },
        ]} />
      </Panel>
      {plan.currentPeriod && (
        <Panel title={`本期（${plan.currentPeriod.period}，${plan.currentPeriod.startDate} 至 ${plan.currentPeriod.endDate ?? '—'}）`}>
          {progress ? (
            <Space direction="vertical" style={{ width: '100%' }}>
              <span>{progress.label}：已完成 <strong>{progress.done}</strong> / 要求 <strong>{progress.required}</strong>{plan.currentPeriod.partial ? '（本期按比例核查）' : ''}</span>
              <Progress
                percent={progress.required > 0 ? Math.min(100, Math.round((progress.done / progress.required) * 100)) : 100}
                status={progress.done >= progress.required ? 'success' : 'active'} aria-label="本期进度"
              />
            </Space>
          ) : <span className="muted">本期进度暂不可用</span>}
        </Panel>
      )}
      <Panel title="各期服务与服务频次对照">
        <Table<PeriodRow>
          rowKey="period" dataSource={rows} pagination={false} size="small" scroll={{ x: 860 }}
          rowClassName={(r) => (r.compliant === false ? 'row-shortfall' : '')}
          locale={{ emptyText: '尚无周期' }}
          expandable={{
            rowExpandable: (r) => byPeriod(r.period).length > 0 || r.weeks.length > 0,
            expandedRowRender: (r) => <PeriodDetail row={r} sessions={byPeriod(r.period)} today={plan.today} />,
          }}
          columns={[
            { title: '周期', render: (_, r) => <strong>{r.period}</strong> },
            { title: '起止日期', render: (_, r) => `${r.startDate} 至 ${r.endDate ?? '—'}` },
            { title: '服务次数', render: (_, r) => r.sessions },
            { title: '计入 / 要求', render: (_, r) => `${r.qualifying ?? '—'} / ${r.required}` },
            {
              title: '结论',
              render: (_, r) => (r.current
                ? <Tag color="blue">进行中</Tag>
                : <PeriodVerdict bare v={{ period: r.period, partial: r.partial, sessions: r.sessions, qualifying: r.qualifying ?? 0, required: r.required, compliant: Boolean(r.compliant), verdict: r.verdict!, shortfall: r.shortfall }} />),
            },
            {
              title: '缺少什么',
              render: (_, r) => (r.compliant === false
                ? <Typography.Text type="danger">{r.shortfall ?? '服务次数不足'}{r.escalatedTo ? `（已上报${r.escalatedTo}）` : ''}</Typography.Text>
                : <span className="muted">—</span>),
            },
          ]}
        />
      </Panel>
      <Panel title={`服务记录（${sessions.length} 次）`}>
        <SessionTable sessions={sessions} loading={sessionsLoading} />
      </Panel>
    </>
  );
}

/** What a week's tag adds after its sessions: its verdict, or why it has none. */
function weekNote(w: WeekRow, today: string): string {
  if (w.checked === false) return '（计划未覆盖整周，不核查）';
  if (w.compliant === false) return ' 未达标';
  if (w.compliant === true) return ' 达标';
  if (w.start > today) return '（未到）';
  return w.end >= today ? '（本周进行中）' : '';
}

function PeriodDetail({ row, sessions, today }: { row: PeriodRow; sessions: Session[]; today: string }) {
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {row.weeks.length > 0 && (
        <Space size={4} wrap>
          {row.weeks.map((w) => (
            <Tag key={w.index} color={w.checked === false || w.compliant === undefined ? undefined : w.compliant ? 'green' : 'red'}>
              第{w.index}周 {w.start.slice(5)}–{w.end.slice(5)}{w.sessions !== undefined ? `：服务 ${w.sessions} 次，计入 ${w.qualifying ?? 0} 次` : ''}{weekNote(w, today)}
            </Tag>
          ))}
        </Space>
      )}
      {sessions.length > 0 && <SessionTable sessions={sessions} />}
    </Space>
  );
}

function SessionTable({ sessions, loading }: { sessions: Session[]; loading?: boolean }) {
  return (
    <Table<Session>
      rowKey="id" dataSource={sessions} loading={loading} pagination={sessions.length > 20 ? { pageSize: 20 } : false} size="small" scroll={{ x: 760 }}
      locale={{ emptyText: '尚无服务记录' }}
      columns={[
        { title: '服务日期', render: (_, s) => s.date, width: 110 },
        { title: '周期', render: (_, s) => s.period, width: 90 },
        { title: '服务人员', render: (_, s) => s.providerStaff, width: 130 },
        { title: '时长', render: (_, s) => unitsText(s), width: 100 },
        { title: '服务内容', render: (_, s) => s.content },
        { title: '佐证材料', render: (_, s) => (s.evidence.length ? `${s.evidence.length} 份` : '—'), width: 90 },
      ]}
    />
  );
}
