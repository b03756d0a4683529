/** 我的任务: the worker's open cases by visit day (GET /v1/me/tasks: today, this week, to be booked, later), each with the address and a tap-to-call number. */
import { Link } from 'react-router';
import { Skeleton, Space, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api, call, type CaseView, type paths } from '../../api/client';
import { EmptyState, ErrorAlert } from '../../components/States';
import { CallButton } from '../../components/CallButton';
import { Deadline, StatusTags } from '../../components/CaseParts';
import { Panel } from '../../components/Panel';
import { formatDayTime } from '../../lib/format';

type Task = paths['/v1/me/tasks']['get']['responses'][200]['content']['application/json']['items'][number];

/** The visit booked and not yet reported, if any. */
export function pendingVisit(c: CaseView | undefined): string | undefined {
  const v = c?.visits.at(-1);
  return v && !v.outcome && v.scheduledAt ? v.scheduledAt : undefined;
}

export function useMyTasks() {
  return useQuery({ queryKey: ['cases', 'my-tasks'], queryFn: () => call(api.GET('/v1/me/tasks')) });
}

const SECTIONS: Array<{ buckets: Task['bucket'][]; title: string; empty: string }> = [
  { buckets: ['past', 'today'], title: '今天', empty: '今天没有预约的上门' },
  { buckets: ['week'], title: '本周', empty: '本周没有其他预约' },
  { buckets: ['unscheduled'], title: '待预约上门', empty: '没有待预约的任务' },
  { buckets: ['later'], title: '以后', empty: '' },
];

export default function MyTasks() {
  const tasks = useMyTasks();
  const items = tasks.data?.items ?? [];
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>我的任务{tasks.data ? `（${tasks.data.today}）` : ''}</Typography.Title>
      <ErrorAlert error={tasks.error} onRetry={() => void tasks.refetch()} />
      {tasks.isPending ? <Skeleton active /> : items.length === 0 ? <EmptyState description="暂无分派给您的任务" /> : SECTIONS.map((s) => {
        const rows = items.filter((t) => s.buckets.includes(t.bucket));
        if (rows.length === 0 && !s.empty) return null;
        return (
          <section key={s.title} aria-label={s.title}>
            <Typography.Title level={3} style={{ fontSize: 16 }}>{s.title}（{rows.length}）</Typography.Title>
            {rows.length === 0 ? <Typography.Text type="secondary">{s.empty}</Typography.Text> : (
              <Space direction="vertical" style={{ width: '100%' }}>
                {rows.map((t) => <TaskCard key={t.id} task={t} />)}
              </Space>
            )}
          </section>
        );
      })}
    </Space>
  );
}

function TaskCard({ task }: { task: Task }) {
  const s = task.subject;
  return (
    <Panel
      title={<Link to={`/tasks/${task.id}`}>{s?.name ?? '服务对象'} · {task.action.label}</Link>}
      extra={task.nextVisitAt ? <Tag color={task.bucket === 'past' ? 'red' : 'blue'}>{task.bucket === 'past' ? '已过预约时间 ' : ''}{formatDayTime(task.nextVisitAt)}</Tag> : <Tag>未预约</Tag>}
    >
      <Space direction="vertical" size={4} style={{ width: '100%' }}>
        <StatusTags c={task} />
        <div>地址：{s ? [s.county.label, s.township, s.community, s.address].filter(Boolean).join(' ') || '（未登记地址）' : '—'}</div>
        <div>期限：<Deadline dueAt={task.dueAt} /></div>
        <Space wrap>
          {s && <CallButton caseId={task.id} masked={s.phone} />}
          {s?.guardian?.phone && <CallButton caseId={task.id} masked={s.guardian.phone} guardian />}
          <Link to={`/tasks/${task.id}`}>办理 ›</Link>
        </Space>
      </Space>
    </Panel>
  );
}
