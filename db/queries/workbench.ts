/** The workbench's queries: today's counts of the cases in a scope, and one user's open assigned cases with their subjects. */
import { and, eq, gte, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { cases, subjects } from '../schema';

/** The subject columns a case list row shows (api/presenters/subject presentSubjectContact). */
export const subjectContactColumns = {
  id: subjects.id, name: subjects.name, county: subjects.county, township: subjects.township, community: subjects.community,
  address: subjects.address, phone: subjects.phone, guardianName: subjects.guardianName, guardianPhone: subjects.guardianPhone,
  guardianRelation: subjects.guardianRelation,
};

/** Counts of the cases matching `scope` (a condition on cases): open ones by state, and those opened, due or closed in [start, end). */
export async function todaysCounts(db: Db, scope: SQL | undefined, start: Date, end: Date) {
  const open = sql`${cases.status} = 'open'`;
  const during = (column: typeof cases.openedAt | typeof cases.closedAt | typeof cases.dueAt) =>
    sql`${column} >= ${start.toISOString()}::timestamptz and ${column} < ${end.toISOString()}::timestamptz`;
  const n = (cond: SQL) => sql<number>`(count(*) filter (where ${cond}))::int`;
  const [row] = await db.select({
    open: n(open),
    overdue: n(sql`${open} and ${cases.overdue}`),
    greenChannel: n(sql`${open} and ${cases.greenChannel}`),
    onHold: n(sql`${open} and ${cases.onHold}`),
    awaitingAssignment: n(sql`${open} and ${cases.step} = 'assignment'`),
    awaitingVisit: n(sql`${open} and ${cases.step} = 'visit'`),
    awaitingReview: n(sql`${open} and ${cases.step} = 'review'`),
    awaitingDelivery: n(sql`${open} and ${cases.step} = 'delivery'`),
    supplementsOutstanding: n(sql`${open} and ${cases.supplementDueAt} is not null`),
    dueToday: n(sql`${open} and ${during(cases.dueAt)}`),
    openedToday: n(during(cases.openedAt)),
    closedToday: n(during(cases.closedAt)),
  }).from(cases).where(and(
    scope,
    // Only what can count: open cases, and the period's openings and closings.
    or(eq(cases.status, 'open'), gte(cases.openedAt, start), and(gte(cases.closedAt, start), lt(cases.closedAt, end))),
  ));
  return row;
}

/** A user's open assigned cases (inside `scope`), each with its subject's contact columns. */
export function openAssignedCases(db: Db, userId: string, scope: SQL | undefined, limit = 1000) {
  return db.select({ c: cases, s: subjectContactColumns }).from(cases)
    .innerJoin(subjects, eq(subjects.id, cases.subjectId))
    .where(and(eq(cases.assignee, userId), eq(cases.status, 'open'), scope))
    .limit(limit);
}
