/**
 * Projection of ongoing service plans into the read model: the `plans` row (a snapshot replaced only
 * by a later one: seq increases across runs), `plan_sessions` (one row per session, keyed by the
 * workflow's session id) and `plan_periods` (one verdict per plan and period). All idempotent.
 */
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { planPeriods, plans, planSessions } from '../db/schema';
import type { PlanPeriodVerdictInput, PlanSession, PlanState } from '../workflows/planContract';
import { officialPeriodVerdict } from './policy';
import { maskedSubjectName, writeNotifications } from '../db/queries/notifications';
import { LEADERSHIP_OFFICE } from '../domain/counties';
import type { Audience } from '../domain/notifications';

export interface ProjectPlanInput { seq: number; state: PlanState; session?: PlanSession }

/** Columns of the plans row derived from a state snapshot. */
export function planRowFromState(seq: number, state: PlanState) {
  const { input } = state;
  const last = state.carry.recent[state.carry.recent.length - 1];
  return {
    id: input.planId,
    subjectId: input.subjectId,
    itemCode: input.itemCode,
    actionCode: input.actionCode,
    county: input.county,
    department: input.department,
    catalogVersion: input.catalogVersion,
    status: state.status,
    provider: input.provider as unknown as Record<string, unknown>,
    assessment: {},
    startDate: input.startDate,
    endDate: input.endDate ?? null,
    endedAt: state.end ? new Date(state.end.at) : null,
    endReason: state.end?.reason ?? null,
    currentPeriod: state.status === 'ended' ? null : state.period?.key ?? null,
    needId: input.needId ?? null,
    createdBy: input.enrolledBy,
    ageOutOn: input.ageOutOn ?? null,
    lastPeriodCompliant: last ? last.compliant : null,
    escalationLevel: state.escalationLevel,
    lastEventSeq: seq,
    state: state as unknown as Record<string, unknown>,
    createdAt: new Date(input.enrolledAt),
    updatedAt: new Date(),
  };
}

/**
 * Writes the plan snapshot (never over a later one) and, with a session, its row. The assessment is
 * written by the API at enrolment (it holds personal details the workflow never sees) and kept here.
 */
export async function projectPlan(db: Db, { seq, state, session }: ProjectPlanInput): Promise<void> {
  const row = planRowFromState(seq, state);
  const { assessment: _keep, createdAt: _created, ...update } = row;
  await db.transaction(async (tx) => {
    await tx.insert(plans).values(row).onConflictDoUpdate({
      target: plans.id,
      set: update,
      setWhere: sql`${plans.lastEventSeq} < ${seq}`,
    });
    if (session) {
      await tx.insert(planSessions).values({
        id: session.id,
        planId: state.input.planId,
        period: session.period,
        sessionDate: session.date,
        units: session.units,
        unit: session.unit,
        providerStaff: session.providerStaff,
        content: session.content,
        evidence: session.evidence,
        recordedBy: session.recordedBy,
        createdAt: new Date(session.recordedAt),
      }).onConflictDoNothing();
    }
  });
}

/**
 * Writes one period's verdict (once), as the policy rules make it official (activities/policy.ts):
 * item 7's school-holiday weeks are not shortfalls, and a period short of a local cadence that is
 * not enforced is marked advisory and not recorded as escalated.
 *
 * A period short of an enforced cadence notifies whoever it was escalated to (the county department
 * lead, or the leadership group's office after repeated shortfalls), in the same transaction.
 */
export async function recordPlanPeriod(db: Db, input: PlanPeriodVerdictInput): Promise<void> {
  const { period } = input;
  const [plan] = await db.select().from(plans).where(eq(plans.id, input.planId)).limit(1);
  const official = plan ? await officialPeriodVerdict(db, plan, { period: period.key, compliant: input.verdict.compliant, shortfall: input.verdict.shortfall }, period) : undefined;
  const verdict = { ...input.verdict, ...(official ? { compliant: official.compliant, shortfall: official.shortfall || null } : {}) };
  const advisory = official?.advisory ?? false;
  const escalatedTo = advisory || verdict.compliant ? null : input.escalatedTo;
  await db.transaction(async (tx) => {
  const inserted = await tx.insert(planPeriods).values({
    planId: input.planId,
    period: period.key,
    startDate: period.start,
    endDate: period.end,
    sessions: verdict.sessions,
    qualifying: verdict.qualifying,
    required: verdict.required,
    units: verdict.units,
    partial: period.partial,
    compliant: verdict.compliant,
    shortfall: verdict.shortfall ? { text: verdict.shortfall, summary: verdict.summary, ...(advisory ? { advisory: true } : {}) } : {},
    weeks: verdict.weeks ?? [],
    escalatedTo,
    ledgerEntryId: input.ledgerEntryId,
    checkedAt: new Date(input.checkedAt),
  }).onConflictDoNothing().returning({ planId: planPeriods.planId });
  if (!inserted.length || !escalatedTo || !plan) return;
  const audience: Audience = escalatedTo === LEADERSHIP_OFFICE.code
    ? { kind: 'leadership_office' } : { kind: 'county_lead', county: plan.county, department: plan.department };
  await writeNotifications(tx, [{
    eventKey: `plan:${plan.id}:${period.key}:short`, kind: 'plan_period_short', audiences: [audience], planId: plan.id,
    link: `/plans/${encodeURIComponent(plan.id)}`, title: '服务计划本期未达标',
    body: `服务计划编号：${plan.id}；服务对象：${await maskedSubjectName(tx, plan.subjectId)}。${period.key} 期服务${verdict.summary}，未达到规定频次${escalatedTo === LEADERSHIP_OFFICE.code ? '（连续未达标，已升级至领导小组办公室）' : ''}。`,
  }], new Date(input.checkedAt));
  });
}
