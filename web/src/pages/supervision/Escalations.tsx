/**
 * 督办升级: escalations raised (cases past a deadline, plan periods short of their cadence), newest first,
 * with who acted afterwards, when and with what — GET /v1/supervision/escalations, filters in the URL.
 */
import { Link } from 'react-router';
import { Button, DatePicker, Form, Select, Space, Table, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api, call, type paths } from '../../api/client';
import { ErrorAlert } from '../../components/States';
import { formatDateTime } from '../../lib/format';
import { useCatalog } from '../../lib/queries';
import { ESCALATION_REASON_LABELS } from '../../../../domain/caseFlow';
import { CASE_EVENT_LABELS } from '../../../../domain/vocabulary';
import { NOTIFICATION_KIND_LABELS } from '../../../../domain/notifications';
import { FilterBar, SupervisionHeader, useFilters } from './shared';

type Row = paths['/v1/supervision/escalations']['get']['responses'][200]['content']['application/json']['items'][number];

const REASONS: Record<string, string> = { ...ESCALATION_REASON_LABELS, plan_shortfall: NOTIFICATION_KIND_LABELS.plan_period_short };
const ACTED_WITH: Record<string, string> = { ...CASE_EVENT_LABELS, session_recorded: '记录服务' };
const LEVELS: Record<number, string> = { 1: '一级（县级部门）', 2: '二级（领导小组办公室）' };

export default function Escalations() {
  const { params, filters, set } = useFilters();
  const catalog = useCatalog();
  const acted = params.get('acted') === 'true' || params.get('acted') === 'false' ? params.get('acted')! : undefined;
  const level = params.get('level') === '1' || params.get('level') === '2' ? params.get('level')! : undefined;
  // Days in Beijing time, kept in the URL as YYYY-MM-DD; the API takes the instants [from 00:00, the day after to 00:00).
  const day = (k: string) => (/^\d{4}-\d{2}-\d{2}$/.test(params.get(k) ?? '') && dayjs(params.get(k)).isValid() ? params.get(k)! : undefined);
  const from = day('from');
  const to = day('to');
  const range = {
    ...(from ? { from: `${from}T00:00:00+08:00` } : {}),
    ...(to ? { to: `${dayjs(to).add(1, 'day').format('YYYY-MM-DD')}T00:00:00+08:00` } : {}),
  };
  const list = useInfiniteQuery({
    queryKey: ['supervision', 'escalations', filters, acted, level, from, to],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => call(api.GET('/v1/supervision/escalations', {
      params: { query: { ...filters, ...range, ...(acted ? { acted } : {}), ...(level ? { level: Number(level) } : {}), limit: 100, ...(pageParam ? { cursor: pageParam } : {}) } as never },
    })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  // Named from the catalog by code (a case's target: a county department or the leadership group's office; a plan's: its department).
  const targetLabel = (t: unknown, county: string): string => {
    const target = typeof t === 'string' ? { code: t } : t && typeof t === 'object' ? t as { code?: string; label?: string; county?: string } : undefined;
    if (!target?.code) return '—';
    if (target.code === catalog.data?.leadershipOffice.code) return catalog.data.leadershipOffice.label;
    const department = catalog.data?.departments.find((d) => d.code === target.code);
    if (!department) return target.label ?? target.code;
    const countyLabel = catalog.data?.counties.find((c) => c.code === (target.county ?? county))?.label ?? '';
    return `${countyLabel}${department.label}`;
  };
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <SupervisionHeader title="督办升级记录" filters={filters} />
      <FilterBar filters={filters} set={set} extra={{ acted, level, from, to }}>
        <Form.Item label="处置" style={{ marginBottom: 0 }}>
          <Select allowClear placeholder="全部" value={acted} onChange={(v: string | undefined) => set({ acted: v })} style={{ width: 110 }} aria-label="处置"
            options={[{ value: 'false', label: '未处置' }, { value: 'true', label: '已处置' }]} />
        </Form.Item>
        <Form.Item label="级别" style={{ marginBottom: 0 }}>
          <Select allowClear placeholder="全部" value={level} onChange={(v: string | undefined) => set({ level: v })} style={{ width: 190 }} aria-label="级别"
            options={[{ value: '1', label: LEVELS[1] }, { value: '2', label: LEVELS[2] }]} popupMatchSelectWidth={false} />
        </Form.Item>
        <Form.Item label="升级日期" style={{ marginBottom: 0 }}>
          <DatePicker.RangePicker
            value={[from ? dayjs(from) : null, to ? dayjs(to) : null]} allowEmpty={[true, true]} aria-label="升级日期"
            onChange={(v) => set({ from: v?.[0]?.format('YYYY-MM-DD'), to: v?.[1]?.format('YYYY-MM-DD') })}
          />
        </Form.Item>
      </FilterBar>
      <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
      {!list.isPending && !list.error && <Typography.Text role="status">{list.hasNextPage ? `已显示 ${rows.length} 条` : `共 ${rows.length} 条`}</Typography.Text>}
      <Table<Row>
        className="supervision-table"
        rowKey={(r) => `${r.kind}:${r.caseId ?? r.planId}:${r.at}:${r.level}:${r.period ?? ''}`} dataSource={rows} loading={list.isPending}
        pagination={false} scroll={{ x: 1200 }} size="middle" locale={{ emptyText: '没有督办升级记录' }}
        columns={[
          { title: '升级时间', render: (_, r) => formatDateTime(r.at) },
          { title: '级别', render: (_, r) => <Space size={4} wrap>{LEVELS[r.level] ?? r.level}{r.advisory && <Tag>仅提醒</Tag>}</Space> },
          { title: '原因', render: (_, r) => REASONS[r.reason] ?? r.reason },
          {
            title: '案件 / 服务计划', className: 'wrap',
            render: (_, r) => (r.caseId
              ? <Link to={`/cases/${r.caseId}`}>{r.item.label} · {r.action.label}</Link>
              : <span>{r.item.label}（服务计划，{r.period}）</span>),
          },
          { title: '县（市）区 · 部门', render: (_, r) => `${r.county.label} · ${r.department.label}` },
          { title: '升级至', render: (_, r) => targetLabel(r.target, r.county.code) },
          {
            title: '处置',
            render: (_, r) => (r.actedOn
              ? <span>{r.actedOn.by.name} · {formatDateTime(r.actedOn.at)}{r.actedOn.with ? ` · ${ACTED_WITH[r.actedOn.with] ?? r.actedOn.with}` : ''}</span>
              : <Tag color="red">未处置</Tag>),
          },
        ]}
      />
      {list.hasNextPage && <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>加载更多</Button>}
    </Space>
  );
}
