/**
 * Supervision read queries over the read model (cases, case_events, plans, plan_periods):
 * overdue and stuck cases, the summary, workload per worker, escalations and who acted on them.
 * Every query takes the caller's scope (filtered in SQL) and an explicit `now`.
 */
import type postgres from 'postgres';
import { addDaysToDate, monthRange, monthOf, shanghaiDate, startOfShanghaiDay, weekStart, isWorkingDay } from '../../domain/calendar';
import type { Db } from '../client';

/** What a caller may see: county codes ('all' for city-level users) and departments ('all' when unrestricted). */
export interface Scope { counties: readonly string[] | 'all'; departments: readonly string[] | 'all' }

/** The filters every supervision list takes. */
export interface CaseFilters {
  county?: string; department?: string; item?: string; step?: string; assignee?: string; greenChannel?: boolean;
}

type Sql = postgres.Sql;

/**
 * drizzle makes the shared postgres.js client pass timestamps through untouched (no Date
 * serializing or parsing), so raw queries send ISO strings cast in SQL and parse what comes back.
 */
export const iso = (d: Date): string => d.toISOString();

/** A timestamp column value as a Date (the client returns timestamptz as text). */
export const toDate = (v: unknown): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)));

/** Converts the named timestamp columns of rows to Dates, in place. */
export function withDates<T>(rows: readonly T[], keys: ReadonlyArray<keyof T>): T[] {
  for (const r of rows) for (const k of keys) (r as Record<keyof T, unknown>)[k] = toDate(r[k]);
  return rows as T[];
}
type Fragment = ReturnType<Sql>;

/** Scope and filter conditions on a cases alias `c`, as one SQL fragment starting with `and`. */
export function caseConditions(sql: Sql, scope: Scope, f: CaseFilters): Fragment {
  const parts: Fragment[] = [];
  if (scope.counties !== 'all') parts.push(scope.counties.length ? sql`c.county in ${sql(scope.counties as string[])}` : sql`false`);
  if (scope.departments !== 'all') parts.push(scope.departments.length ? sql`c.department in ${sql(scope.departments as string[])}` : sql`false`);
  if (f.county) parts.push(sql`c.county = ${f.county}`);
  if (f.department) parts.push(sql`c.department = ${f.department}`);
  if (f.item) parts.push(sql`c.item_code = ${f.item}`);
  if (f.step) parts.push(sql`c.step = ${f.step}`);
  if (f.assignee) parts.push(sql`c.assignee = ${f.assignee}`);
  if (f.greenChannel !== undefined) parts.push(sql`c.green_channel = ${f.greenChannel}`);
  return parts.reduce((acc, p) => sql`${acc} and ${p}`, sql``);
}

export interface CaseListRow {
  id: string; subjectId: string; subjectName: string; itemCode: string; actionCode: string; county: string; department: string;
  step: string; status: string; assignee: string | null; assigneeName: string | null; greenChannel: boolean; onHold: boolean;
  escalationLevel: number; dueAt: Date | null; openedAt: Date; lastEventAt: Date;
}

const CASE_COLUMNS = (sql: Sql) => sql`
  c.id, c.subject_id as "subjectId", s.name as "subjectName", c.item_code as "itemCode", c.action_code as "actionCode",
  c.county, c.department, c.step, c.status, c.assignee, u.display_name as "assigneeName", c.green_channel as "greenChannel",
  c.on_hold as "onHold", c.escalation_level as "escalationLevel", c.due_at as "dueAt", c.opened_at as "openedAt", c.last_event_at as "lastEventAt"`;

const CASE_DATES = ['dueAt', 'openedAt', 'lastEventAt'] as const;

/** The keyset of a page's last row: its sort time and id (api/cursor turns it into the opaque nextCursor). */
export type PageKey = [Date, string];

/** One page of a keyset-paginated list; `next` is the key to continue after, null on the last page. */
export interface Page<T, K = PageKey> { items: T[]; next: K | null }

function page<T>(rows: T[], limit: number, key: (r: T) => PageKey): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items, next: more ? key(items[items.length - 1]) : null };
}

/** An overdue case, with the step-deadline rule it follows (null: opened before the rule travelled with cases). */
export interface OverdueRow extends CaseListRow { ruleEnforced: boolean | null }

/** The overdue-page SQL (exported so a test can EXPLAIN it): open, not on hold, past due, most late first. */
export function overdueQuery(sql: Sql, scope: Scope, f: CaseFilters, now: Date, limit: number, after?: PageKey) {
  return sql<OverdueRow[]>`
    select ${CASE_COLUMNS(sql)}, (c.state->'stepDeadlines'->>'enforced')::boolean as "ruleEnforced"
    from cases c
    join subjects s on s.id = c.subject_id
    left join users u on u.id = c.assignee
    where c.status = 'open' and not c.on_hold and c.due_at < ${iso(now)}::timestamptz and c.opened_at <= ${iso(now)}::timestamptz
      ${caseConditions(sql, scope, f)}
      ${after ? sql`and (c.due_at, c.id) > (${iso(after[0])}::timestamptz, ${after[1]})` : sql``}
    order by c.due_at, c.id
    limit ${limit + 1}`;
}

/** Overdue open cases (a case on hold is not overdue: its clock is stopped), most late first. */
export async function listOverdue(db: Db, scope: Scope, f: CaseFilters, now: Date, limit: number, after?: PageKey): Promise<Page<OverdueRow>> {
  const rows = withDates(await overdueQuery(db.$client, scope, f, now, limit, after), CASE_DATES);
  return page(rows, limit, (r) => [r.dueAt!, r.id]);
}

/**
 * The latest instant t such that the working days wholly inside [t, now] number at least n
 * (domain/calendar workingDaysBetween(t, now) >= n ⇔ t <= this). Walks back over whole days.
 */
export function stuckCutoff(now: Date, n: number): Date {
  let day = shanghaiDate(now);
  if (startOfShanghaiDay(addDaysToDate(day, 1)).getTime() > now.getTime()) day = addDaysToDate(day, -1);
  let found = 0;
  for (;;) {
    if (isWorkingDay(day)) found++;
    if (found >= n) return startOfShanghaiDay(day);
    day = addDaysToDate(day, -1);
  }
}

/** Open cases with no transition for at least `days` working days, longest-stuck first. */
export async function listStuck(db: Db, scope: Scope, f: CaseFilters, now: Date, days: number, limit: number, after?: PageKey): Promise<Page<CaseListRow>> {
  const sql = db.$client;
  const cutoff = stuckCutoff(now, days);
  const rows = await sql<CaseListRow[]>`
    select ${CASE_COLUMNS(sql)}
    from cases c
    join subjects s on s.id = c.subject_id
    left join users u on u.id = c.assignee
    where c.status = 'open' and c.last_event_at <= ${iso(cutoff)}::timestamptz and c.opened_at <= ${iso(now)}::timestamptz
      ${caseConditions(sql, scope, f)}
      ${after ? sql`and (c.last_event_at, c.id) > (${iso(after[0])}::timestamptz, ${after[1]})` : sql``}
    order by c.last_event_at, c.id
    limit ${limit + 1}`;
  withDates(rows, CASE_DATES);
  return page(rows, limit, (r) => [r.lastEventAt, r.id]);
}

export interface SummaryCounts { open: number; overdue: number; dueThisWeek: number; closedThisMonth: number; closedOnTimeThisMonth: number }
export interface SummaryRow extends SummaryCounts { county: string | null; department: string | null; itemCode: string | null; grouping: 'total' | 'county' | 'department' | 'item' }

/** The Shanghai week [now, end of Sunday) and month of `now`. */
export function summaryWindows(now: Date) {
  const weekEnd = startOfShanghaiDay(addDaysToDate(weekStart(shanghaiDate(now)), 7));
  const month = monthOf(now);
  return { weekEnd, month, ...monthRange(month) };
}

/**
 * Open, overdue, due this week (not yet overdue, due before Sunday 24:00 Asia/Shanghai), closed this
 * month (办结: closed or rejected) and closed on time — in total and by county, department and item,
 * in one pass (GROUPING SETS).
 */
export async function summary(db: Db, scope: Scope, f: CaseFilters, now: Date): Promise<SummaryRow[]> {
  const sql = db.$client;
  const w = summaryWindows(now);
  const done = sql`c.status in ('closed', 'rejected') and c.closed_at >= ${iso(w.start)}::timestamptz and c.closed_at < ${iso(w.end)}::timestamptz and c.closed_at <= ${iso(now)}::timestamptz`;
  const rows = await sql<Array<Record<string, unknown>>>`
    select grouping(c.county) as gc, grouping(c.department) as gd, grouping(c.item_code) as gi,
      c.county, c.department, c.item_code as "itemCode",
      count(*) filter (where c.status = 'open')::int as open,
      count(*) filter (where c.status = 'open' and not c.on_hold and c.due_at < ${iso(now)}::timestamptz)::int as overdue,
      count(*) filter (where c.status = 'open' and not c.on_hold and c.due_at >= ${iso(now)}::timestamptz and c.due_at < ${iso(w.weekEnd)}::timestamptz)::int as "dueThisWeek",
      count(*) filter (where ${done})::int as "closedThisMonth",
      count(*) filter (where ${done} and c.completed_on_time)::int as "closedOnTimeThisMonth"
    from cases c
    where c.opened_at <= ${iso(now)}::timestamptz and (c.status = 'open' or (${done})) ${caseConditions(sql, scope, f)}
    group by grouping sets ((), (c.county), (c.department), (c.item_code))`;
  return rows.map((r) => ({
    grouping: r.gc === 0 ? 'county' : r.gd === 0 ? 'department' : r.gi === 0 ? 'item' : 'total',
    county: r.gc === 0 ? (r.county as string) : null,
    department: r.gd === 0 ? (r.department as string) : null,
    itemCode: r.gi === 0 ? (r.itemCode as string) : null,
    open: r.open as number, overdue: r.overdue as number, dueThisWeek: r.dueThisWeek as number,
    closedThisMonth: r.closedThisMonth as number, closedOnTimeThisMonth: r.closedOnTimeThisMonth as number,
  }));
}

export interface WorkloadRow { assignee: string | null; assigneeName: string | null; open: number; overdue: number; dueThisWeek: number; nextDueAt: Date | null }

/** Open cases per worker (unassigned cases as one row with assignee null), most overdue first. */
export async function workload(db: Db, scope: Scope, f: CaseFilters, now: Date): Promise<WorkloadRow[]> {
  const sql = db.$client;
  const { weekEnd } = summaryWindows(now);
  return withDates(await sql<WorkloadRow[]>`
    select c.assignee, min(u.display_name) as "assigneeName",
      count(*)::int as open,
      count(*) filter (where not c.on_hold and c.due_at < ${iso(now)}::timestamptz)::int as overdue,
      count(*) filter (where not c.on_hold and c.due_at >= ${iso(now)}::timestamptz and c.due_at < ${iso(weekEnd)}::timestamptz)::int as "dueThisWeek",
      min(c.due_at) filter (where not c.on_hold and c.due_at >= ${iso(now)}::timestamptz) as "nextDueAt"
    from cases c
    left join users u on u.id = c.assignee
    where c.status = 'open' and c.opened_at <= ${iso(now)}::timestamptz ${caseConditions(sql, scope, f)}
    group by c.assignee
    order by overdue desc, open desc, c.assignee nulls first`, ['nextDueAt']);
}

export interface EscalationRow {
  key: string; kind: 'case' | 'plan'; at: Date; level: number; reason: string; target: unknown;
  /** A step-deadline escalation raised under the rule as the case had it: whether it was enforced (null when not recorded: raised before the rule travelled with cases). */
  ruleEnforced: boolean | null;
  caseId: string | null; planId: string | null; period: string | null; step: string | null;
  county: string; department: string; itemCode: string; actionCode: string; status: string;
  actedBy: string | null; actedByName: string | null; actedAt: Date | null; actedWith: string | null;
}

export interface EscalationFilters extends CaseFilters { from?: Date; to?: Date; acted?: boolean; level?: number }

/**
 * Escalations raised: `escalated` case events and plan shortfalls escalated by the plan workflow,
 * newest first. "Who acted" is the first later transition made by a person (an event with an actor)
 * on that case, or for a plan the first session recorded after the shortfall was checked.
 */
export async function listEscalations(db: Db, scope: Scope, f: EscalationFilters, limit: number, before?: PageKey): Promise<Page<EscalationRow>> {
  const sql = db.$client;
  const planConds = caseConditions(sql, scope, { county: f.county, department: f.department, item: f.item, greenChannel: undefined });
  const includePlans = !f.step && !f.assignee && f.greenChannel === undefined && (f.level === undefined || f.level === 1);
  const rows = await sql<EscalationRow[]>`
    select * from (
      select 'case:' || e.case_id || ':' || lpad(e.seq::text, 6, '0') as key, 'case' as kind, e.at,
        coalesce((e.data->>'level')::int, 1) as level, coalesce(e.data->>'reason', '') as reason, e.data->'target' as target,
        (e.data->'rule'->>'enforced')::boolean as "ruleEnforced", e.case_id as "caseId", null::text as "planId", null::text as period, e.step,
        c.county, c.department, c.item_code as "itemCode", c.action_code as "actionCode", c.status,
        a.actor as "actedBy", u.display_name as "actedByName", a.at as "actedAt", a.type as "actedWith"
      from case_events e
      join cases c on c.id = e.case_id
      left join lateral (
        select x.actor, x.at, x.type from case_events x
        where x.case_id = e.case_id and x.seq > e.seq and x.actor is not null
        order by x.seq limit 1
      ) a on true
      left join users u on u.id = a.actor
      where e.type = 'escalated' ${caseConditions(sql, scope, f)}
        ${f.from ? sql`and e.at >= ${iso(f.from)}::timestamptz` : sql``} ${f.to ? sql`and e.at < ${iso(f.to)}::timestamptz` : sql``}
        ${f.level !== undefined ? sql`and coalesce((e.data->>'level')::int, 1) = ${f.level}` : sql``}
      ${includePlans ? sql`
      union all
      select 'plan:' || pp.plan_id || ':' || pp.period, 'plan', pp.checked_at,
        1, 'plan_shortfall', to_jsonb(pp.escalated_to), null::boolean,
        null, pp.plan_id, pp.period, null,
        c.county, c.department, c.item_code, c.action_code, c.status,
        a.recorded_by, u.display_name, a.created_at, case when a.recorded_by is null then null else 'session_recorded' end
      from plan_periods pp
      join plans c on c.id = pp.plan_id
      left join lateral (
        select s.recorded_by, s.created_at from plan_sessions s
        where s.plan_id = pp.plan_id and s.created_at > pp.checked_at and s.recorded_by is not null
        order by s.created_at limit 1
      ) a on true
      left join users u on u.id = a.recorded_by
      where pp.escalated_to is not null ${planConds}
        ${f.from ? sql`and pp.checked_at >= ${iso(f.from)}::timestamptz` : sql``} ${f.to ? sql`and pp.checked_at < ${iso(f.to)}::timestamptz` : sql``}` : sql``}
    ) x
    where true
      ${f.acted === true ? sql`and x."actedBy" is not null` : f.acted === false ? sql`and x."actedBy" is null` : sql``}
      ${before ? sql`and (x.at, x.key) < (${iso(before[0])}::timestamptz, ${before[1]})` : sql``}
    order by x.at desc, x.key desc
    limit ${limit + 1}`;
  withDates(rows, ['at', 'actedAt']);
  return page(rows, limit, (r) => [r.at, r.key]);
}
