/**
 * 审计日志 (admins): every change and every read of unmasked personal data, newest first, filtered by
 * who, action, object and date range (Beijing days), the filters kept in the URL; 加载更多 pages on
 * with the API's cursor. A county admin sees the records of the users they manage only (the API decides).
 */
import { useState } from 'react';
import { Link } from 'react-router';
import { Button, DatePicker, Form, Input, Select, Space, Table, Typography } from 'antd';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import dayjs from 'dayjs';
import { addDaysToDate } from '../../../../domain/calendar';
import { api, call, type paths } from '../../api/client';
import { ErrorAlert } from '../../components/States';
import { formatDateTime } from '../../lib/format';
import { useUrlFilters } from '../../lib/urlFilters';
import { AdminNav } from './AdminNav';

type Record_ = paths['/v1/audit']['get']['responses'][200]['content']['application/json']['items'][number];
type Query = NonNullable<paths['/v1/audit']['get']['parameters']['query']>;

const FILTERS = ['userId', 'action', 'resourceType', 'resourceId', 'from', 'to'] as const;

/** The API's query: the URL's Beijing days become instants (from 00:00 of the first day to 00:00 after the last). */
function apiQuery(f: Partial<Record<(typeof FILTERS)[number], string>>): Query {
  const { from, to, ...rest } = f;
  return {
    ...rest,
    // The action list offers whole actions: `POST /v1/users` is not also its tokens.
    ...(rest.action ? { actionExact: 'true' } : {}),
    ...(from ? { from: `${from}T00:00:00+08:00` } : {}),
    ...(to ? { to: `${addDaysToDate(to, 1)}T00:00:00+08:00` } : {}),
  } as Query;
}

export default function AuditLog() {
  const { filters, set, setMany, clear } = useUrlFilters(FILTERS);
  const actions = useQuery({ queryKey: ['audit', 'actions'], queryFn: () => call(api.GET('/v1/audit/actions')), staleTime: Infinity });
  const list = useInfiniteQuery({
    queryKey: ['audit', filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => call(api.GET('/v1/audit', { params: { query: { ...apiQuery(filters), limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>系统管理</Typography.Title>
      <AdminNav />
      <Form layout="inline" style={{ rowGap: 8 }}>
        <Form.Item label="操作人"><UserPicker value={filters.userId} onChange={(v) => set('userId', v)} /></Form.Item>
        <Form.Item label="操作">
          <Select
            allowClear showSearch={{ optionFilterProp: 'label' }} value={filters.action} onChange={(v: string | undefined) => set('action', v)} style={{ width: 260 }}
            placeholder="全部" aria-label="操作" loading={actions.isPending}
            options={actions.data?.items.map((a) => ({ value: a.code, label: a.label }))}
          />
        </Form.Item>
        <Form.Item label="对象类型">
          <Input.Search key={`t${filters.resourceType ?? ''}`} defaultValue={filters.resourceType} allowClear placeholder="如 users、cases" style={{ width: 170 }} aria-label="对象类型" onSearch={(v) => set('resourceType', v.trim() || undefined)} />
        </Form.Item>
        <Form.Item label="对象编号">
          <Input.Search key={`i${filters.resourceId ?? ''}`} defaultValue={filters.resourceId} allowClear style={{ width: 220 }} aria-label="对象编号" onSearch={(v) => set('resourceId', v.trim() || undefined)} />
        </Form.Item>
        <Form.Item label="日期">
          <DatePicker.RangePicker
            value={filters.from || filters.to ? [filters.from ? dayjs(filters.from) : null, filters.to ? dayjs(filters.to) : null] : null} allowEmpty={[true, true]}
            onChange={(d) => setMany({ from: d?.[0]?.format('YYYY-MM-DD'), to: d?.[1]?.format('YYYY-MM-DD') })}
            aria-label="日期范围"
          />
        </Form.Item>
        {Object.keys(filters).length > 0 && <Button onClick={clear}>清除筛选</Button>}
      </Form>
      <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
      <Table<Record_>
        rowKey="id" dataSource={rows} loading={list.isPending} pagination={false} size="small" scroll={{ x: 1000 }}
        locale={{ emptyText: Object.keys(filters).length ? '没有符合筛选条件的记录' : '暂无审计记录' }}
        expandable={{ expandedRowRender: (r) => <pre style={{ margin: 0, whiteSpace: 'pre-wrap', fontSize: 12 }}>{JSON.stringify(r.detail, null, 2)}</pre> }}
        columns={[
          { title: '时间', width: 150, render: (_, r) => formatDateTime(r.at) },
          { title: '操作人', render: (_, r) => (r.user ? `${r.user.displayName}（${r.user.username}）` : r.userId ? r.userId : '系统') },
          {
            title: '操作',
            render: (_, r) => <span>{r.actionLabel ?? r.action}<div className="muted" style={{ fontSize: 12 }}>{r.action}</div></span>,
          },
          { title: '对象', render: (_, r) => <AuditObject r={r} /> },
          { title: 'IP', width: 130, render: (_, r) => r.ip ?? '—' },
        ]}
      />
      <Space>
        {rows.length > 0 && <span className="muted">已显示 {rows.length} 条{list.hasNextPage ? '' : '（全部）'}</span>}
        {list.hasNextPage && <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>加载更多</Button>}
      </Space>
    </Space>
  );
}

/** Picks a user by typing part of the username or name (GET /v1/users?q=); shows the chosen one's name. */
function UserPicker({ value, onChange }: { value?: string; onChange: (id: string | undefined) => void }) {
  const [q, setQ] = useState('');
  const found = useQuery({
    queryKey: ['users', 'pick', q], enabled: q.length > 0,
    queryFn: () => call(api.GET('/v1/users', { params: { query: { q, limit: 20 } } })),
  });
  const chosen = useQuery({
    queryKey: ['users', 'one', value], enabled: Boolean(value), retry: false,
    queryFn: () => call(api.GET('/v1/users/{id}', { params: { path: { id: value! } } })),
  });
  const options = (found.data?.items ?? []).map((u) => ({ value: u.id, label: `${u.displayName}（${u.username}）` }));
  if (value && !options.some((o) => o.value === value)) {
    options.unshift({ value, label: chosen.data ? `${chosen.data.displayName}（${chosen.data.username}）` : value });
  }
  return (
    <Select
      allowClear showSearch={{ filterOption: false, onSearch: (s) => setQ(s.trim()) }} value={value} onChange={(v: string | undefined) => onChange(v)}
      options={options} placeholder="输入用户名或姓名查找" style={{ width: 240 }} aria-label="操作人" loading={found.isFetching}
      notFoundContent={q ? '没有找到' : '请输入用户名或姓名'}
    />
  );
}

/** Console pages of the objects an admin may open from the log. */
const OBJECT_PAGES: Readonly<Record<string, (id: string) => string>> = {
  users: (id) => `/admin/users/${id}`,
  cases: (id) => `/cases/${id}`,
  plans: (id) => `/oversight/plans/${id}`,
  subjects: (id) => `/subjects/${id}`,
};

/** users / <id>, the id a link to its page where the console has one. */
function AuditObject({ r }: { r: Record_ }) {
  if (!r.resourceType) return <>—</>;
  const page = r.resourceId ? OBJECT_PAGES[r.resourceType] : undefined;
  return <>{r.resourceType}{r.resourceId && <> / {page ? <Link to={page(r.resourceId)}>{r.resourceId}</Link> : r.resourceId}</>}</>;
}
