/** What /v1/plans answers: the plan view (api/presenters/plan.ts), a list row, a session, the pending needs. */
import { z } from 'zod';
import { PLAN_STATUSES, EVIDENCE_KINDS } from '../../domain/vocabulary';
import { day, instant, itemsOf, labelled, labelledOf, pageOf } from './common';

const planStatus = labelledOf(PLAN_STATUSES);

/** Where an escalation went: the county department, or the leadership group's office. */
const escalationTarget = z.object({ code: z.string(), label: z.string() });

/** A week of a weekly cadence's period (as the workflow and plan_periods keep it). */
const week = z.object({ index: z.number().int(), start: day, end: day, coveredDays: z.number().int(), checked: z.boolean() });

/** A week of the current period, with its sessions so far; a week that has ended has its verdict. */
const weekSoFar = week.extend({
  sessions: z.number().int().describe('本周已登记服务次数'),
  qualifying: z.number().int().describe('其中达到每次最低时长、计入频次的次数'),
  longest: z.number().describe('本周最长一次服务（课时或分钟）'),
  compliant: z.boolean().optional().describe('已结束的周：是否达标（本周进行中或未到时不给出）'),
});

export const sessionView = z.object({
  id: z.string(),
  period: z.string().describe('YYYY-MM'),
  date: day,
  units: z.number(),
  unit: labelled,
  providerStaff: z.string(),
  content: z.string(),
  evidence: z.array(z.object({ sha256: z.string(), kind: z.enum(EVIDENCE_KINDS) })),
  recordedBy: z.string().nullable(),
  recordedAt: instant,
});

/** A checked period's verdict: sessions that counted against those required, and what was missing. */
const periodVerdict = z.object({
  period: z.string(),
  partial: z.boolean().describe('计划只覆盖本期一部分（按比例核查）'),
  sessions: z.number().int(),
  qualifying: z.number().int().describe('符合时长要求、计入核查的服务次数'),
  required: z.number().int(),
  compliant: z.boolean(),
  verdict: labelled,
  shortfall: z.string().nullable().describe('未达标时缺少什么'),
});

const pastPeriod = periodVerdict.extend({
  startDate: day,
  endDate: day.nullable().describe('null：日期涉及出生日期，当前角色不可见'),
  units: z.number(),
  weeks: z.unknown().describe('每周核查结果（周服务频次）'),
  escalatedTo: escalationTarget.nullable(),
  checkedAt: instant,
});

/** The cadence the plan is checked against (domain/catalog Cadence). */
const cadence = z.object({
  period: z.enum(['month', 'week']), minSessions: z.number().int(), minUnitsPerSession: z.number().optional(),
  unit: z.enum(['class_hours', 'minutes']).optional(), label: z.string(),
});
/** How far the current period has come (domain/planPeriods PeriodProgress). */
const progress = z.object({
  label: z.string(), done: z.number(), required: z.number(),
  week: z.object({ index: z.number().int(), start: day, end: day, longest: z.number(), qualifying: z.number().int(), checked: z.boolean() }).optional(),
});
const totals = z.object({ periods: z.number().int(), compliant: z.number().int(), sessions: z.number().int() });

export const planView = z.object({
  id: z.string(),
  subjectId: z.string(),
  needId: z.string().nullable(),
  status: planStatus,
  item: labelled,
  action: labelled,
  county: labelled,
  department: labelled,
  catalogVersion: z.string(),
  cadence,
  provider: z.object({ type: labelled, name: z.string() }),
  assessment: z.unknown().describe('登记时的评估结果（随服务事项而定）'),
  startDate: day,
  endDate: day.nullable(),
  ageOutOn: day.nullable(),
  today: day,
  currentPeriod: z.object({
    period: z.string(),
    startDate: day,
    endDate: day.nullable(),
    partial: z.boolean(),
    progress: progress.nullable(),
    weeks: z.array(weekSoFar).nullable(),
    sessions: z.array(sessionView),
  }).nullable(),
  pastPeriods: z.array(pastPeriod),
  totals,
  escalation: z.object({ level: z.number().int(), target: escalationTarget.nullable() }).nullable(),
  end: z.object({
    reason: labelled,
    lastDay: day.nullable(),
    at: instant,
    by: z.string().optional(),
    detail: z.string(),
  }).nullable(),
  enrolledAt: instant,
  enrolledBy: z.string(),
  readModel: z.object({ lastEventSeq: z.number().int(), status: z.enum(PLAN_STATUSES), updatedAt: instant }).nullable(),
});

export const planRowView = z.object({
  id: z.string(),
  subjectId: z.string(),
  status: planStatus,
  item: labelled,
  county: labelled,
  department: labelled,
  provider: z.object({ type: labelled, name: z.string() }),
  startDate: day,
  endDate: day.nullable(),
  currentPeriod: z.string().nullable(),
  progress: progress.nullable(),
  lastPeriodCompliant: z.boolean().nullable(),
  escalationLevel: z.number().int(),
  endReason: labelled.nullable(),
  subjectName: z.string().nullable(),
  recentPeriods: z.array(periodVerdict).describe('最近已核查的周期（最多 6 期，新的在前）'),
  createdAt: instant,
});

export const planList = pageOf(planRowView);
export const sessionList = itemsOf(sessionView);

export const pendingNeeds = itemsOf(z.object({
  needId: z.string(), subjectId: z.string(), surveyId: z.string(), itemCode: z.string(), county: z.string(),
}));
