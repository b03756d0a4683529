/** 审核队列: cases waiting for review in the reviewer's scope, green channel first, then by deadline. */
import { Space, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import { ErrorAlert } from '../../components/States';
import { CaseTable } from '../../components/CaseTable';

export default function ReviewQueue() {
  const list = useQuery({ queryKey: ['cases', 'review'], queryFn: () => call(api.GET('/v1/cases', { params: { query: { step: 'review', status: 'open', limit: 100 } } })) });
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>审核队列（{list.data?.items.length ?? '…'}）</Typography.Title>
      <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
      <CaseTable rows={list.data?.items ?? []} loading={list.isPending} empty="暂无待审核的案件" linkBase="/reviews" />
    </Space>
  );
}
