/**
 * 通知发送失败 (admins): external deliveries that finally failed (an unreachable webhook, a rejected
 * signature, an SMTP refusal…), with the provider's last answer and the attempts made; 重新发送 once the
 * configuration is fixed, and what became of each resend (listed again if it failed again).
 */
import { useState } from 'react';
import { Link } from 'react-router';
import { Alert, Button, Select, Space, Table, Tag, Typography } from 'antd';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { CHANNEL_LABELS, EXTERNAL_CHANNELS, type ExternalChannel } from '../../../../domain/notifications';
import { api, call, type paths } from '../../api/client';
import { ErrorAlert } from '../../components/States';
import { formatDateTime } from '../../lib/format';
import { NOTIFICATIONS_KEY } from '../../lib/notifications';

type Failed = paths['/v1/admin/notifications/failed']['get']['responses'][200]['content']['application/json']['items'][number];
const keyOf = (f: { notificationId: string; channel: { code: string } }) => `${f.notificationId}:${f.channel.code}`;
/** A resend the admin asked for: the row as it was, so the list can say what became of it. */
interface Resend { row: Failed; at: number }

export default function FailedDeliveries() {
  const queryClient = useQueryClient();
  const [channel, setChannel] = useState<ExternalChannel>();
  const [resends, setResends] = useState<Resend[]>([]);
  // While a resend is recent, the list is asked again every few seconds to show its outcome.
  const watching = resends.some((r) => Date.now() - r.at < 120_000);
  const list = useInfiniteQuery({
    queryKey: [...NOTIFICATIONS_KEY, 'failed', channel],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => call(api.GET('/v1/admin/notifications/failed', {
      params: { query: { limit: 50, ...(channel ? { channel } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
    })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: watching ? 3_000 : false,
  });
  const retry = useMutation({
    mutationFn: (f: Failed) => call(api.POST('/v1/admin/notifications/failed/{notificationId}/{channel}/retry', {
      params: { path: { notificationId: f.notificationId, channel: f.channel.code } },
    })),
    onSuccess: (_r, f) => {
      setResends((rs) => [{ row: f, at: Date.now() }, ...rs.filter((r) => keyOf(r.row) !== keyOf(f))]);
      return queryClient.invalidateQueries({ queryKey: [...NOTIFICATIONS_KEY, 'failed'] });
    },
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const listed = new Map(rows.map((r) => [keyOf(r), r]));

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>通知发送失败</Typography.Title>
      <Typography.Text type="secondary">
        外部渠道（企业微信、钉钉、短信、电子邮件）多次尝试仍未送达的通知。站内消息不受影响，案件办理也不会因此停顿。修正配置后可重新发送。
      </Typography.Text>
      <Space wrap>
        <label htmlFor="failed-channel">渠道</label>
        <Select
          id="failed-channel" allowClear placeholder="全部渠道" style={{ width: 200 }} value={channel} onChange={(v?: ExternalChannel) => setChannel(v)}
          options={EXTERNAL_CHANNELS.map((c) => ({ value: c, label: CHANNEL_LABELS[c] }))}
        />
      </Space>
      {resends.length > 0 && (
        <Alert type="info" showIcon role="status" title="重新发送" description={(
          <ul style={{ margin: 0, paddingInlineStart: 18 }}>
            {resends.map(({ row }) => {
              const again = listed.get(keyOf(row));
              return (
                <li key={keyOf(row)}>
                  {row.recipient.name} · {row.channel.label}：
                  {again && again.attempts > row.attempts
                    ? <strong>仍未送达（已尝试 {again.attempts} 次）：{again.answer ?? '无应答'}</strong>
                    : again ? '已提交，正在发送…' : '已重新发送，不再列为失败（已送达或正在重试）'}
                </li>
              );
            })}
          </ul>
        )} />
      )}
      <ErrorAlert error={retry.error} />
      <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
      <Table<Failed>
        rowKey={keyOf} dataSource={rows} loading={list.isPending} pagination={false} size="middle" scroll={{ x: 960 }}
        locale={{ emptyText: channel ? '此渠道没有发送失败的通知' : '没有发送失败的通知' }}
        columns={[
          { title: '失败时间', dataIndex: 'failedAt', width: 150, render: (v: string) => formatDateTime(v) },
          { title: '渠道', key: 'channel', width: 130, render: (_v, f) => <Tag color="red">{f.channel.label}</Tag> },
          { title: '通知', key: 'kind', width: 150, render: (_v, f) => f.kind.label },
          { title: '接收人', key: 'recipient', width: 110, render: (_v, f) => f.recipient.name },
          { title: '案件', key: 'case', width: 120, render: (_v, f) => (f.caseId ? <Link to={`/cases/${f.caseId}`}>查看案件</Link> : f.planId ? '服务计划' : '—') },
          { title: '尝试次数', dataIndex: 'attempts', width: 90 },
          {
            title: '服务商应答', key: 'answer',
            render: (_v, f) => <Typography.Text code style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>{f.answer ?? '（无应答）'}</Typography.Text>,
          },
          {
            title: '操作', key: 'retry', width: 110, fixed: 'right',
            render: (_v, f) => (
              <Button size="small" onClick={() => retry.mutate(f)} loading={retry.isPending && retry.variables && keyOf(retry.variables) === keyOf(f)}
                aria-label={`重新发送：${f.recipient.name} ${f.channel.label}`}>重新发送</Button>
            ),
          },
        ]}
      />
      {list.hasNextPage && <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>加载更多</Button>}
    </Space>
  );
}
