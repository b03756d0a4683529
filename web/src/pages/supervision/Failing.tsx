/**
 * 工作流异常: the workflows Temporal reports as failing (their tasks keep failing), cases and plans in
 * the caller's scope — GET /v1/supervision/failing. Steps on them answer 503 until a technician fixes them.
 */
import { Link } from 'react-router';
import { Alert, Space, Table, Tag } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api, call, type paths } from '../../api/client';
import { EmptyState, ErrorAlert } from '../../components/States';
import { formatDateTime } from '../../lib/format';
import { SupervisionHeader, useFilters } from './shared';

type Row = paths['/v1/supervision/failing']['get']['responses'][200]['content']['application/json']['items'][number];
const KIND = { case: '案件', plan: '服务计划', other: '其他' } as const;

/** Temporal's problem words, said in Chinese for the supervisor (the original kept for the technician). */
const PROBLEM_TEXT: ReadonlyArray<[RegExp, string]> = [
  [/^category=WorkflowTaskFailed$/, '工作流任务连续失败'],
  [/^category=PendingActivityRetrying|^category=ActivityFailed/, '后台操作反复重试'],
  [/NonDeterministic/, '程序与已记录的办理历史不一致（部署的改动需技术人员处理）'],
  [/UnhandledFailure$/, '程序出现未处理的错误'],
  [/WorkflowTaskTimedOut|TaskTimedOut/, '工作流任务超时'],
];
const problemText = (p: string) => PROBLEM_TEXT.find(([re]) => re.test(p))?.[1];

export default function Failing() {
  const { filters } = useFilters();
  const q = useQuery({ queryKey: ['supervision', 'failing'], queryFn: () => call(api.GET('/v1/supervision/failing')) });
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <SupervisionHeader title="工作流异常" filters={filters} />
      <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />
      {q.data && q.data.total > 0 && (
        <Alert type="error" showIcon title={`${q.data.total} 个工作流的任务连续失败`} description={`这些案件或服务计划暂时无法办理（办理操作会提示稍后重试），请联系技术人员处理。数据截至 ${formatDateTime(q.data.asOf)}。`} />
      )}
      {q.data && q.data.total === 0 ? (
        <EmptyState description={`当前没有异常的工作流：您管辖范围内的案件和服务计划都在正常运行（截至 ${formatDateTime(q.data.asOf)}）。`} />
      ) : (
        <Table<Row>
        className="supervision-table"
          rowKey="workflowId" dataSource={q.data?.items ?? []} loading={q.isPending} pagination={false} size="middle" scroll={{ x: 900 }}
          columns={[
            { title: '类型', render: (_, r) => KIND[r.kind] },
            { title: '对象', render: (_, r) => (r.kind === 'case' && r.id ? <Link to={`/cases/${r.id}`}>{r.item?.label ?? r.id}</Link> : r.item?.label ?? r.workflowType) },
            { title: '县（市）区', render: (_, r) => r.county?.label ?? '—' },
            { title: '承办部门', render: (_, r) => r.department?.label ?? '—' },
            { title: '当前步骤', render: (_, r) => r.step?.label ?? '—' },
            { title: '问题', className: 'wrap', render: (_, r) => <Space direction="vertical" size={2}>{r.problems.map((p) => <Tag color="red" key={p} style={{ whiteSpace: 'normal' }}>{problemText(p) ? <>{problemText(p)}<span className="muted">（{p}）</span></> : p}</Tag>)}</Space> },
            { title: '开始时间', render: (_, r) => formatDateTime(r.startedAt) },
          ]}
        />
      )}
    </Space>
  );
}
