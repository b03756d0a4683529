/**
 * The worker's activities, built by a factory over their dependencies so tests can pass
 * real or fake ones without module mocking.
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { pruneIdempotencyKeys } from '../db/queries/idempotency';
import { writeCaseLedgerEntry, writePlanPeriodLedgerEntry } from './ledger';
import { projectCase, projectCaseEvents, type ProjectCaseEventsInput, type ProjectCaseInput } from './projection';
import { projectPlan, recordPlanPeriod, type ProjectPlanInput } from './plans';
import { reconcile, type ReconcileReport } from './reconcile';
import { trackProjection } from './projectionLag';
import { reportingActivities } from './reporting';
import { subjectImportActivities } from './subjectImport';
import type { NotifyConfig, SmsProvider } from './notifications/channels';
import { notificationActivities } from './notifications';

export interface ActivityDeps {
  db: Db;
  now?: () => Date;
  /** Where notifications go (config.ts NOTIFY_*; bin/notifyConfig); without it no external channel is configured. */
  notify?: NotifyConfig;
  /** Another SMS provider than the configured HTTP endpoint. */
  sms?: SmsProvider;
  /** A workflow client, for the activities that read workflows' own state (reconciliation). */
  temporal?: Client;
}

/** What the nightly reconciliation reports back to its workflow (counts only; the findings are in PostgreSQL). */
export type ReconcileSummary = Omit<ReconcileReport, 'findings'> & { findings: number };

export function createActivities(deps: ActivityDeps) {
  return {
    ...reportingActivities(deps.db),
    ...subjectImportActivities(deps.db),
    ...notificationActivities(deps),
    /** Projects one case transition into PostgreSQL (idempotent). */
    async projectCase(input: ProjectCaseInput): Promise<void> {
      await projectCase(deps.db, input);
    },
    /** Projects a batch of case events and the row snapshot after them into PostgreSQL (idempotent; caseEngine). */
    async projectCaseEvents(input: ProjectCaseEventsInput): Promise<void> {
      const first = input.state.events.find((e) => e.seq >= input.fromSeq);
      if (!first) return;
      await trackProjection(input.state.input.caseId, new Date(first.at), () => projectCaseEvents(deps.db, input));
    },
    /** Writes a finished case's ledger row (idempotent). */
    async writeCaseLedgerEntry(input: Parameters<typeof writeCaseLedgerEntry>[1]): Promise<string> {
      return writeCaseLedgerEntry(deps.db, input);
    },
    /** Writes a checked plan period's ledger row (idempotent). */
    async writePlanPeriodLedgerEntry(input: Parameters<typeof writePlanPeriodLedgerEntry>[1]): Promise<string> {
      return writePlanPeriodLedgerEntry(deps.db, input);
    },
    /** Projects a plan snapshot (and a new session) into PostgreSQL (idempotent). */
    async projectPlan(input: ProjectPlanInput): Promise<void> {
      await projectPlan(deps.db, input);
    },
    /** Reconciles the read model with the workflows (activities/reconcile.ts), heartbeating its progress. */
    async reconcileReadModel(input: { repair: boolean; days: number }): Promise<ReconcileSummary> {
      if (!deps.temporal) throw ApplicationFailure.nonRetryable('this worker has no Temporal client for reconciliation');
      const report = await reconcile(deps.db, deps.temporal, { ...input, trigger: 'schedule', taskQueue: activityInfo().taskQueue, onChecked: (done, total) => heartbeat({ done, total }) });
      if (report.error) throw new Error(`reconciliation stopped: ${report.error}`);
      return { ...report, findings: report.findings.length };
    },
    /** Removes Idempotency-Key records past their retention. */
    async pruneIdempotencyKeys(): Promise<number> {
      return pruneIdempotencyKeys(deps.db, (deps.now ?? (() => new Date()))());
    },
    /** Writes a checked plan period's verdict (idempotent). */
    async recordPlanPeriod(input: Parameters<typeof recordPlanPeriod>[1]): Promise<void> {
      await recordPlanPeriod(deps.db, input);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
