/**
 * The servicePlan contract: what the API, the worker and the plan workflow share about ongoing
 * service plans (items 5, 6, 7, 11, 12) — input, carried state, the state query, the updates.
 * The workflow id is `planWorkflowId(planId)` from ./contract. Imports only workflow-safe modules.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Cadence } from '../domain/catalog';
import type { EvidenceKind, PlanStatus } from '../domain/vocabulary';
import type { PeriodProgress, PeriodVerdict, PlanPeriod } from '../domain/planPeriods';

export { planWorkflowId } from './contract';

/** The failure type of a rejected plan update; the API answers 409 with its message. */
export const PLAN_STEP_NOT_ALLOWED = 'PlanStepNotAllowed';

/** Who delivers the sessions. */
export const PROVIDER_TYPES = ['rehabilitation_institution', 'school', 'family_doctor', 'volunteer_team', 'service_company'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];
export interface PlanProvider { type: ProviderType; name: string }

/** What starts a plan. The subject is known by id only; dates are Asia/Shanghai calendar days. */
export interface PlanInput {
  planId: string;
  subjectId: string;
  itemCode: string;
  actionCode: string;
  county: string;
  department: string;
  catalogVersion: string;
  /** The item's cadence in the catalog version in force at enrolment. */
  cadence: Cadence;
  provider: PlanProvider;
  /** First day of service. */
  startDate: string;
  /** Last day of service, when the plan has one. */
  endDate?: string;
  /** Children's rehabilitation: the 7th birthday, on which the plan stops (the day before is the last day of service). */
  ageOutOn?: string;
  enrolledAt: string;
  enrolledBy: string;
  /** sha256 of the enrolling request, to tell a retried request from a reused Idempotency-Key. */
  requestHash: string;
  needId?: string;
}

export type PlanEndReason = 'end_date' | 'withdrawn' | 'aged_out';

/** A piece of evidence of a session: an uploaded file by sha256, and what it shows. */
export interface PlanEvidence { sha256: string; kind: EvidenceKind }

/** One recorded session. `units` are minutes, or class hours for home schooling. */
export interface PlanSession {
  id: string;
  period: string;
  date: string;
  units: number;
  unit: 'minutes' | 'class_hours';
  providerStaff: string;
  content: string;
  evidence: PlanEvidence[];
  recordedBy: string;
  recordedAt: string;
}

/** What a provider's staff member records. */
export interface RecordSessionRequest {
  actor: string;
  date: string;
  units: number;
  providerStaff: string;
  content: string;
  evidence?: PlanEvidence[];
}

/** A checked period, as carried across continue-as-new (small: no sessions, no weeks). */
export interface PastPeriod {
  key: string;
  start: string;
  end: string;
  sessions: number;
  qualifying: number;
  required: number;
  compliant: boolean;
  partial: boolean;
  summary: string;
  shortfall: string | null;
  escalatedTo?: string;
  checkedAt: string;
}

/** How a plan ended. */
export interface PlanEnd {
  reason: PlanEndReason;
  /** Last day of service. */
  lastDay: string;
  at: string;
  by?: string;
  /** In Chinese, for the plan view and the ledger. */
  detail: string;
}

/** State carried from one run (one period) to the next: small however long the plan runs. */
export interface PlanCarry {
  /** Projection sequence, increasing across runs. */
  seq: number;
  /** The period this run checks. */
  periodKey: string;
  /** 1-based number of this run. */
  run: number;
  /** The last RECENT_PERIODS checked periods, newest last; older ones are in plan_periods. */
  recent: PastPeriod[];
  totals: { periods: number; compliant: number; sessions: number };
  /** Consecutive non-compliant periods (the escalation level). */
  consecutiveShortfalls: number;
}

/** How many past periods a run carries (the rest are read from plan_periods). */
export const RECENT_PERIODS = 6;
/** The most sessions one period accepts: bounds a run's history. */
export const MAX_SESSIONS_PER_PERIOD = 100;

/** The whole state of a plan run, as the getState query returns it. */
export interface PlanState {
  input: PlanInput;
  status: PlanStatus;
  carry: PlanCarry;
  /** The current period (null before the start date). */
  period: PlanPeriod | null;
  sessions: PlanSession[];
  progress: PeriodProgress | null;
  escalationLevel: number;
  end?: PlanEnd;
  /** Workflow time, as an Asia/Shanghai date. */
  today: string;
  runId: string;
  historyLength: number;
}

export interface WithdrawRequest { actor: string; reason: string }

export const getPlanStateQuery = defineQuery<PlanState>('getPlanState');
export const recordSessionUpdate = defineUpdate<PlanSession, [RecordSessionRequest]>('recordSession');
export const withdrawPlanUpdate = defineUpdate<PlanState, [WithdrawRequest]>('withdrawPlan');

/** Input of the period-verdict projection. */
export interface PlanPeriodVerdictInput {
  planId: string;
  period: PlanPeriod;
  verdict: PeriodVerdict;
  escalatedTo: string | null;
  checkedAt: string;
  lastSessionOn: string | null;
  providerName: string;
  ledgerEntryId: string;
}
