/**
 * 停滞案件: open cases with no action for N working days (N chosen here, kept in the URL with the
 * filters), longest idle first — GET /v1/supervision/stuck.
 */
import { Link } from 'react-router';
import { Button, Form, InputNumber, Space, Table, Tag, Typography } from 'antd';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api, call, type paths } from '../../api/client';
import { ErrorAlert } from '../../components/States';
import { formatDateTime } from '../../lib/format';
import { FilterBar, SupervisionHeader, useFilters } from './shared';

type Row = paths['/v1/supervision/stuck']['get']['responses'][200]['content']['application/json']['items'][number];

const DEFAULT_DAYS = 5;

export default function Stuck() {
  const { params, filters, set } = useFilters();
  const n = Number(params.get('days'));
  const days = Number.isInteger(n) && n >= 1 && n <= 250 ? n : DEFAULT_DAYS;
  const list = useInfiniteQuery({
    queryKey: ['supervision', 'stuck', filters, days],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => call(api.GET('/v1/supervision/stuck', { params: { query: { ...filters, days, limit: 100, ...(pageParam ? { cursor: pageParam } : {}) } as never } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <SupervisionHeader title="停滞案件" filters={filters} />
      <FilterBar filters={filters} set={set}>
        <Form.Item label="连续无办理动作" style={{ marginBottom: 0 }}>
          <Space.Compact>
            <InputNumber min={1} max={250} precision={0} value={days} aria-label="连续无办理动作的工作日数"
              onChange={(v) => set({ days: v && v !== DEFAULT_DAYS ? String(v) : undefined })} style={{ width: 80 }} />
            <Space.Addon>个工作日</Space.Addon>
          </Space.Compact>
        </Form.Item>
      </FilterBar>
      <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
      {!list.isPending && !list.error && (
        <Typography.Text role="status">{list.hasNextPage ? `已显示 ${rows.length} 件` : `共 ${rows.length} 件`}：连续 {days} 个工作日以上无任何办理动作的在办案件</Typography.Text>
      )}
      <Table<Row>
        className="supervision-table"
        rowKey="id" dataSource={rows} loading={list.isPending} pagination={false} scroll={{ x: 1000 }} size="middle"
        locale={{ emptyText: `没有连续 ${days} 个工作日无办理动作的案件` }}
        columns={[
          { title: '服务事项', className: 'wrap', render: (_, c) => <Link to={`/cases/${c.id}`}>{c.item.label} · {c.action.label}</Link> },
          { title: '服务对象', render: (_, c) => c.subject.name },
          { title: '县（市）区', render: (_, c) => c.county.label },
          { title: '承办部门', render: (_, c) => c.department.label },
          { title: '当前步骤', render: (_, c) => <Space size={4} wrap>{c.step.label}{c.onHold && <Tag>暂停</Tag>}</Space> },
          { title: '经办人', render: (_, c) => c.assignee?.name ?? '未分派' },
          { title: '最后办理动作', render: (_, c) => formatDateTime(c.lastEventAt) },
          { title: '停滞', render: (_, c) => <Tag color="orange">{c.idleWorkingDays} 个工作日</Tag> },
        ]}
      />
      {list.hasNextPage && <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>加载更多</Button>}
    </Space>
  );
}
