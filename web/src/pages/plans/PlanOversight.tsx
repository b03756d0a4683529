/**
 * 服务计划（督查）for desk roles: the plans in scope with each period's sessions against the cadence,
 * shortfalls in red with what was missing; filters (county, department, item, status, only shortfalls)
 * kept in the URL so that a view can be shared. The field worker's own page stays at /plans.
 */
import { Link } from 'react-router';
import { Button, Checkbox, Form, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useInfiniteQuery } from '@tanstack/react-query';
import { PLAN_STATUS_LABELS } from '../../../../domain/vocabulary';
import { api, call, type paths } from '../../api/client';
import { FilterSelect } from '../../components/FilterSelect';
import { ErrorAlert } from '../../components/States';
import { useCatalog } from '../../lib/queries';
import { useUrlFilters } from '../../lib/urlFilters';
import { useScopeOptions } from '../../lib/scope';
import { PeriodVerdict } from './PlanParts';

type Query = NonNullable<paths['/v1/plans']['get']['parameters']['query']>;
export type PlanRow = paths['/v1/plans']['get']['responses'][200]['content']['application/json']['items'][number];

const FILTERS = ['county', 'department', 'itemCode', 'status', 'lastCompliant'] as const;

/** The row's latest verdict is a shortfall. */
const short = (p: PlanRow) => p.lastPeriodCompliant === false;

export default function PlanOversight() {
  const catalog = useCatalog();
  const scope = useScopeOptions();
  const { filters, set, clear } = useUrlFilters(FILTERS);
  const list = useInfiniteQuery({
    queryKey: ['plans', 'oversight', filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => call(api.GET('/v1/plans', { params: { query: { ...filters, limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } as Query } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const select = (k: (typeof FILTERS)[number], label: string, options: Array<{ value: string; label: string }>, width = 150) => (
    <FilterSelect label={label} value={filters[k]} onChange={(v) => set(k, v)} options={options} width={width} />
  );
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>服务计划</Typography.Title>
      <Typography.Text type="secondary">
        持续性服务（家庭康复、送康复上门、送教上门、家政服务、居家就业）各期服务次数与服务频次的对照。上期未达标的计划以红色标出。
      </Typography.Text>
      <Form layout="inline" style={{ rowGap: 8 }}>
        {select('county', '县（市）区', scope.counties)}
        {select('department', '承办部门', scope.departments)}
        {select('itemCode', '服务事项', catalog.data?.items.filter((i) => i.ongoing).map((i) => ({ value: i.code, label: i.label })) ?? [], 190)}
        {select('status', '状态', Object.entries(PLAN_STATUS_LABELS).map(([value, label]) => ({ value, label })), 120)}
        <Form.Item>
          <Checkbox checked={filters.lastCompliant === 'false'} onChange={(e) => set('lastCompliant', e.target.checked ? 'false' : undefined)}>只看未达标</Checkbox>
        </Form.Item>
        {Object.keys(filters).length > 0 && <Button onClick={clear}>清除筛选</Button>}
      </Form>
      <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
      <Table<PlanRow>
        rowKey="id" dataSource={rows} loading={list.isPending} pagination={false} scroll={{ x: 1100 }}
        rowClassName={(p) => (short(p) ? 'row-shortfall' : '')}
        locale={{ emptyText: Object.keys(filters).length ? '没有符合筛选条件的服务计划' : '暂无服务计划' }}
        columns={[
          {
            title: '服务对象', width: 130,
            render: (_, p) => <Link to={`/oversight/plans/${p.id}`}>{p.subjectName ?? '（未知）'}</Link>,
          },
          { title: '服务事项', render: (_, p) => p.item.label },
          { title: '县（市）区 · 部门', render: (_, p) => `${p.county.label} · ${p.department.label}` },
          { title: '服务提供方', render: (_, p) => p.provider.name },
          {
            title: '状态', width: 110,
            render: (_, p) => (
              <Space size={4} wrap>
                <Tag color={p.status.code === 'active' ? 'blue' : undefined}>{p.status.label}</Tag>
                {p.endReason && <Tag>{p.endReason.label}</Tag>}
                {p.escalationLevel > 0 && <Tooltip title="连续未达标已上报"><Tag color="volcano">已上报</Tag></Tooltip>}
              </Space>
            ),
          },
          {
            title: '本期进度', width: 150,
            render: (_, p) => p.progress
              // A weekly cadence's progress is this week's (the period's earlier weeks are on the plan page).
              ? <span>{p.currentPeriod}{p.progress.week ? ' 本周' : ''}：<strong>{p.progress.done}/{p.progress.required}</strong><div className="muted" style={{ fontSize: 12 }}>{p.progress.label}</div></span>
              : <span className="muted">—</span>,
          },
          {
            title: '各期核查（新的在前）', width: 380,
            render: (_, p) => p.recentPeriods.length === 0 ? <span className="muted">尚无已核查的周期</span> : (
              <Space direction="vertical" size={2}>
                <Space size={4} wrap>{p.recentPeriods.map((v) => <PeriodVerdict key={v.period} v={v} />)}</Space>
                {p.recentPeriods[0] && !p.recentPeriods[0].compliant && (
                  <Typography.Text type="danger" style={{ fontSize: 13 }}>{p.recentPeriods[0].shortfall ?? `${p.recentPeriods[0].period} 服务次数不足`}</Typography.Text>
                )}
              </Space>
            ),
          },
        ]}
      />
      {list.hasNextPage && <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>加载更多</Button>}
    </Space>
  );
}
