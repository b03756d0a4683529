/**
 * The one vocabulary of doorstep: every code a case, a plan, a user or an export speaks, defined once
 * as an `as const` tuple with its Chinese labels. Everything else derives from these: the workflow
 * types, the drizzle column types (`.$type<>()`), the zod enums of the routes, the presenters' and
 * exports' labels. Add a code here and the compiler shows every table that must learn it.
 */
import type { Labelled } from './labels';

/** Workflow steps of a one-off case (the needs survey happens before a case exists). */
export const STEP_KINDS = ['assignment', 'visit', 'review', 'delivery', 'ledger'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** The steps a case can be in: the catalog's, plus `done` once it has ended. */
export const CASE_STEPS = [...STEP_KINDS, 'done'] as const;
export type CaseStep = (typeof CASE_STEPS)[number];

/** Chinese names of the case steps, including the end. */
export const CASE_STEP_LABELS: Readonly<Record<CaseStep, string>> = Object.freeze({
  assignment: '分派', visit: '上门办理', review: '审核', delivery: '证照送达', ledger: '台账共享', done: '已结束',
});

/** Where a case stands as a whole. */
export const CASE_STATUSES = ['open', 'closed', 'cancelled', 'rejected'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export const CASE_STATUS_LABELS: Readonly<Record<CaseStatus, string>> = Object.freeze({
  open: '办理中', closed: '已办结', cancelled: '已撤销', rejected: '不予办理',
});

/** Where an ongoing plan stands. */
export const PLAN_STATUSES = ['pending', 'active', 'ended'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];
export const PLAN_STATUS_LABELS: Readonly<Record<PlanStatus, string>> = Object.freeze({
  pending: '待开始', active: '服务中', ended: '已结束',
});

/** How a certificate or result reaches the person. */
export const DELIVERY_METHODS = ['electronic', 'post', 'express', 'in_person'] as const;
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number];
export const DELIVERY_METHOD_LABELS: Readonly<Record<DeliveryMethod, string>> = Object.freeze({
  electronic: '电子证照', post: '邮寄', express: '快递', in_person: '当面送达',
});

/** Kinds of evidence recorded at a home visit or a plan session. */
export const EVIDENCE_KINDS = ['photo', 'video', 'document', 'signature'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];
export const EVIDENCE_KIND_LABELS: Readonly<Record<EvidenceKind, string>> = Object.freeze({
  photo: '照片', video: '录像', document: '材料', signature: '签字确认',
});

/** The types of a case's timeline events (workflows/serviceCase records them; case_events stores them). */
export const CASE_EVENT_TYPES = [
  'opened', 'step_started', 'assigned', 'reassigned', 'visit_scheduled', 'visit_rescheduled', 'visit_done', 'visit_failed',
  'reviewed', 'returned', 'rejected', 'supplement_supplied', 'supplement_overdue', 'dispatched', 'redispatched', 'received',
  'ledger_shared', 'closed', 'cancelled', 'held', 'resumed', 'green_channel_on', 'overdue', 'escalated', 'calendar_updated',
  'policy_updated',
] as const;
export type CaseEventType = (typeof CASE_EVENT_TYPES)[number];
export const CASE_EVENT_LABELS: Readonly<Record<CaseEventType, string>> = Object.freeze({
  opened: '开案', step_started: '进入步骤', assigned: '分派', reassigned: '改派', visit_scheduled: '预约上门', visit_rescheduled: '改约上门',
  visit_done: '上门办理完成', visit_failed: '上门未办成', reviewed: '审核通过', returned: '退回补充材料', rejected: '不予办理',
  supplement_supplied: '补交材料', supplement_overdue: '容缺材料逾期', dispatched: '寄送', redispatched: '重新寄送', received: '签收',
  ledger_shared: '已登记工作台账（随月度台账共享残联）', closed: '办结', cancelled: '撤销', held: '暂停', resumed: '恢复',
  green_channel_on: '开启绿色通道', overdue: '超期', escalated: '督办升级', calendar_updated: '节假日安排更新',
  policy_updated: '办理时限规则更新',
});

/**
 * Item 11 (家政服务), plan 三（四）11: "利用'阳光家园计划'残疾人托养服务项目资金，通过政府购买服务或民政部门社区
 * 居家养老、社区'阳光家园''邻里守望'及志愿服务等方式". Where the money comes from and how the service
 * is delivered are two separate things: one funding source, one or more delivery ways.
 */
export const HOUSEKEEPING_FUNDING_SOURCES = ['sunshine_home_funds', 'other'] as const;
export type HousekeepingFundingSource = (typeof HOUSEKEEPING_FUNDING_SOURCES)[number];
export const HOUSEKEEPING_FUNDING_LABELS: Readonly<Record<HousekeepingFundingSource, string>> = Object.freeze({
  sunshine_home_funds: '“阳光家园计划”残疾人托养服务项目资金', other: '其他资金（须注明）',
});
export const HOUSEKEEPING_DELIVERY_WAYS = ['government_purchase', 'community_home_care', 'community_sunshine_home', 'neighbourhood_watch', 'volunteer_service', 'other'] as const;
export type HousekeepingDeliveryWay = (typeof HOUSEKEEPING_DELIVERY_WAYS)[number];
export const HOUSEKEEPING_DELIVERY_LABELS: Readonly<Record<HousekeepingDeliveryWay, string>> = Object.freeze({
  government_purchase: '政府购买服务', community_home_care: '民政部门社区居家养老', community_sunshine_home: '社区“阳光家园”',
  neighbourhood_watch: '“邻里守望”', volunteer_service: '志愿服务', other: '其他方式（须注明）',
});

/** Roles of the staff who use doorstep (api/auth decides what each may do). */
/**
 * Where a county department's quarterly statistics table stands for the city's board: a draft (not
 * submitted while the quarter runs), submitted, or overdue (not submitted when the quarter has ended).
 */
export const REPORT_STATES = ['draft', 'submitted', 'overdue'] as const;
export type ReportState = (typeof REPORT_STATES)[number];
export const REPORT_STATE_LABELS: Readonly<Record<ReportState, string>> = Object.freeze({
  draft: '草稿', submitted: '已报送', overdue: '逾期',
});

export const ROLES = ['coordinator', 'worker', 'reviewer', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const ROLE_LABELS: Readonly<Record<Role, string>> = Object.freeze({
  coordinator: '协调员', worker: '上门工作人员', reviewer: '审核员', supervisor: '督导', admin: '管理员',
});

/**
 * `{ code, label }` of a code in a label table; a code the table does not know keeps itself as its label.
 * The code keeps its own type (a `CaseStatus` stays one), so response schemas can name the vocabulary's codes.
 */
export function labelOf<T extends string, C extends string = string>(code: C, table: Readonly<Record<T, string>>): Labelled & { code: C } {
  return { code, label: (table as Readonly<Record<string, string>>)[code] ?? code };
}
