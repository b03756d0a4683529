/**
 * The workflow contract: the one module that the API, the worker and the workflows share.
 * Task queue, workflow ids, message definitions, input/state types and search attributes.
 * Imports only @temporalio/workflow-safe modules, so the workflow bundle can include it.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
}

export type CaseStatus = 'open' | 'closed' | 'cancelled' | 'rejected';

/** One entry of a case's timeline. `seq` numbers events from 1; projection is idempotent on (caseId, seq). */
export interface CaseEvent {
  seq: number;
  type: string;
  at: string;
  actor?: string;
  step?: string;
  data?: Record<string, unknown>;
}

/** The whole state of a case, as the getState query returns it. */
export interface CaseState {
  input: CaseInput;
  status: CaseStatus;
  step: string;
  assignee?: string;
  greenChannel: boolean;
  onHold: boolean;
  overdue: boolean;
  escalationLevel: number;
  dueAt?: string;
  supplementDueAt?: string;
  events: CaseEvent[];
  [extra: string]: unknown;
}

export const getCaseStateQuery = defineQuery<CaseState>('getState');

/** A human step's update: every one carries the acting user, and the API derives its update id from the Idempotency-Key. */
export interface StepActor { actor: string; actorName?: string }
export const cancelCaseUpdate = defineUpdate<CaseState, [StepActor & { reason: string; detail?: string }]>('cancel');
