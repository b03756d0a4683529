/** 我的任务: the worker's open cases by visit day (today, this week, to be scheduled, later), each with the address and a tap-to-call number. */
import { Link } from 'react-router';
import { Skeleton, Space, Tag, Typography } from 'antd';
import { useQueries, useQuery } from '@tanstack/react-query';
import { api, call, type CaseRow, type CaseView, type SubjectView } from '../../api/client';
import { EmptyState, ErrorAlert } from '../../components/States';
import { CallButton } from '../../components/CallButton';
import { Deadline, StatusTags } from '../../components/CaseParts';
import { formatDayTime, shanghaiDate } from '../../lib/format';
import { addDaysToDate, weekStart } from '../../../../domain/calendar';
import { useMe } from '../../session';
import { Panel } from '../../components/Panel';

/** The visit booked and not yet reported, if any. */
export function pendingVisit(c: CaseView | undefined): string | undefined {
  const v = c?.visits.at(-1);
  return v && !v.outcome && v.scheduledAt ? v.scheduledAt : undefined;
}

export default function MyTasks() {
  const me = useMe();
  const list = useQuery({
    queryKey: ['cases', 'mine', me.id],
    queryFn: () => call(api.GET('/v1/cases', { params: { query: { assignee: me.id, status: 'open', limit: 100 } } })),
  });
  const rows = list.data?.items ?? [];
  const views = useQueries({ queries: rows.map((r) => ({ queryKey: ['case', r.id], queryFn: () => call(api.GET('/v1/cases/{id}', { params: { path: { id: r.id } } })) })) });
  const subjectIds = [...new Set(rows.map((r) => r.subjectId))];
  const subjects = useQueries({ queries: subjectIds.map((id) => ({ queryKey: ['subject', id, false], queryFn: () => call(api.GET('/v1/subjects/{id}', { params: { path: { id } } })) })) });
  const subjectOf = (id: string) => subjects[subjectIds.indexOf(id)]?.data;

  const today = shanghaiDate(new Date());
  const weekEnd = addDaysToDate(weekStart(today), 6);
  const groups: Record<'today' | 'week' | 'unscheduled' | 'later', Array<{ row: CaseRow; view?: CaseView; visit?: string }>> = { today: [], week: [], unscheduled: [], later: [] };
  rows.forEach((row, i) => {
    const view = views[i]?.data;
    const visit = pendingVisit(view);
    const day = visit ? shanghaiDate(new Date(visit)) : undefined;
    const g = !visit ? (row.step.code === 'visit' ? 'unscheduled' : 'later') : day! <= today ? 'today' : day! <= weekEnd ? 'week' : 'later';
    groups[g].push({ row, view, visit });
  });
  for (const g of Object.values(groups)) g.sort((a, b) => (a.visit ?? a.row.dueAt ?? '').localeCompare(b.visit ?? b.row.dueAt ?? ''));

  const section = (key: keyof typeof groups, title: string, empty: string) => (
    <section aria-labelledby={`h-${key}`} key={key}>
      <Typography.Title level={3} id={`h-${key}`} style={{ fontSize: 16 }}>{title}（{groups[key].length}）</Typography.Title>
      {groups[key].length === 0 ? <Typography.Text type="secondary">{empty}</Typography.Text> : (
        <Space direction="vertical" style={{ width: '100%' }}>
          {groups[key].map(({ row, visit }) => <TaskCard key={row.id} row={row} visit={visit} subject={subjectOf(row.subjectId)} />)}
        </Space>
      )}
    </section>
  );

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>我的任务</Typography.Title>
      <ErrorAlert error={list.error} onRetry={() => void list.refetch()} />
      {list.isPending ? <Skeleton active /> : rows.length === 0 ? <EmptyState description="暂无分派给您的任务" /> : (
        <>
          {section('today', '今天', '今天没有预约的上门')}
          {section('week', '本周', '本周没有其他预约')}
          {section('unscheduled', '待预约上门', '没有待预约的任务')}
          {groups.later.length > 0 && section('later', '其他在办', '')}
        </>
      )}
    </Space>
  );
}

function TaskCard({ row, visit, subject }: { row: CaseRow; visit?: string; subject?: SubjectView }) {
  return (
    <Panel title={<Link to={`/tasks/${row.id}`}>{subject?.name ?? '服务对象'} · {row.action.label}</Link>} extra={visit ? <Tag color="blue">{formatDayTime(visit)}</Tag> : <Tag>未预约</Tag>}>
      <Space direction="vertical" size={4} style={{ width: '100%' }}>
        <StatusTags c={row} />
        <div>地址：{subject ? [subject.township, subject.community, subject.address].filter(Boolean).join(' ') || '（未登记地址）' : '…'}</div>
        <div>期限：<Deadline dueAt={row.dueAt} /></div>
        {subject && (
          <Space wrap>
            <CallButton subjectId={subject.id} masked={subject.phone} />
            {subject.guardian?.phone && <CallButton subjectId={subject.id} masked={subject.guardian.phone} guardian />}
            <Link to={`/tasks/${row.id}`}>办理 ›</Link>
          </Space>
        )}
      </Space>
    </Panel>
  );
}
