/**
 * Reconciliation: the read model against each workflow's own state, field by field.
 *
 * Which cases and plans: every one open in the read model or running in Temporal, and those that ended
 * in the last `days` days (in either). For each, the workflow's state comes from its own query
 * (getState / getPlanState), never from history parsing; the read model is the row and its events
 * (case_events) or its sessions (plan_sessions of the current period). A difference seen once is read
 * again after `settleMs` (a projection may be in flight) and reported only if it stays.
 *
 * With `repair`, a case is projected again from its workflow's state (the whole timeline, authoritative
 * from seq 1, as the workflow's own writes are: activities/projection.ts), then the workflow is asked
 * again: if it moved meanwhile, the newer state is written. A plan's row is rewritten from its state and
 * its missing sessions inserted, sessions the workflow does not hold removed.
 *
 * Findings carry codes, times, counts and ids only (never names, ID numbers or free text: event data is
 * compared but reported as "differs"). Every run is recorded (reconciliation_runs/_findings), listed for
 * admins at GET /v1/admin/reconciliation and counted by the doorstep_reconciliation_* gauges.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { and, asc, eq, gt, isNotNull, ne, notInArray, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { canonicalJson } from '../domain/canonicalJson';
import { caseEvents, cases, plans, planSessions, reconciliationFindings, reconciliationRuns } from '../db/schema';
import { caseWorkflowId, getCaseStateQuery, planWorkflowId, type CaseState } from '../workflows/contract';
import { getPlanStateQuery, type PlanState } from '../workflows/planContract';
import { planRowFromState } from './plans';
import { caseRowFromState, projectCaseEvents } from './projection';

export type ReconcileTrigger = 'cli' | 'schedule' | 'api';

export interface ReconcileOptions {
  repair: boolean;
  /** Ended cases and plans are checked when they ended within this many days. */
  days: number;
  trigger: ReconcileTrigger;
  /** Only workflows of this task queue (the deployment's: TEMPORAL_TASK_QUEUE). */
  taskQueue?: string;
  now?: Date;
  /** Workflows queried at once. */
  concurrency?: number;
  /** How long a difference is given to settle (a projection in flight) before it counts. */
  settleMs?: number;
  /** Called after each case or plan (progress, heartbeats). */
  onChecked?: (done: number, total: number) => void;
}

export interface Finding {
  kind: 'case' | 'plan';
  entityId: string;
  county: string | null;
  department: string | null;
  field: string;
  readModel: string | null;
  workflow: string | null;
  repaired: boolean;
}

export interface ReconcileReport {
  runId: string;
  casesChecked: number;
  plansChecked: number;
  findings: Finding[];
  repaired: number;
  error?: string;
}

interface Difference { field: string; readModel: string | null; workflow: string | null }

const iso = (d: Date | string | null | undefined): string | null => (d === null || d === undefined ? null : new Date(d).toISOString());
const text = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v).slice(0, 120));

/** Compares named columns of an expected and an actual row. */
function diffColumns(expected: Record<string, unknown>, actual: Record<string, unknown>, columns: readonly string[]): Difference[] {
  const out: Difference[] = [];
  for (const c of columns) {
    const want = text(expected[c] instanceof Date ? iso(expected[c] as Date) : expected[c]);
    const got = text(actual[c] instanceof Date ? iso(actual[c] as Date) : actual[c]);
    if (want !== got) out.push({ field: c, readModel: got, workflow: want });
  }
  return out;
}

const CASE_COLUMNS = [
  'subjectId', 'itemCode', 'actionCode', 'county', 'department', 'status', 'step', 'greenChannel', 'onHold', 'overdue', 'escalationLevel',
  'assignee', 'dueAt', 'supplementDueAt', 'openedAt', 'visitedAt', 'reviewedAt', 'deliveredAt', 'closedAt', 'outcome', 'deliveryMethod',
  'completedOnTime', 'lastEventSeq', 'lastEventAt',
] as const;

const PLAN_COLUMNS = [
  'subjectId', 'itemCode', 'county', 'department', 'status', 'startDate', 'endDate', 'endedAt', 'endReason', 'currentPeriod',
  'ageOutOn', 'lastPeriodCompliant', 'escalationLevel', 'lastEventSeq',
] as const;

/** The differences between a case's read model (row and events) and its workflow's state. */
export async function diffCase(db: Db, state: CaseState): Promise<Difference[]> {
  const caseId = state.input.caseId;
  const [row] = await db.select().from(cases).where(eq(cases.id, caseId));
  const last = state.events.at(-1);
  if (!row) return [{ field: 'row', readModel: 'missing', workflow: last ? `seq ${last.seq}` : 'present' }];
  const out = last ? diffColumns(caseRowFromState(state, last), row, CASE_COLUMNS) : [];
  const rows = await db.select().from(caseEvents).where(eq(caseEvents.caseId, caseId)).orderBy(asc(caseEvents.seq));
  const stored = new Map(rows.map((e) => [e.seq, e]));
  for (const e of state.events) {
    const r = stored.get(e.seq);
    stored.delete(e.seq);
    if (!r) { out.push({ field: `events[${e.seq}]`, readModel: 'missing', workflow: e.type }); continue; }
    if (r.type !== e.type) out.push({ field: `events[${e.seq}].type`, readModel: r.type, workflow: e.type });
    if (iso(r.at) !== iso(e.at)) out.push({ field: `events[${e.seq}].at`, readModel: iso(r.at), workflow: iso(e.at) });
    if ((r.actor ?? null) !== (e.actor ?? null)) out.push({ field: `events[${e.seq}].actor`, readModel: r.actor, workflow: e.actor ?? null });
    if ((r.step ?? null) !== (e.step ?? null)) out.push({ field: `events[${e.seq}].step`, readModel: r.step, workflow: e.step ?? null });
    if (canonicalJson(r.data ?? {}) !== canonicalJson(e.data ?? {})) out.push({ field: `events[${e.seq}].data`, readModel: 'differs', workflow: 'differs' });
  }
  for (const extra of stored.values()) out.push({ field: `events[${extra.seq}]`, readModel: extra.type, workflow: 'missing' });
  return out;
}

/** The differences between a plan's read model (row and the current run's sessions) and its workflow's state. */
export async function diffPlan(db: Db, state: PlanState): Promise<Difference[]> {
  const planId = state.input.planId;
  const [row] = await db.select().from(plans).where(eq(plans.id, planId));
  if (!row) return [{ field: 'row', readModel: 'missing', workflow: `seq ${state.carry.seq}` }];
  const out = diffColumns(planRowFromState(state.carry.seq, state), row, PLAN_COLUMNS);
  const stored = await db.select({ id: planSessions.id }).from(planSessions)
    .where(and(eq(planSessions.planId, planId), eq(planSessions.period, state.carry.periodKey)));
  const held = new Set(state.sessions.map((s) => s.id));
  const storedIds = new Set(stored.map((s) => s.id));
  for (const s of state.sessions) if (!storedIds.has(s.id)) out.push({ field: `sessions[${s.id}]`, readModel: 'missing', workflow: s.date });
  for (const s of stored) if (!held.has(s.id)) out.push({ field: `sessions[${s.id}]`, readModel: 'present', workflow: 'missing' });
  return out;
}

/** Projects a case again from its workflow's state; if the workflow moved meanwhile, writes the newer state (at most 3 rounds). */
export async function repairCase(db: Db, read: () => Promise<CaseState>): Promise<void> {
  let state = await read();
  for (let round = 0; round < 3; round++) {
    await projectCaseEvents(db, { fromSeq: 1, state });
    const after = await read();
    if ((after.events.at(-1)?.seq ?? 0) === (state.events.at(-1)?.seq ?? 0)) return;
    state = after;
  }
}

/** Rewrites a plan's row from its state, inserts the sessions it lacks and removes those the workflow does not hold (current period). */
export async function repairPlan(db: Db, state: PlanState): Promise<void> {
  const row = planRowFromState(state.carry.seq, state);
  const { assessment: _assessment, createdAt: _createdAt, ...update } = row;
  const planId = state.input.planId;
  await db.transaction(async (tx) => {
    // The workflow's own later snapshot wins over this one.
    await tx.insert(plans).values(row).onConflictDoUpdate({ target: plans.id, set: update, setWhere: sql`${plans.lastEventSeq} <= ${state.carry.seq}` });
    if (state.sessions.length > 0) {
      await tx.insert(planSessions).values(state.sessions.map((s) => ({
        id: s.id, planId, period: s.period, sessionDate: s.date, units: s.units, unit: s.unit, providerStaff: s.providerStaff,
        content: s.content, evidence: s.evidence, recordedBy: s.recordedBy, createdAt: new Date(s.recordedAt),
      }))).onConflictDoNothing();
    }
    const keep = state.sessions.map((s) => s.id);
    await tx.delete(planSessions).where(and(
      eq(planSessions.planId, planId), eq(planSessions.period, state.carry.periodKey),
      keep.length > 0 ? notInArray(planSessions.id, keep) : undefined,
    ));
  });
}

const isNotFound = (e: unknown) => e instanceof WorkflowNotFoundError || (e as Error | undefined)?.name === 'WorkflowNotFoundError';

/** Ids of cases and plans to check: open or recently ended, in the read model or in Temporal. */
async function targets(db: Db, temporal: Client, cutoff: Date, taskQueue: string | undefined): Promise<{ caseIds: string[]; planIds: string[] }> {
  const caseIds = new Set<string>();
  const planIds = new Set<string>();
  const caseRows = await db.select({ id: cases.id }).from(cases).where(or(eq(cases.status, 'open'), sql`coalesce(${cases.closedAt}, ${cases.lastEventAt}) > ${cutoff.toISOString()}::timestamptz`));
  for (const r of caseRows) caseIds.add(r.id);
  const planRows = await db.select({ id: plans.id }).from(plans).where(or(ne(plans.status, 'ended'), and(isNotNull(plans.endedAt), gt(plans.endedAt, cutoff))));
  for (const r of planRows) planIds.add(r.id);
  const queue = taskQueue ? ` AND TaskQueue = '${taskQueue.replace(/'/g, '')}'` : '';
  const query = `WorkflowType IN ('caseEngine', 'serviceCase', 'servicePlan') AND (ExecutionStatus = 'Running' OR CloseTime > '${cutoff.toISOString()}')${queue}`;
  for await (const wf of temporal.workflow.list({ query, pageSize: 1000 })) {
    const m = /^(case|plan)-(.+)$/.exec(wf.workflowId);
    if (m) (m[1] === 'case' ? caseIds : planIds).add(m[2]);
  }
  return { caseIds: [...caseIds], planIds: [...planIds] };
}

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** One reconciliation run (see the module comment); recorded in reconciliation_runs and _findings. */
export async function reconcile(db: Db, temporal: Client, opts: ReconcileOptions): Promise<ReconcileReport> {
  const now = opts.now ?? new Date();
  const settleMs = opts.settleMs ?? 1500;
  const runId = randomUUID();
  await db.insert(reconciliationRuns).values({ id: runId, trigger: opts.trigger, repair: opts.repair, days: opts.days, startedAt: now });
  const report: ReconcileReport = { runId, casesChecked: 0, plansChecked: 0, findings: [], repaired: 0 };
  const settle = () => new Promise((r) => setTimeout(r, settleMs));
  try {
    const { caseIds, planIds } = await targets(db, temporal, new Date(now.getTime() - opts.days * 86_400_000), opts.taskQueue);
    const total = caseIds.length + planIds.length;
    let done = 0;
    const record = async (kind: 'case' | 'plan', id: string, scope: { county: string | null; department: string | null }, diffs: Difference[], repaired: boolean) => {
      const found = diffs.map((d) => ({ kind, entityId: id, ...scope, ...d, repaired }));
      report.findings.push(...found);
      if (repaired) report.repaired += found.length;
      if (found.length > 0) await db.insert(reconciliationFindings).values(found.map((f) => ({ ...f, runId, foundAt: new Date() })));
    };
    /** Checks one entity: diff, settle, diff again, repair and verify. */
    const check = async <S>(kind: 'case' | 'plan', id: string, read: () => Promise<S>, diff: (s: S) => Promise<Difference[]>, repair: (s: S) => Promise<void>, scopeOf: (s: S) => { county: string; department: string }) => {
      let state: S;
      try {
        state = await read();
      } catch (e) {
        const scope = kind === 'case'
          ? (await db.select({ county: cases.county, department: cases.department }).from(cases).where(eq(cases.id, id)))[0]
          : (await db.select({ county: plans.county, department: plans.department }).from(plans).where(eq(plans.id, id)))[0];
        await record(kind, id, scope ?? { county: null, department: null }, [{ field: 'workflow', readModel: 'present', workflow: isNotFound(e) ? 'missing' : `unreadable: ${(e as Error).message.slice(0, 80)}` }], false);
        return;
      }
      let diffs = await diff(state);
      if (diffs.length > 0) {
        await settle();
        state = await read();
        diffs = await diff(state);
      }
      if (diffs.length === 0) return;
      let repaired = false;
      if (opts.repair) {
        await repair(state);
        repaired = (await diff(await read())).length === 0;
      }
      await record(kind, id, scopeOf(state), diffs, repaired);
    };
    const step = () => opts.onChecked?.(++done, total);
    await pool(caseIds, opts.concurrency ?? 8, async (id) => {
      const handle = temporal.workflow.getHandle(caseWorkflowId(id));
      const read = () => handle.query(getCaseStateQuery);
      await check('case', id, read, (s) => diffCase(db, s), () => repairCase(db, read), (s) => ({ county: s.input.county, department: s.input.department }));
      report.casesChecked += 1;
      step();
    });
    await pool(planIds, opts.concurrency ?? 8, async (id) => {
      const handle = temporal.workflow.getHandle(planWorkflowId(id));
      const read = () => handle.query(getPlanStateQuery);
      await check('plan', id, read, (s) => diffPlan(db, s), (s) => repairPlan(db, s), (s) => ({ county: s.input.county, department: s.input.department }));
      report.plansChecked += 1;
      step();
    });
  } catch (e) {
    report.error = (e as Error).message.slice(0, 500);
  }
  await db.update(reconciliationRuns).set({
    finishedAt: new Date(), casesChecked: report.casesChecked, plansChecked: report.plansChecked,
    findings: report.findings.length, repaired: report.repaired, error: report.error ?? null,
  }).where(eq(reconciliationRuns.id, runId));
  return report;
}
