/**
 * Projection of case transitions into the read model. Idempotent on (caseId, seq): a retried
 * activity inserts nothing twice and never moves the case row backwards (the row is only replaced by
 * a snapshot with a higher seq, so projections that land out of order leave the newest one).
 */
import { Context } from '@temporalio/activity';
import { and, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { caseEvents, cases } from '../db/schema';
import type { CaseEvent, CaseState } from '../workflows/contract';
import { maskedSubjectName, writeNotifications, type DbOrTx } from '../db/queries/notifications';
import { caseEventNotifications, NOTIFYING_CASE_EVENTS, type NotificationDraft } from '../domain/notifications';

export interface ProjectCaseInput { event: CaseEvent; state: CaseState }

/** Columns of the cases row derived from a state snapshot (the state itself is kept whole in `state`). */
export function caseRowFromState(state: CaseState, event: CaseEvent) {
  const at = (v: string | undefined) => (v ? new Date(v) : null);
  return {
    id: state.input.caseId,
    subjectId: state.input.subjectId,
    itemCode: state.input.itemCode,
    actionCode: state.input.actionCode,
    county: state.input.county,
    department: state.input.department,
    catalogVersion: state.input.catalogVersion,
    status: state.status,
    step: state.step,
    greenChannel: state.greenChannel,
    onHold: state.onHold,
    overdue: state.overdue,
    escalationLevel: state.escalationLevel,
    assignee: state.assignee ?? null,
    dueAt: at(state.dueAt),
    supplementDueAt: at(state.supplementDueAt),
    openedAt: new Date(state.input.openedAt),
    visitedAt: at(state.visitedAt),
    reviewedAt: at(state.reviewedAt),
    deliveredAt: at(state.deliveredAt),
    closedAt: at(state.closedAt),
    outcome: state.outcome ?? null,
    deliveryMethod: state.delivery?.method ?? null,
    completedOnTime: state.completedOnTime ?? null,
    lastEventSeq: event.seq,
    lastEventAt: new Date(event.at),
    surveyId: state.input.surveyId ?? null,
    createdBy: state.input.openedBy,
    state: state as unknown as Record<string, unknown>,
    updatedAt: new Date(),
  };
}

/** What the caseEngine workflow projects per batch: its state, whose events from `fromSeq` on are not written yet. */
export interface ProjectCaseEventsInput { fromSeq: number; state: CaseState }

/** Writes one event and the case snapshot that follows it, in one transaction (the frozen serviceCase workflow's projection). */
export async function projectCase(db: Db, { event, state }: ProjectCaseInput): Promise<void> {
  await writeProjection(db, state, [event]);
}

/**
 * Writes a batch of a case's events (seq `fromSeq` up to its last) and the case row snapshot that
 * follows the last of them, in one transaction: one statement per table.
 *
 * caseEngine runs this as a local activity, so a batch may run in a workflow task that is never
 * committed (a worker that dies before completing it, a task retried): the task that does commit then
 * writes the same seqs again, perhaps with other content (its own clock, another order of updates).
 * So a batch is authoritative for its case from `fromSeq` on: its events replace what those seqs hold,
 * any later seq a lost task wrote is removed, and the row is the batch's snapshot. The workflow writes
 * one batch at a time, in order, so the last batch committed is the workflow's truth.
 *
 * The notifications the batch's events cause (assigned, overdue, escalated…) go into the outbox in the
 * same transaction, once per (event, recipient); those a lost task's other events had caused and that
 * were not dispatched yet are removed.
 */
export async function projectCaseEvents(db: Db, { fromSeq, state }: ProjectCaseEventsInput): Promise<void> {
  const events = state.events.filter((e) => e.seq >= fromSeq);
  if (events.length === 0) return;
  const last = events.at(-1)!;
  const row = caseRowFromState(state, last);
  const caseId = state.input.caseId;
  await db.transaction(async (tx) => {
    await tx.insert(cases).values(row).onConflictDoUpdate({ target: cases.id, set: { ...row, createdBy: sql`${cases.createdBy}` } });
    await tx.delete(caseEvents).where(and(eq(caseEvents.caseId, caseId), gt(caseEvents.seq, last.seq)));
    await tx
      .insert(caseEvents)
      .values(events.map(eventRow(caseId)))
      .onConflictDoUpdate({
        target: [caseEvents.caseId, caseEvents.seq],
        set: { type: sql`excluded.type`, at: sql`excluded.at`, actor: sql`excluded.actor`, step: sql`excluded.step`, data: sql`excluded.data`, recordedAt: sql`now()` },
      });
    await writeNotifications(tx, await caseNotifications(tx, state, events), new Date(), { caseId, fromSeq });
  });
}

/**
 * The notifications a case's projected events cause (domain/notifications caseEventNotifications). An
 * event whose notification cannot be drafted (a bug, data it does not expect) is logged and skipped:
 * a notification never holds the projection, and so the case, up.
 */
async function caseNotifications(tx: DbOrTx, state: CaseState, events: readonly CaseEvent[]): Promise<NotificationDraft[]> {
  const interesting = events.filter((e) => NOTIFYING_CASE_EVENTS.has(e.type));
  if (!interesting.length) return [];
  const ref = {
    caseId: state.input.caseId, county: state.input.county, department: state.input.department,
    assignee: state.assignee ?? null, maskedName: await maskedSubjectName(tx, state.input.subjectId),
  };
  return interesting.flatMap((e) => {
    try {
      return caseEventNotifications(ref, e);
    } catch (err) {
      activityLog()?.warn('notification not drafted', { caseId: ref.caseId, seq: e.seq, type: e.type, error: (err as Error).message });
      return [];
    }
  });
}

const eventRow = (caseId: string) => (e: CaseEvent) => ({
  caseId, seq: e.seq, type: e.type, at: new Date(e.at), actor: e.actor ?? null, step: e.step ?? null, data: e.data ?? {},
});

/** The frozen serviceCase type's write: idempotent on (caseId, seq), the row only moves forward. */
async function writeProjection(db: Db, state: CaseState, events: CaseEvent[]): Promise<void> {
  const event = events.at(-1)!;
  const row = caseRowFromState(state, event);
  await db.transaction(async (tx) => {
    await tx
      .insert(cases)
      .values(row)
      .onConflictDoUpdate({
        target: cases.id,
        set: { ...row, createdBy: sql`${cases.createdBy}` },
        setWhere: sql`${cases.lastEventSeq} < ${event.seq}`,
      });
    const inserted = await tx.insert(caseEvents).values(events.map(eventRow(state.input.caseId))).onConflictDoNothing().returning({ seq: caseEvents.seq });
    const fresh = events.filter((e) => inserted.some((r) => r.seq === e.seq));
    await writeNotifications(tx, await caseNotifications(tx, state, fresh));
  });
}

/** The running activity's logger (routed into pino by the worker), or undefined outside an activity. */
function activityLog() {
  try {
    return Context.current().log;
  } catch {
    return undefined;
  }
}
