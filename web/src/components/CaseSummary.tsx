/** The desk's view of a case: the summary table and the step bar. */
import { Descriptions, Steps } from 'antd';
import type { CaseView } from '../api/client';
import { formatDateTime } from '../lib/format';
import { Deadline, StatusTags } from './CaseParts';

export function CaseSummary({ c, subjectName }: { c: CaseView; subjectName?: string }) {
  return (
    <Descriptions size="small" bordered column={{ xs: 1, sm: 2, lg: 3 }} items={[
      { key: 'item', label: '服务事项', children: `${c.item.label} · ${c.action.label}` },
      { key: 'subject', label: '服务对象', children: subjectName ?? c.subjectId },
      { key: 'status', label: '状态', children: <StatusTags c={c} /> },
      { key: 'county', label: '县（市）区', children: c.county.label },
      { key: 'dept', label: '承办部门', children: c.department.label },
      { key: 'opened', label: '开案时间', children: formatDateTime(c.openedAt) },
      { key: 'due', label: c.status.code === 'open' ? `本步骤期限（${c.step.label}）` : '办结时间', children: c.status.code === 'open' ? <Deadline dueAt={c.dueAt} /> : formatDateTime(c.closedAt) },
      ...(c.supplement ? [{ key: 'supp', label: '容缺材料', children: `${c.supplement.missing.join('、')}，${c.supplement.status === 'supplied' ? '已补交' : `须于 ${c.supplement.dueDate} 前补交`}` }] : []),
      ...(c.completedOnTime !== null ? [{ key: 'ontime', label: '是否按期', children: c.completedOnTime ? '按期办结' : `超期（${c.lateSteps.length} 个步骤）` }] : []),
    ]} />
  );
}

export function CaseSteps({ c }: { c: CaseView }) {
  const current = c.steps.findIndex((s) => s.code === c.step.code);
  return (
    <Steps
      size="small" responsive current={current < 0 ? c.steps.length : current}
      status={c.status.code === 'closed' ? 'finish' : c.status.code === 'open' ? (c.overdue ? 'error' : 'process') : 'error'}
      items={c.steps.map((s) => ({ title: s.label }))}
    />
  );
}

