/** What /v1/cases answers: the case view (api/presenters/case.ts presentCase), a list row, a stored evidence file. */
import { z } from 'zod';
import { CANCEL_REASONS, REVIEW_DECISIONS, SUPPLEMENT_STAGES, VISIT_OUTCOMES } from '../../domain/caseFlow';
import { CASE_EVENT_TYPES, CASE_STATUSES, CASE_STEPS, DELIVERY_METHODS, EVIDENCE_KINDS, ROLES } from '../../domain/vocabulary';
import { instant, labelled, labelledOf, pageOf, day } from './common';
import { CASE_VIEW_ACTIONS } from '../services/casePermissions';
import { subjectContact } from './subjects';

const caseStatus = labelledOf(CASE_STATUSES);
const caseStep = labelledOf(CASE_STEPS);
const evidenceKind = labelledOf(EVIDENCE_KINDS);
const sha256 = z.string().describe('文件的 sha256');

const visit = z.object({
  n: z.number().int(),
  scheduledAt: instant.optional(),
  scheduledBy: z.string().optional(),
  outcome: labelledOf(VISIT_OUTCOMES).nullable(),
  reportedAt: instant.optional(),
  reportedBy: z.string().optional(),
  evidence: z.array(z.object({ sha256, kind: evidenceKind })),
  notes: z.string().optional(),
});

const review = z.object({
  decision: labelledOf(REVIEW_DECISIONS),
  at: instant,
  by: z.string(),
  reason: z.string().optional(),
  missing: z.array(z.string()).optional(),
});

const supplement = z.object({
  stage: labelledOf(SUPPLEMENT_STAGES).describe('容缺的环节：申请受理时（绿色通道+容缺后补）或审核时'),
  missing: z.array(z.string()),
  outstanding: z.array(z.string()).describe('尚未补交的材料'),
  supplied: z.array(z.string()),
  dueDate: day,
  dueAt: instant,
  status: z.enum(['pending', 'overdue', 'supplied']),
  suppliedAt: instant.optional(),
  late: z.boolean().optional(),
  escalationLevel: z.number().int(),
  evidence: z.array(z.object({ sha256, kind: z.enum(EVIDENCE_KINDS) })),
});

const delivery = z.object({
  method: labelledOf(DELIVERY_METHODS),
  trackingNumber: z.string().optional(),
  dispatchedAt: instant,
  dispatchedBy: z.string(),
  receivedAt: instant.optional(),
  confirmedBy: z.string().optional(),
});

const hold = z.object({ from: instant, to: instant.optional(), reason: z.string(), workingMs: z.number().optional() });

const escalation = z.object({
  level: z.number().int(),
  reason: labelled,
  step: z.enum(CASE_STEPS),
  at: instant,
  target: z.object({ code: z.string(), label: z.string(), county: z.string().optional() }),
});

const timelineEvent = z.object({
  seq: z.number().int(),
  type: z.enum(CASE_EVENT_TYPES),
  label: z.string(),
  at: instant,
  actor: z.string().optional(),
  step: z.enum(CASE_STEPS).optional(),
  data: z.record(z.string(), z.unknown()).optional().describe('事件数据（随事件类型而定）'),
});

/** One action of the case for the caller: allowed now, or why not (the reason the API would answer with, and its status). */
export const allowedAction = z.object({
  action: z.enum(CASE_VIEW_ACTIONS),
  label: z.string(),
  allowed: z.boolean(),
  reason: z.string().optional().describe('不可办理的原因（中文）'),
  status: z.union([z.literal(403), z.literal(409)]).optional().describe('仍提交时的应答状态：403 角色或经办人不符，409 案件当前状态不允许'),
});

/** What the case view and a list row both show. */
const caseFields = {
  id: z.string(),
  subjectId: z.string(),
  status: caseStatus,
  step: caseStep,
  item: labelled,
  action: labelled,
  county: labelled,
  department: labelled,
  greenChannel: z.boolean(),
  onHold: z.boolean(),
  overdue: z.boolean(),
  escalationLevel: z.number().int(),
  assignee: z.string().nullable(),
  dueAt: instant.nullable(),
};

/** One case: the workflow's state with labels, plus the read model's projection marker. */
export const caseView = z.object({
  ...caseFields,
  steps: z.array(caseStep),
  catalogVersion: z.string(),
  stepStartedAt: instant.nullable(),
  stepWorkingDays: z.number().nullable(),
  supplementDueAt: instant.nullable(),
  openedAt: instant,
  openedBy: z.string(),
  closedAt: instant.nullable(),
  outcome: labelled.nullable(),
  completedOnTime: z.boolean().nullable(),
  lateSteps: z.array(caseStep),
  visits: z.array(visit),
  failedVisits: z.number().int(),
  evidence: z.array(z.object({ sha256, kind: evidenceKind, url: z.string() })),
  reviews: z.array(review),
  supplement: supplement.nullable(),
  stepDeadlineRule: z.object({ key: z.literal('deadlines.steps'), version: z.number().int(), enforced: z.boolean(), effect: labelled })
    .describe('本案遵循的办理时限规则（本地设定）：执行时超期督办升级，建议时仅作提醒'),
  delivery: delivery.nullable(),
  holds: z.array(hold),
  escalations: z.array(escalation),
  cancellation: z.object({ reason: labelledOf(CANCEL_REASONS), detail: z.string().optional() }).nullable(),
  timeline: z.array(timelineEvent),
  allowedActions: z.array(allowedAction).describe('调用者现在可办理的操作；不可办理的附原因（与实际提交时 403/409 的原因相同）'),
  readModel: z.object({ lastEventSeq: z.number().int(), status: z.enum(CASE_STATUSES), step: z.enum(CASE_STEPS), updatedAt: instant }).nullable(),
});

/** One row of the case list (read model only). */
export const caseRowView = z.object({
  ...caseFields,
  subject: subjectContact.nullable().describe('服务对象：姓名、地址、电话（默认脱敏）'),
  nextVisitAt: instant.nullable().describe('已预约、尚未登记结果的上门时间'),
  supplementDueAt: instant.nullable(),
  openedAt: instant,
  closedAt: instant.nullable(),
  outcome: labelled.nullable(),
  lastEventSeq: z.number().int(),
  lastEventAt: instant,
});

export const caseList = pageOf(caseRowView);

/** An evidence file as stored. */
export const storedEvidence = z.object({ sha256, size: z.number().int(), contentType: z.string() });

/** Who a case may be assigned to (GET /v1/cases/:id/assignees). */
export const assigneeList = z.object({
  items: z.array(z.object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    role: labelledOf(ROLES),
    open: z.number().int().describe('在办案件数'),
    current: z.boolean().describe('是否为本案当前经办人'),
  })),
});
