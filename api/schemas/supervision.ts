/** What /v1/supervision answers: overdue and stuck cases, the summary, workload, escalations. */
import { z } from 'zod';
import { calendarWarning } from './policy';
import { instant, labelled, nextCursor } from './common';

const caseRow = z.object({
  id: z.string(),
  subject: z.object({ id: z.string(), name: z.string() }),
  item: labelled,
  action: labelled,
  county: labelled,
  department: labelled,
  step: labelled,
  assignee: z.object({ id: z.string(), name: z.string() }).nullable(),
  greenChannel: z.boolean(),
  onHold: z.boolean(),
  escalationLevel: z.number().int(),
  dueAt: instant.nullable(),
  openedAt: instant,
  lastEventAt: instant,
});

export const overdueList = z.object({
  asOf: instant,
  items: z.array(caseRow.extend({
    late: z.object({ workingDays: z.number(), hours: z.number() }),
    advisory: z.boolean().describe('办理时限为本地设定且未设为执行：超期仅作提醒，不督办'),
  })),
  nextCursor,
});

export const stuckList = z.object({
  asOf: instant,
  days: z.number().int(),
  items: z.array(caseRow.extend({ idleWorkingDays: z.number() })),
  nextCursor,
});

const summaryFigures = z.object({
  open: z.number(), overdue: z.number(), dueThisWeek: z.number(), closedThisMonth: z.number(),
  closedOnTimeThisMonth: z.number(), onTimeRate: z.number().nullable(),
});

export const supervisionSummary = z.object({
  asOf: instant,
  totals: summaryFigures,
  byCounty: z.array(summaryFigures.extend({ county: labelled })),
  byDepartment: z.array(summaryFigures.extend({ department: labelled })),
  byItem: z.array(summaryFigures.extend({ item: labelled })),
  byCountyDepartment: z.array(summaryFigures.extend({ county: labelled, department: labelled })).describe('县区 × 部门（热力图）；只含有案件的组合'),
  calendarWarnings: z.array(calendarWarning).describe('缺少节假日安排的年份（期限按每个工作日计算）'),
});

export const workloadList = z.object({
  asOf: instant,
  items: z.array(z.object({
    assignee: z.object({ id: z.string(), name: z.string() }).nullable(),
    label: z.string(),
    open: z.number(), overdue: z.number(), dueThisWeek: z.number(), nextDueAt: instant.nullable(),
  })),
});

export const escalationList = z.object({
  items: z.array(z.object({
    kind: z.enum(['case', 'plan']),
    at: instant,
    level: z.number().int(),
    reason: z.string(),
    target: z.unknown().describe('升级对象（部门或领导小组办公室）'),
    caseId: z.string().nullable(),
    planId: z.string().nullable(),
    period: z.string().nullable(),
    step: labelled.nullable(),
    county: labelled,
    department: labelled,
    item: labelled,
    action: labelled,
    status: z.string(),
    actedOn: z.object({ by: z.object({ id: z.string(), name: z.string() }), at: instant, with: z.string().nullable() }).nullable(),
    advisory: z.boolean().describe('按本地设定的办理时限（未设为执行）产生：仅作提醒，不是正式督办'),
    rule: z.object({ key: z.string(), tag: z.string(), enforced: z.boolean() }).nullable(),
  })),
  nextCursor,
});

/** Workflows Temporal reports as failing (their tasks keep failing): cases and plans in scope, others for the city. */
export const failingList = z.object({
  asOf: instant,
  total: z.number().int(),
  items: z.array(z.object({
    workflowId: z.string(),
    workflowType: z.string(),
    kind: z.enum(['case', 'plan', 'other']),
    id: z.string().nullable(),
    problems: z.array(z.string()),
    startedAt: instant,
    item: labelled.nullable(),
    county: labelled.nullable(),
    department: labelled.nullable(),
    step: labelled.nullable(),
  })),
});

/** The cases behind one figure of the summary or of the weekly trend (as many as the figure counts). */
export const figureCaseList = z.object({
  asOf: instant,
  figure: z.string(),
  week: z.object({ start: instant, end: instant }).nullable().describe('趋势图的一周（北京时间周一 0 时起，截至此刻）'),
  items: z.array(caseRow.extend({
    closedAt: instant.nullable(),
    completedOnTime: z.boolean().nullable(),
  })),
  nextCursor,
});

/** The weekly trend: per Asia/Shanghai week (Monday to Sunday), oldest first; the current week up to now. */
export const supervisionTrend = z.object({
  asOf: instant,
  weeks: z.array(z.object({
    week: z.string().describe('该周周一（YYYY-MM-DD，北京时间）'),
    start: instant,
    end: instant,
    opened: z.number().int().describe('新开案件'),
    closed: z.number().int().describe('办结（含不予办理）'),
    closedOnTime: z.number().int().describe('其中按时办结'),
    onTimeRate: z.number().nullable(),
    becameOverdue: z.number().int().describe('该周内有环节超期的案件'),
  })),
});
