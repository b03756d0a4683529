/** The plan read model's queries: one plan, its past periods and sessions, the list, and the needs awaiting a plan. */
import { and, asc, desc, eq, gt, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { planPeriods, plans, planSessions, subjects } from '../schema';

export type PlanRow = typeof plans.$inferSelect;

/** A plan's read-model row, if it has one. */
export async function findPlan(db: Db, id: string): Promise<PlanRow | undefined> {
  const [row] = await db.select().from(plans).where(eq(plans.id, id)).limit(1);
  return row;
}

/** A plan's checked periods, oldest first. */
export function pastPeriods(db: Db, planId: string) {
  return db.select().from(planPeriods).where(eq(planPeriods.planId, planId)).orderBy(asc(planPeriods.startDate));
}

/** A plan's recorded sessions (of one period, if given), in the order they happened. */
export function planSessionRows(db: Db, planId: string, period?: string) {
  const where = [eq(planSessions.planId, planId)];
  if (period) where.push(eq(planSessions.period, period));
  return db.select().from(planSessions).where(and(...where)).orderBy(asc(planSessions.sessionDate), asc(planSessions.createdAt));
}

export interface PlanFilters {
  /** The caller's scope as a condition (api/auth scopeWhere), undefined for all. */
  scope?: SQL;
  county?: string;
  department?: string;
  itemCode?: string;
  status?: PlanRow['status'];
  subjectId?: string;
  lastCompliant?: boolean;
  escalated?: boolean;
}

/** One page of plans, newest first (keyset: created_at desc, id desc), and whether there is another. */
export async function listPlans(db: Db, f: PlanFilters, limit: number, after?: { createdAt: Date; id: string }) {
  const where: SQL[] = [];
  if (f.scope) where.push(f.scope);
  if (f.county) where.push(eq(plans.county, f.county));
  if (f.department) where.push(eq(plans.department, f.department));
  if (f.itemCode) where.push(eq(plans.itemCode, f.itemCode));
  if (f.status) where.push(eq(plans.status, f.status));
  if (f.subjectId) where.push(eq(plans.subjectId, f.subjectId));
  if (f.lastCompliant !== undefined) where.push(eq(plans.lastPeriodCompliant, f.lastCompliant));
  if (f.escalated !== undefined) where.push(f.escalated ? gt(plans.escalationLevel, 0) : eq(plans.escalationLevel, 0));
  if (after) where.push(sql`(${plans.createdAt}, ${plans.id}) < (${after.createdAt.toISOString()}::timestamptz, ${after.id})`);
  const rows = await db.select({ plan: plans, subjectName: subjects.name }).from(plans).leftJoin(subjects, eq(subjects.id, plans.subjectId))
    .where(and(...where)).orderBy(desc(plans.createdAt), desc(plans.id)).limit(limit + 1);
  const page = rows.slice(0, limit);
  return { rows: page.map((r) => r.plan), subjectNames: new Map(page.map((r) => [r.plan.id, r.subjectName])), more: rows.length > limit };
}

/** The last `perPlan` checked periods of each of these plans, newest first (the list's compliance per period). */
export async function recentPeriods(db: Db, planIds: readonly string[], perPlan: number) {
  const byPlan = new Map<string, RecentPeriod[]>();
  if (planIds.length === 0) return byPlan;
  const ranked = db.select({
    planId: planPeriods.planId, period: planPeriods.period, startDate: planPeriods.startDate, endDate: planPeriods.endDate,
    sessions: planPeriods.sessions, qualifying: planPeriods.qualifying, required: planPeriods.required, partial: planPeriods.partial,
    compliant: planPeriods.compliant, shortfall: planPeriods.shortfall,
    rank: sql<number>`row_number() over (partition by ${planPeriods.planId} order by ${planPeriods.startDate} desc)`.as('rank'),
  }).from(planPeriods).where(inArray(planPeriods.planId, [...planIds])).as('ranked');
  const rows = await db.select().from(ranked).where(lte(ranked.rank, perPlan)).orderBy(asc(ranked.planId), asc(ranked.rank));
  for (const { rank: _rank, ...r } of rows) byPlan.set(r.planId, [...(byPlan.get(r.planId) ?? []), r]);
  return byPlan;
}

export type RecentPeriod = Pick<typeof planPeriods.$inferSelect,
  'planId' | 'period' | 'startDate' | 'endDate' | 'sessions' | 'qualifying' | 'required' | 'partial' | 'compliant' | 'shortfall'>;

export interface PendingNeed { needId: string; subjectId: string; surveyId: string; itemCode: string; county: string }

/**
 * Ongoing needs found by surveys and not yet in a plan, oldest first: of these items, in these counties
 * (null: every county), scoped in SQL so that the limit counts visible rows only.
 */
export async function pendingPlanNeeds(db: Db, f: { items: readonly string[]; counties: readonly string[] | null; subjectId?: string }, limit: number): Promise<PendingNeed[]> {
  if (f.items.length === 0 || f.counties?.length === 0) return [];
  const rows = await db.execute<{ id: string; subject_id: string; item_code: string; survey_id: string; county: string }>(sql`
    select n.id, n.subject_id, n.item_code, n.survey_id, s.county
    from needs n join subjects s on s.id = n.subject_id
    where n.ongoing and n.plan_id is null
      and n.item_code in (${sql.join(f.items.map((i) => sql`${i}`), sql`, `)})
      ${f.counties ? sql`and s.county in (${sql.join(f.counties.map((c) => sql`${c}`), sql`, `)})` : sql``}
      ${f.subjectId ? sql`and n.subject_id = ${f.subjectId}` : sql``}
    order by n.created_at asc, n.id asc limit ${limit}`);
  return [...rows].map((n) => ({ needId: n.id, subjectId: n.subject_id, surveyId: n.survey_id, itemCode: n.item_code, county: n.county }));
}
