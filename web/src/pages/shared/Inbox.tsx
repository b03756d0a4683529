/**
 * 消息: the user's notifications, newest first (title, body, Beijing time, a link to the case or plan
 * page when the console has one, and how each external channel delivered it); unread only, mark one or
 * all as read. Every role has it; the header's bell opens it.
 */
import { useState } from 'react';
import { Link } from 'react-router';
import { Button, List, Radio, Space, Tag, Typography, App as AntApp } from 'antd';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import { EmptyState, ErrorAlert, QueryView } from '../../components/States';
import { LinkButton } from '../../components/LinkButton';
import { formatDateTime } from '../../lib/format';
import { consoleLink, NOTIFICATIONS_KEY, type InboxItem } from '../../lib/notifications';
import { PAGES } from '../../routes';
import { useMe } from '../../session';

const STATUS_COLOURS: Record<string, string> = { sent: 'green', failed: 'red', retrying: 'orange', held: 'gold', pending: 'blue' };

export default function Inbox() {
  const me = useMe();
  const queryClient = useQueryClient();
  const { message } = AntApp.useApp();
  const [filter, setFilter] = useState<'all' | 'unread'>('all');
  const inbox = useInfiniteQuery({
    queryKey: [...NOTIFICATIONS_KEY, 'inbox', filter],
    queryFn: ({ pageParam }) => call(api.GET('/v1/me/notifications', {
      params: { query: { limit: 30, ...(filter === 'unread' ? { unread: 'true' as const } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
    })),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: NOTIFICATIONS_KEY });
  const markOne = useMutation({
    mutationFn: (id: string) => call(api.POST('/v1/me/notifications/{id}/read', { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const markAll = useMutation({
    mutationFn: () => call(api.POST('/v1/me/notifications/read-all')),
    onSuccess: (r) => { message.success(r.marked > 0 ? `已将 ${r.marked} 条消息标为已读` : '没有未读消息'); return refresh(); },
  });
  const unread = inbox.data?.pages[0]?.unreadCount ?? 0;

  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>消息{inbox.data ? `（${unread} 条未读）` : ''}</Typography.Title>
        <Space wrap>
          <Button onClick={() => markAll.mutate()} loading={markAll.isPending} disabled={unread === 0}>全部标为已读</Button>
          <LinkButton to="/settings/notifications">通知设置</LinkButton>
        </Space>
      </Space>
      <Radio.Group
        aria-label="显示范围" value={filter} onChange={(e) => setFilter(e.target.value as 'all' | 'unread')} optionType="button" buttonStyle="solid"
        options={[{ label: '全部', value: 'all' }, { label: '仅未读', value: 'unread' }]}
      />
      <ErrorAlert error={markOne.error ?? markAll.error} />
      <QueryView query={inbox}>
        {(d) => {
          const items = d.pages.flatMap((p) => p.items);
          if (items.length === 0) return <EmptyState description={filter === 'unread' ? '没有未读消息' : '暂无消息'} />;
          return (
            <>
              <List
                bordered aria-label="消息列表" dataSource={items} style={{ background: '#fff' }}
                renderItem={(n) => <Notice n={n} to={consoleLink(n.link, me.role.code, PAGES)} onRead={() => markOne.mutate(n.id)} busy={markOne.isPending && markOne.variables === n.id} />}
              />
              {inbox.hasNextPage && (
                <Button block onClick={() => void inbox.fetchNextPage()} loading={inbox.isFetchingNextPage}>加载更多</Button>
              )}
            </>
          );
        }}
      </QueryView>
    </Space>
  );
}

function Notice({ n, to, onRead, busy }: { n: InboxItem; to: string | undefined; onRead: () => void; busy: boolean }) {
  const unread = !n.readAt;
  return (
    <List.Item className={unread ? 'notice unread' : 'notice'}>
      <Space direction="vertical" size={4} style={{ width: '100%' }}>
        <Space wrap size={8}>
          {unread ? <Tag color="blue">未读</Tag> : <Tag>已读</Tag>}
          <Typography.Text strong>{n.title}</Typography.Text>
          <Typography.Text type="secondary">{formatDateTime(n.createdAt)}</Typography.Text>
        </Space>
        <div style={{ overflowWrap: 'anywhere' }}>{n.body}</div>
        <Space wrap size={8}>
          {to ? <Link to={to}>{n.caseId ? '查看案件' : n.planId ? '查看服务计划' : '查看详情'}</Link> : null}
          {n.deliveries.map((d) => (
            <Tag key={d.channel.code} color={STATUS_COLOURS[d.status.code]} style={{ marginInlineEnd: 0 }}>
              {d.channel.label}：{d.status.label}{d.attempts > 1 ? `（尝试 ${d.attempts} 次）` : ''}
            </Tag>
          ))}
          {unread && <Button size="small" onClick={onRead} loading={busy} aria-label={`标为已读：${n.title}`}>标为已读</Button>}
        </Space>
      </Space>
    </List.Item>
  );
}
