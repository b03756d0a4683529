/**
 * Read-model queries for subjects (服务对象): scope-filtered search with a keyset cursor, and the
 * household sizes that "several disabled in one household" (一户多残) is derived from.
 */
import { and, count, desc, eq, ilike, inArray, isNotNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { subjects, type Subject } from '../schema';

/** The part of a user's scope that subjects know: their county. */
export interface CountyScope { cityLevel: boolean; counties: string[] }

/** SQL that keeps subjects inside a county scope (undefined: the whole city). */
export function subjectScopeWhere(scope: CountyScope): SQL | undefined {
  if (scope.cityLevel) return undefined;
  return scope.counties.length > 0 ? inArray(subjects.county, scope.counties) : sql`false`;
}

/** Escapes LIKE wildcards so a searched `%` or `_` matches itself. */
export const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function findSubject(db: Db, id: string): Promise<Subject | undefined> {
  const [row] = await db.select().from(subjects).where(eq(subjects.id, id)).limit(1);
  return row;
}

export async function findSubjectByIdNumber(db: Db, idNumber: string): Promise<Subject | undefined> {
  const [row] = await db.select().from(subjects).where(eq(subjects.idNumber, idNumber)).limit(1);
  return row;
}

/** Members per household id; with a scope, only the members inside it count (a view never counts whom it cannot show). */
export async function householdSizes(db: Db, householdIds: readonly (string | null)[], scope?: CountyScope): Promise<Map<string, number>> {
  const ids = [...new Set(householdIds.filter((h): h is string => !!h))];
  if (ids.length === 0) return new Map();
  const rows = await db.select({ householdId: subjects.householdId, n: count() }).from(subjects)
    .where(and(isNotNull(subjects.householdId), inArray(subjects.householdId, ids), scope ? subjectScopeWhere(scope) : undefined))
    .groupBy(subjects.householdId);
  return new Map(rows.map((r) => [r.householdId as string, Number(r.n)]));
}

/** True when every member of these households lies inside the scope. */
export async function householdsWithinScope(db: Pick<Db, 'select'>, householdIds: readonly (string | null)[], scope: CountyScope): Promise<boolean> {
  const ids = [...new Set(householdIds.filter((h): h is string => !!h))];
  const outside = subjectScopeWhere(scope);
  if (ids.length === 0 || !outside) return true;
  const [row] = await db.select({ n: count() }).from(subjects).where(and(inArray(subjects.householdId, ids), sql`not (${outside})`));
  return Number(row?.n ?? 0) === 0;
}

export interface SubjectSearch {
  name?: string;
  idNumber?: string;
  county?: string;
  township?: string;
  community?: string;
  householdId?: string;
  limit: number;
  /** Keyset position: the last row's created_at (PostgreSQL's own text form, full precision) and id. */
  after?: { t: string; i: string };
}

/** One page of subjects, newest first; `next` is the keyset of the last row when more may follow. */
export async function searchSubjects(db: Db, scope: CountyScope, q: SubjectSearch): Promise<{ rows: Subject[]; next?: { t: string; i: string } }> {
  const conds: (SQL | undefined)[] = [subjectScopeWhere(scope)];
  if (q.name) conds.push(ilike(subjects.name, `%${escapeLike(q.name)}%`));
  if (q.idNumber) conds.push(eq(subjects.idNumber, q.idNumber));
  if (q.county) conds.push(eq(subjects.county, q.county));
  if (q.township) conds.push(eq(subjects.township, q.township));
  if (q.community) conds.push(eq(subjects.community, q.community));
  if (q.householdId) conds.push(eq(subjects.householdId, q.householdId));
  if (q.after) conds.push(sql`(${subjects.createdAt}, ${subjects.id}) < (${q.after.t}::timestamptz, ${q.after.i})`);
  const rows = await db.select({ row: subjects, t: sql<string>`${subjects.createdAt}::text` }).from(subjects)
    .where(and(...conds))
    .orderBy(desc(subjects.createdAt), desc(subjects.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { rows: page.map((r) => r.row), ...(rows.length > q.limit && last ? { next: { t: last.t, i: last.row.id } } : {}) };
}
