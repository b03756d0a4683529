/** 案件列表: filters (step, status, overdue, green channel, county, department, item; counties and departments within the caller's scope) kept in the URL; green channel first, then by deadline. */
import { Button, Form, Select, Space, Typography } from 'antd';
import { useInfiniteQuery } from '@tanstack/react-query';
import { CASE_STATUS_LABELS, CASE_STEP_LABELS } from '../../../../domain/vocabulary';
import { api, call, type paths } from '../../api/client';
import { ErrorAlert } from '../../components/States';
import { CaseTable } from '../../components/CaseTable';
import { useUrlFilters } from '../../lib/urlFilters';
import { useScopeOptions } from '../../lib/scope';

const FILTERS = ['step', 'status', 'overdue', 'greenChannel', 'county', 'department', 'item'] as const;
type Query = NonNullable<paths['/v1/cases']['get']['parameters']['query']>;

export default function CaseList() {
  const { filters, set, clear } = useUrlFilters(FILTERS);
  const scope = useScopeOptions();
  const list = useInfiniteQuery({
    queryKey: ['cases', 'list', filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => call(api.GET('/v1/cases', { params: { query: { ...filters, limit: 30, ...(pageParam ? { cursor: pageParam } : {}) } as Query } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const yesNo = [{ value: 'true', label: '是' }, { value: 'false', label: '否' }];
  const select = (k: (typeof FILTERS)[number], label: string, options: Array<{ value: string; label: string }>) => (
    <Form.Item label={label} key={k}>
      <Select allowClear value={filters[k]} onChange={(v: string | undefined) => set(k, v)} options={options} style={{ width: 140 }} placeholder="全部" aria-label={label} />
    </Form.Item>
  );
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>案件</Typography.Title>
      <Form layout="inline" style={{ rowGap: 8 }}>
        {select('step', '当前步骤', Object.entries(CASE_STEP_LABELS).map(([value, label]) => ({ value, label })))}
        {select('status', '状态', Object.entries(CASE_STATUS_LABELS).map(([value, label]) => ({ value, label })))}
        {select('overdue', '超期', yesNo)}
        {select('greenChannel', '绿色通道', yesNo)}
        {select('county', '县（市）区', scope.counties)}
        {select('department', '承办部门', scope.departments)}
        {select('item', '服务事项', scope.items)}
        {Object.keys(filters).length > 0 && <Button onClick={clear}>清除筛选</Button>}
      </Form>
      <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
      <CaseTable rows={list.data?.pages.flatMap((p) => p.items) ?? []} loading={list.isPending} empty={Object.keys(filters).length ? '没有符合筛选条件的案件' : '暂无案件'} />
      {list.hasNextPage && <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>加载更多</Button>}
    </Space>
  );
}
