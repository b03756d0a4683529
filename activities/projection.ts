/**
 * Projection of case transitions into the read model. Idempotent on (caseId, seq): a retried
 * activity inserts nothing twice and never moves the case row backwards (the row is only replaced by
 * a snapshot with a higher seq, so projections that land out of order leave the newest one).
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { caseEvents, cases } from '../db/schema';
import type { CaseEvent, CaseState } from '../workflows/contract';

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

/** Writes one event and the case snapshot that follows it, in one transaction. */
export async function projectCase(db: Db, { event, state }: ProjectCaseInput): Promise<void> {
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
    await tx
      .insert(caseEvents)
      .values({
        caseId: state.input.caseId,
        seq: event.seq,
        type: event.type,
        at: new Date(event.at),
        actor: event.actor ?? null,
        step: event.step ?? null,
        data: event.data ?? {},
      })
      .onConflictDoNothing();
  });
}
