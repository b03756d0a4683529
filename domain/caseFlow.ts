/**
 * The rules of a one-off case's life, as pure functions the serviceCase workflow calls: which steps
 * an action walks (from the catalog version the case started with), each step's deadline (green
 * channel shorter), the working time a hold stops the clock for, and when escalations fall due.
 *
 * Decisions (the seed is silent; ours, documented here once):
 * - A step's deadline is `deadlineWorkingDays` (or `greenChannelWorkingDays`) working days after
 *   the step starts (domain/calendar addWorkingDays: the end of the n-th working day), pushed back
 *   by the working time the step spent on hold.
 * - When a step's deadline passes, the case is overdue and escalates to level 1, the county
 *   implementing department; {@link LEVEL2_AFTER_WORKING_DAYS} working days later, if the step is
 *   still not done, to level 2, the leadership group's office (领导小组办公室, in the city DPF).
 * - A supplement deadline (容缺后补) that passes escalates the same way (level 1 at the deadline,
 *   level 2 three working days later); the case goes on but cannot close until the documents are in
 *   or it is cancelled.
 * - {@link FAILED_VISITS_TO_ESCALATE} failed visits (nobody home / refused) escalate to level 1.
 */
import { addDaysToDate, addWorkingDays, HOLIDAY_CALENDAR, isWorkingDay, shanghaiDate, startOfShanghaiDay, type HolidayYear } from './calendar';
import { CATALOG, CATALOG_VERSION, findAction, type ActionDef, type Catalog, type StepDef } from './catalog';
import { LEADERSHIP_OFFICE } from './counties';
import { departmentLabel, type DepartmentCode } from './departments';
import type { Labelled } from './labels';
import { CASE_STATUS_LABELS, CASE_STEP_LABELS, type CaseStatus, type CaseStep, type StepKind } from './vocabulary';

/**
 * Every catalog version a case may have started with, by version. A new catalog version is added
 * here next to the old one (never replacing it), so running cases keep their steps and deadlines.
 */
export const CATALOGS: Readonly<Record<string, Catalog>> = Object.freeze({ [CATALOG_VERSION]: CATALOG });

/**
 * The content hash (sha256 of the catalog as canonical JSON) of every released catalog version. A
 * released version never changes: test/unit/domain/catalogHash.test.ts recomputes these, so a deadline
 * edited inside a released version fails the tests. A change goes into a new version with its own hash.
 */
export const CATALOG_CONTENT_HASHES: Readonly<Record<string, string>> = Object.freeze({
  '2023-04-21.1': '98ec71cf472ec4f231ea8f08dc378d53268b5eb2c4e23313b087d5dc7141c919',
});

/** Working days after a step's deadline until a still-open step escalates to the leadership group's office. */
export const LEVEL2_AFTER_WORKING_DAYS = 3;

/** Failed home visits (nobody home / refused) after which a case escalates to its county department. */
export const FAILED_VISITS_TO_ESCALATE = 3;

/** The action a case runs, read from the catalog version it started with; undefined when unknown. */
export function caseAction(catalogVersion: string, itemCode: string, actionCode: string): ActionDef | undefined {
  const catalog = CATALOGS[catalogVersion];
  return catalog ? findAction(itemCode, actionCode, catalog)?.action : undefined;
}

/** The step kinds of an action in order (delivery only when a certificate is issued). */
export function stepOrder(action: ActionDef): StepKind[] {
  return action.steps.map((s) => s.kind);
}

/** The step definition of `kind` in an action; throws when the action has no such step. */
export function stepDef(action: ActionDef, kind: StepKind): StepDef {
  const s = action.steps.find((d) => d.kind === kind);
  if (!s) throw new RangeError(`${action.code} has no ${kind} step`);
  return s;
}

/** The step after `kind`, or 'done' after the last one. */
export function nextStep(action: ActionDef, kind: StepKind): CaseStep {
  const order = stepOrder(action);
  const i = order.indexOf(kind);
  if (i < 0) throw new RangeError(`${action.code} has no ${kind} step`);
  return order[i + 1] ?? 'done';
}

/** The working days a step is allowed: the green channel's when it is on. */
export function stepWorkingDays(def: StepDef, greenChannel: boolean): number {
  return greenChannel ? def.greenChannelWorkingDays : def.deadlineWorkingDays;
}

const DAY_MS = 86_400_000;

/**
 * The working time (ms) within [from, to): the parts of the interval that fall on working days
 * (Asia/Shanghai). This is what a hold stops the clock for.
 */
export function workingMsBetween(from: Date, to: Date, calendar: readonly HolidayYear[] = HOLIDAY_CALENDAR): number {
  if (to.getTime() <= from.getTime()) return 0;
  let total = 0;
  let day = shanghaiDate(from);
  for (;;) {
    const start = startOfShanghaiDay(day).getTime();
    const end = start + DAY_MS;
    if (start >= to.getTime()) break;
    if (isWorkingDay(day, calendar)) total += Math.max(0, Math.min(end, to.getTime()) - Math.max(start, from.getTime()));
    day = addDaysToDate(day, 1);
  }
  return total;
}

/**
 * The instant `ms` of working time after `from`, skipping non-working days: how far a deadline
 * moves when its step spent `ms` of working time on hold. `addWorkingMs(t, 0)` is `t`.
 */
export function addWorkingMs(from: Date, ms: number, calendar: readonly HolidayYear[] = HOLIDAY_CALENDAR): Date {
  if (ms <= 0) return new Date(from.getTime());
  let left = ms;
  let t = from.getTime();
  let day = shanghaiDate(from);
  for (;;) {
    const end = startOfShanghaiDay(day).getTime() + DAY_MS;
    if (isWorkingDay(day, calendar)) {
      const avail = end - t;
      if (left <= avail) return new Date(t + left);
      left -= avail;
    }
    day = addDaysToDate(day, 1);
    t = end;
  }
}

/** What a step's deadline depends on. */
export interface StepClock {
  /** When the step started (workflow time). */
  startedAt: Date;
  workingDays: number;
  /** Working time the step has spent on hold so far. */
  heldWorkingMs: number;
}

/** A step's deadline: its working days from the start, pushed back by the working time spent on hold. */
export function stepDueAt(clock: StepClock, calendar: readonly HolidayYear[] = HOLIDAY_CALENDAR): Date {
  return addWorkingMs(addWorkingDays(clock.startedAt, clock.workingDays, calendar), clock.heldWorkingMs, calendar);
}

/** When an overdue step (or supplement) escalates to level 2: three working days after its deadline. */
export function level2At(dueAt: Date, calendar: readonly HolidayYear[] = HOLIDAY_CALENDAR): Date {
  return addWorkingDays(dueAt, LEVEL2_AFTER_WORKING_DAYS, calendar);
}

/** The end (24:00 Asia/Shanghai) of a supplement due date 'YYYY-MM-DD'. */
export function supplementDueAt(dueDate: string): Date {
  return startOfShanghaiDay(addDaysToDate(dueDate, 1));
}

/** Who an escalation goes to: level 1 the county implementing department, level 2 the leadership group's office. */
export function escalationTarget(level: 1 | 2, county: string, department: string): Labelled & { county?: string } {
  if (level === 2) return { ...LEADERSHIP_OFFICE };
  return { ...departmentLabel(department as DepartmentCode), county };
}

/** Why a case escalated. */
export type EscalationReason = 'step_overdue' | 'supplement_overdue' | 'failed_visits';

/** Chinese labels of the escalation reasons. */
export const ESCALATION_REASON_LABELS: Readonly<Record<EscalationReason, string>> = Object.freeze({
  step_overdue: '办理步骤超期',
  supplement_overdue: '容缺材料逾期未补',
  failed_visits: `连续${FAILED_VISITS_TO_ESCALATE}次上门未办成`,
});

/**
 * Where a case was accepted with documents missing (容缺后补): at 申请受理, a green-channel case opened so
 * (plan 四（三）“绿色通道+容缺后补”), or at review (容缺受理).
 */
export const SUPPLEMENT_STAGES = ['acceptance', 'review'] as const;
export type SupplementStage = (typeof SUPPLEMENT_STAGES)[number];
export const SUPPLEMENT_STAGE_LABELS: Readonly<Record<SupplementStage, string>> = Object.freeze({
  acceptance: '申请受理时容缺（绿色通道+容缺后补）', review: '审核时容缺受理',
});

/** Reasons a case is cancelled or withdrawn. */
export const CANCEL_REASONS = ['moved_away', 'died', 'declined', 'other'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];
export const CANCEL_REASON_LABELS: Readonly<Record<CancelReason, string>> = Object.freeze({
  moved_away: '迁出辖区', died: '服务对象死亡', declined: '本人放弃申请', other: '其他原因',
});

/** Outcomes of a home visit. */
export const VISIT_OUTCOMES = ['done', 'nobody_home', 'refused'] as const;
export type VisitOutcome = (typeof VISIT_OUTCOMES)[number];
export const VISIT_OUTCOME_LABELS: Readonly<Record<VisitOutcome, string>> = Object.freeze({
  done: '已办理', nobody_home: '无人在家', refused: '拒绝办理',
});

/** Review decisions. */
export const REVIEW_DECISIONS = ['approve', 'approve_with_missing', 'return', 'reject'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];
export const REVIEW_DECISION_LABELS: Readonly<Record<ReviewDecision, string>> = Object.freeze({
  approve: '审核通过', approve_with_missing: '容缺受理（后补材料）', return: '退回补充材料', reject: '不予办理',
});

/** Every human step of a case, as the API names them. */
export type CaseAction =
  | 'assign' | 'schedule_visit' | 'visit_report' | 'review' | 'supplement' | 'deliver' | 'confirm_receipt'
  | 'cancel' | 'hold' | 'resume' | 'green_channel';

/** What action verbs read like in a 409 reason ("不能<verb>"). */
export const CASE_ACTION_LABELS: Readonly<Record<CaseAction, string>> = Object.freeze({
  assign: '分派工作人员', schedule_visit: '预约上门', visit_report: '登记上门结果', review: '审核',
  supplement: '登记补交材料', deliver: '登记送达', confirm_receipt: '确认签收', cancel: '撤销案件',
  hold: '暂停案件', resume: '恢复案件', green_channel: '开启绿色通道',
});

/** The step each step-bound action belongs to (the others may happen at any open step). */
const ACTION_STEP: Partial<Record<CaseAction, StepKind>> = {
  schedule_visit: 'visit', visit_report: 'visit', review: 'review', deliver: 'delivery', confirm_receipt: 'delivery',
};

/** The minimal view of a case the permission rules look at. */
export interface CaseSituation {
  status: CaseStatus;
  step: CaseStep;
  onHold: boolean;
  greenChannel: boolean;
  assignee?: string;
  /** A delivery is dispatched and waits for receipt. */
  awaitingReceipt: boolean;
  /** Documents are outstanding under 容缺后补. */
  supplementOutstanding: boolean;
}

/**
 * The permission rules' view of a case's state (the view the workflow's update validators build
 * before they call whyNot): a delivery waits for receipt when it is dispatched and not received;
 * documents are outstanding while a 容缺后补 supplement is not fully supplied.
 */
export function situationOf(s: {
  status: CaseStatus; step: CaseStep; onHold: boolean; greenChannel: boolean; assignee?: string;
  delivery?: { receivedAt?: string }; supplement?: { status: string };
}): CaseSituation {
  return {
    status: s.status, step: s.step, onHold: s.onHold, greenChannel: s.greenChannel, assignee: s.assignee,
    awaitingReceipt: s.delivery !== undefined && s.delivery.receivedAt === undefined,
    supplementOutstanding: s.supplement !== undefined && s.supplement.status !== 'supplied',
  };
}

/**
 * Why `action` is not allowed now (a Chinese sentence for the 409), or undefined when it is.
 * The workflow's update validators call this, so the API and the workflow agree.
 */
export function whyNot(action: CaseAction, c: CaseSituation): string | undefined {
  const verb = CASE_ACTION_LABELS[action];
  if (c.status !== 'open') return `案件${CASE_STATUS_LABELS[c.status]}，不能${verb}`;
  if (action === 'resume') return c.onHold ? undefined : `案件未暂停，不能${verb}`;
  if (action === 'cancel') return undefined;
  if (action === 'hold') return c.onHold ? `案件已暂停，不能${verb}` : undefined;
  if (action === 'green_channel') return c.greenChannel ? '案件已开启绿色通道' : undefined;
  if (c.onHold) return `案件已暂停，请先恢复后再${verb}`;
  if (action === 'supplement') {
    return c.supplementOutstanding ? undefined : `案件没有待补交的容缺材料，不能${verb}`;
  }
  if (action === 'assign') {
    return c.step === 'ledger' || c.step === 'done' ? `案件当前处于${CASE_STEP_LABELS[c.step]}步骤，不能${verb}` : undefined;
  }
  const needed = ACTION_STEP[action];
  if (needed && c.step !== needed) return `案件当前处于${CASE_STEP_LABELS[c.step]}步骤，不能${verb}`;
  if (action === 'deliver' && c.awaitingReceipt) return undefined; // re-dispatch (e.g. mail returned) is allowed
  if (action === 'confirm_receipt' && !c.awaitingReceipt) return `证照尚未寄送，不能${verb}`;
  return undefined;
}
