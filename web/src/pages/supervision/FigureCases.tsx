/**
 * The cases behind one figure of the dashboard (/dashboard/cases?figure=…&county=…&week=…): overdue
 * from GET /v1/supervision/overdue (with how late), every other figure from /v1/supervision/cases — the
 * same predicate that counts it, so the list holds exactly as many cases as the figure said. Each row
 * links to the case.
 */
import { Link } from 'react-router';
import { Alert, Button, Space, Table, Tag, Typography } from 'antd';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api, call, type paths } from '../../api/client';
import { ErrorAlert } from '../../components/States';
import { LinkButton } from '../../components/LinkButton';
import { formatDate, formatDateTime, shanghaiDate } from '../../lib/format';
import { weekStart } from '../../../../domain/calendar';
import { FIGURE_LABELS, FilterBar, isFigure, isTrendFigure, SupervisionHeader, useFilters, useScopeOptions, useSummary, useTrend, withFilters, type Figure, type TrendFigure } from './shared';

type FigureRow = paths['/v1/supervision/cases']['get']['responses'][200]['content']['application/json']['items'][number];
type OverdueRow = paths['/v1/supervision/overdue']['get']['responses'][200]['content']['application/json']['items'][number];
type Row = FigureRow | OverdueRow;
interface ListPage { items: Row[]; nextCursor: string | null; week?: { start: string; end: string } | null }

const PAGE = 100;

export default function FigureCases() {
  const { params, filters, set } = useFilters();
  const scope = useScopeOptions();
  const raw = params.get('figure');
  const figure: Figure = isFigure(raw) ? raw : 'overdue';
  const week = params.get('week') ?? undefined;
  const assignee = params.get('assignee') ?? undefined;
  const weekly = isTrendFigure(figure);
  const query = { ...filters, ...(assignee ? { assignee } : {}) };
  const list = useInfiniteQuery({
    queryKey: ['supervision', 'cases', figure, query, weekly ? week : null],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }): Promise<ListPage> => {
      const paging = { limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) };
      return figure === 'overdue'
        ? call(api.GET('/v1/supervision/overdue', { params: { query: { ...query, ...paging } as never } }))
        : call(api.GET('/v1/supervision/cases', { params: { query: { ...query, ...paging, figure, ...(weekly && week ? { week } : {}) } as never } }));
    },
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  // The figure as the dashboard shows it (the summary, same filters): the list's length when all is loaded.
  // A weekly figure: the trend from that week to this one (the API keeps 52 weeks), its first week being that one.
  const monday = weekly && week && /^\d{4}-\d{2}-\d{2}$/.test(week) ? weekStart(week) : undefined;
  const weeksBack = monday ? Math.round((Date.parse(weekStart(shanghaiDate(new Date()))) - Date.parse(monday)) / (7 * 86_400_000)) + 1 : 0;
  const summary = useSummary(query, !weekly);
  const trend = useTrend(query, weeksBack, weeksBack >= 1 && weeksBack <= 52);
  const trendWeek = trend.data?.weeks[0];
  const expected = weekly
    ? (trendWeek && trendWeek.week === monday ? trendWeek[figure as TrendFigure] : undefined)
    : summary.data?.totals[figure as keyof typeof summary.data.totals];
  const rows: Row[] = list.data?.pages.flatMap((p) => p.items) ?? [];
  const firstPage = list.data?.pages[0];
  const weekRange = firstPage?.week ?? null;
  // Named from the caller's scope: a county typed into the URL from outside it is not named (FilterBar says so).
  const names = [
    filters.county && scope.counties.find((c) => c.value === filters.county)?.label,
    filters.department && scope.departments.find((d) => d.value === filters.department)?.label,
    filters.item && scope.items.find((i) => i.value === filters.item)?.label,
    filters.greenChannel && (filters.greenChannel === 'true' ? '绿色通道' : '非绿色通道'),
    assignee && (assignee === 'none' ? '未分派' : rows[0]?.assignee?.name ?? assignee),
  ].filter(Boolean);
  const title = `${FIGURE_LABELS[figure]}案件${names.length ? ` · ${names.join(' · ')}` : ''}`;

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <SupervisionHeader title={title} filters={filters} extra={<LinkButton to={withFilters('/dashboard', filters)}>返回看板</LinkButton>} />
      <FilterBar filters={filters} set={set} extra={{ assignee }} />
      {weekly && (weekRange
        ? <Typography.Text>统计周：{formatDateTime(weekRange.start)} 至 {formatDateTime(weekRange.end)}（北京时间）</Typography.Text>
        : !week && <Alert type="warning" showIcon title="未指明哪一周，请从看板的每周趋势进入。" />)}
      <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
      {!list.isPending && !list.error && (
        <Typography.Text role="status" aria-live="polite">
          {list.hasNextPage ? `已显示 ${rows.length} 件${expected !== undefined ? `，共 ${expected} 件` : ''}` : `共 ${rows.length} 件`}
        </Typography.Text>
      )}
      <Table<Row>
        className="supervision-table"
        rowKey="id" dataSource={rows} loading={list.isPending} pagination={false} scroll={{ x: 1000 }} size="middle"
        locale={{ emptyText: `没有${FIGURE_LABELS[figure]}的案件` }}
        columns={[
          { title: '服务事项', className: 'wrap', render: (_, c) => <Link to={`/cases/${c.id}`}>{c.item.label} · {c.action.label}</Link> },
          { title: '服务对象', render: (_, c) => c.subject.name },
          { title: '县（市）区', render: (_, c) => c.county.label },
          { title: '承办部门', render: (_, c) => c.department.label },
          { title: '当前步骤', render: (_, c) => <Space size={4} wrap>{c.step.label}{c.greenChannel && <Tag color="green">绿色通道</Tag>}{c.onHold && <Tag>暂停</Tag>}</Space> },
          { title: '经办人', render: (_, c) => c.assignee?.name ?? '未分派' },
          ...(figure === 'overdue'
            ? [{ title: '超期', render: (_: unknown, c: Row) => 'late' in c ? <Space size={4}><Tag color="red">超期 {c.late.workingDays} 个工作日</Tag>{c.advisory && <Tag>仅提醒</Tag>}</Space> : null }]
            : []),
          { title: '本步骤期限', render: (_, c) => formatDateTime(c.dueAt) },
          ...(['closedThisMonth', 'closedOnTimeThisMonth', 'closed', 'closedOnTime'].includes(figure)
            ? [{ title: '办结时间', render: (_: unknown, c: Row) => 'closedAt' in c ? <Space size={4}>{formatDateTime(c.closedAt)}{c.completedOnTime === true ? <Tag color="green">按时</Tag> : c.completedOnTime === false ? <Tag color="red">超时</Tag> : null}</Space> : null }]
            : []),
          { title: '开案日期', render: (_, c) => formatDate(c.openedAt) },
        ]}
      />
      {list.hasNextPage && <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>加载更多</Button>}
    </Space>
  );
}
