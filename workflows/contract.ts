/**
 * The workflow contract: the one module that the API, the worker and the workflows share.
 * Task queue, workflow ids, message definitions, input/state types and search attributes.
 * Imports only @temporalio/workflow-safe modules, so the workflow bundle can include it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { HolidayYear } from '../domain/calendar';
import type { CancelReason, EscalationReason, ReviewDecision, VisitOutcome } from '../domain/caseFlow';
import type { CaseEventType, CaseStatus, CaseStep, DeliveryMethod, EvidenceKind, StepKind } from '../domain/vocabulary';

export const TASK_QUEUE = 'doorstep';

/** Workflow id of a case: deterministic from the case id, so a retried start can never open a second workflow. */
export const caseWorkflowId = (caseId: string): string => `case-${caseId}`;
/** Workflow id of an ongoing plan. */
export const planWorkflowId = (planId: string): string => `plan-${planId}`;

/** Search attributes kept current by the workflows (no personal data: codes and times only). */
export const SA = {
  county: defineSearchAttributeKey('DoorstepCounty', SearchAttributeType.KEYWORD),
  department: defineSearchAttributeKey('DoorstepDepartment', SearchAttributeType.KEYWORD),
  item: defineSearchAttributeKey('DoorstepItem', SearchAttributeType.KEYWORD),
  step: defineSearchAttributeKey('DoorstepStep', SearchAttributeType.KEYWORD),
  dueAt: defineSearchAttributeKey('DoorstepDueAt', SearchAttributeType.DATETIME),
  overdue: defineSearchAttributeKey('DoorstepOverdue', SearchAttributeType.BOOL),
  greenChannel: defineSearchAttributeKey('DoorstepGreenChannel', SearchAttributeType.BOOL),
} as const;

/** All search attribute keys, for registering them with a server. */
export const SEARCH_ATTRIBUTE_KEYS = Object.values(SA);

/** The search attributes a case starts with (codes only: no personal data). */
export function caseStartSearchAttributes(input: Pick<CaseInput, 'county' | 'department' | 'itemCode' | 'greenChannel'>) {
  return [
    { key: SA.county, value: input.county },
    { key: SA.department, value: input.department },
    { key: SA.item, value: input.itemCode },
    { key: SA.step, value: 'assignment' },
    { key: SA.greenChannel, value: input.greenChannel },
    { key: SA.overdue, value: false },
  ];
}

/** What starts a case. Personal data stays in PostgreSQL: the workflow knows the subject by id only. */
export interface CaseInput {
  caseId: string;
  subjectId: string;
  itemCode: string;
  actionCode: string;
  county: string;
  department: string;
  /** The catalog version in force when the case opened; the workflow reads its action from this snapshot. */
  catalogVersion: string;
  greenChannel: boolean;
  /** ISO time the case was opened (the API's clock; the workflow's own time for everything after). */
  openedAt: string;
  openedBy: string;
  /** sha256 of the creating request, to tell a retried request from a reused Idempotency-Key. */
  requestHash: string;
  surveyId?: string;
  notes?: string;
  /**
   * The holiday table in force when the case opened (domain/calendar HOLIDAY_CALENDAR). A running case
   * keeps it, so a later code change never moves its deadlines; the setCalendar signal replaces it
   * (e.g. when the State Council publishes next year's schedule). Absent: the table built into the code.
   */
  calendar?: HolidayYear[];
  /**
   * The step-deadline rule in force when the case opened (policy `deadlines.steps`, a local rule): a
   * passed step deadline escalates only while it is enforced. The setPolicy signal replaces it.
   * Absent: advisory (the rule's default).
   */
  stepDeadlines?: StepDeadlineRule;
  /**
   * 绿色通道+容缺后补 at 申请受理 (plan 四（三）): a green-channel case accepted with these documents missing,
   * to be supplied by `supplementDueDate` (YYYY-MM-DD, Asia/Shanghai). The supplement runs beside the main path.
   */
  acceptWithMissing?: { missing: string[]; supplementDueDate: string };
}

/** The version of the step-deadline rule a case follows, and whether an admin enforces it. */
export interface StepDeadlineRule { version: number; enforced: boolean }

/** One entry of a case's timeline. `seq` numbers events from 1; projection is idempotent on (caseId, seq). */
export interface CaseEvent {
  seq: number;
  type: CaseEventType;
  at: string;
  actor?: string;
  step?: CaseStep;
  data?: Record<string, unknown>;
}

/** A piece of evidence: an uploaded file (by sha256) and what it shows. */
export interface EvidenceRef { sha256: string; kind: EvidenceKind }

/** One home visit: scheduled, then reported. */
export interface Visit {
  n: number;
  scheduledAt?: string;
  scheduledBy?: string;
  outcome?: VisitOutcome;
  reportedAt?: string;
  reportedBy?: string;
  evidence: EvidenceRef[];
  notes?: string;
}

/** A review decision. */
export interface Review {
  decision: ReviewDecision;
  at: string;
  by: string;
  reason?: string;
  missing?: string[];
}

/** Documents accepted as missing (容缺后补), with their deadline. */
export interface Supplement {
  /** Where the case was accepted with them missing: at 申请受理 (a green-channel case opened so) or at review. Absent: review. */
  stage?: 'acceptance' | 'review';
  missing: string[];
  supplied: string[];
  dueDate: string;
  dueAt: string;
  status: 'pending' | 'overdue' | 'supplied';
  suppliedAt?: string;
  late?: boolean;
  escalationLevel: number;
  evidence: EvidenceRef[];
}

/** A dispatched certificate or result. */
export interface Delivery {
  method: DeliveryMethod;
  trackingNumber?: string;
  dispatchedAt: string;
  dispatchedBy: string;
  receivedAt?: string;
  confirmedBy?: string;
}

/** One escalation, as a supervisor sees it. */
export interface Escalation {
  level: 1 | 2;
  reason: EscalationReason;
  step: CaseStep;
  at: string;
  target: { code: string; label: string; county?: string };
}

/** One period on hold. */
export interface Hold { from: string; to?: string; reason: string; workingMs?: number }

/** The whole state of a case, as the getState query returns it. */
export interface CaseState {
  input: CaseInput;
  status: CaseStatus;
  step: CaseStep;
  /** The action's steps in order (from its catalog version). */
  steps: StepKind[];
  assignee?: string;
  greenChannel: boolean;
  onHold: boolean;
  /** The current step (or the supplement) is past its deadline. */
  overdue: boolean;
  /** Highest escalation in force: 0 none, 1 county department, 2 leadership group's office. */
  escalationLevel: number;
  /** The current step's deadline (hold-adjusted); absent once ended or while the ledger waits for a supplement. */
  dueAt?: string;
  supplementDueAt?: string;
  stepStartedAt: string;
  stepWorkingDays: number;
  /** Working time the current step has spent on hold. */
  stepHeldWorkingMs: number;
  /** Escalation level of the current step (reset when a step starts). */
  stepEscalationLevel: number;
  holds: Hold[];
  visits: Visit[];
  failedVisits: number;
  evidence: EvidenceRef[];
  reviews: Review[];
  supplement?: Supplement;
  delivery?: Delivery;
  escalations: Escalation[];
  /** The step-deadline rule the case follows now (absent in cases opened before it travelled with them). */
  stepDeadlines?: StepDeadlineRule;
  /** Steps that went past their deadline. */
  lateSteps: StepKind[];
  visitedAt?: string;
  reviewedAt?: string;
  deliveredAt?: string;
  closedAt?: string;
  /** How the case ended (the ledger's 办理结果 reads it). */
  outcome?: 'approved' | 'approved_with_missing' | 'rejected' | 'cancelled';
  cancellation?: { reason: CancelReason; detail?: string };
  completedOnTime?: boolean;
  ledger?: { writtenAt: string; result?: unknown };
  events: CaseEvent[];
}

export const getCaseStateQuery = defineQuery<CaseState>('getState');

/** Replaces the holiday table a running case counts working days with (the current step's deadline is recomputed). */
export const setCalendarSignal = defineSignal<[{ calendar: HolidayYear[] }]>('setCalendar');

/**
 * Sends a running case the step-deadline rule now in force (api/services/policyBroadcast.ts, when an
 * admin changes `deadlines.steps`): from then on a passed step deadline escalates only if it is enforced.
 */
export const setPolicySignal = defineSignal<[{ stepDeadlines: StepDeadlineRule }]>('setPolicy');

/** A human step's update: every one carries the acting user; the API derives its update id from the Idempotency-Key. */
export interface StepActor {
  actor: string;
  /** The acting user's role: the validator lets a worker act only on a case assigned to them. */
  actorRole?: string;
}

export interface AssignRequest extends StepActor { assignee: string; note?: string }
export interface ScheduleVisitRequest extends StepActor { scheduledAt: string; note?: string }
export interface VisitReportRequest extends StepActor { outcome: VisitOutcome; evidence: EvidenceRef[]; notes?: string }
export type ReviewRequest = StepActor & (
  | { decision: 'approve'; note?: string }
  | { decision: 'approve_with_missing'; missing: string[]; supplementDueDate: string; note?: string }
  | { decision: 'return'; reason: string }
  | { decision: 'reject'; reason: string }
);
export interface SupplementRequest extends StepActor { documents: string[]; evidence?: EvidenceRef[] }
export interface DeliverRequest extends StepActor { method: DeliveryMethod; trackingNumber?: string }
export interface ConfirmReceiptRequest extends StepActor { receivedAt?: string; note?: string }
export interface CancelRequest extends StepActor { reason: CancelReason; detail?: string }
export interface HoldRequest extends StepActor { reason: string }

/** Answers once the case's opening is projected into the read model (the API awaits it before answering POST /v1/cases). */
export const openedUpdate = defineUpdate<CaseState, []>('opened');
export const assignUpdate = defineUpdate<CaseState, [AssignRequest]>('assign');
export const scheduleVisitUpdate = defineUpdate<CaseState, [ScheduleVisitRequest]>('scheduleVisit');
export const visitReportUpdate = defineUpdate<CaseState, [VisitReportRequest]>('visitReport');
export const reviewUpdate = defineUpdate<CaseState, [ReviewRequest]>('review');
export const supplementUpdate = defineUpdate<CaseState, [SupplementRequest]>('supplement');
export const deliverUpdate = defineUpdate<CaseState, [DeliverRequest]>('deliver');
export const confirmReceiptUpdate = defineUpdate<CaseState, [ConfirmReceiptRequest]>('confirmReceipt');
export const cancelCaseUpdate = defineUpdate<CaseState, [CancelRequest]>('cancel');
export const holdUpdate = defineUpdate<CaseState, [HoldRequest]>('hold');
export const resumeUpdate = defineUpdate<CaseState, [StepActor]>('resume');
export const greenChannelUpdate = defineUpdate<CaseState, [StepActor]>('greenChannel');

/** The failure type a validator throws for a step not allowed now (the API answers 409 with its message). */
export const STEP_NOT_ALLOWED = 'StepNotAllowed';
/** The failure type for a worker acting on a case not assigned to them (the API answers 403). */
export const NOT_ASSIGNEE = 'NotAssignee';

/**
 * The workflow type new cases start (workflows/caseEngine.ts). `serviceCase` (workflows/serviceCase.ts)
 * stays registered, frozen, for cases opened before it; both answer the same updates and query.
 */
export const CASE_WORKFLOW_TYPE = 'caseEngine';
