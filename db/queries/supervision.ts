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

/** The assignee filter's value for cases no one is assigned. */
export const UNASSIGNED = 'none';

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
  // `none`: the cases no one is assigned (the workload's 未分派 row).
  if (f.assignee) parts.push(f.assignee === UNASSIGNED ? sql`c.assignee is null` : sql`c.assignee = ${f.assignee}`);
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
    where ${summaryPredicate(sql, 'overdue', summaryWindows(now))} and c.opened_at <= ${iso(now)}::timestamptz
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
export type SummaryGrouping = 'total' | 'county' | 'department' | 'item' | 'countyDepartment';
export interface SummaryRow extends SummaryCounts { county: string | null; department: string | null; itemCode: string | null; grouping: SummaryGrouping }

/** The figures of the summary, each a count of cases; the same predicate lists them (/v1/supervision/cases?figure=). */
export const SUMMARY_FIGURES = ['open', 'overdue', 'dueThisWeek', 'closedThisMonth', 'closedOnTimeThisMonth'] as const;
export type SummaryFigure = (typeof SUMMARY_FIGURES)[number];

/** The weekly trend's figures per week (Asia/Shanghai, Monday to Sunday); the same predicate lists them. */
export const TREND_FIGURES = ['opened', 'closed', 'closedOnTime', 'becameOverdue'] as const;
export type TrendFigure = (typeof TREND_FIGURES)[number];

/**
 * The Asia/Shanghai week (Monday 00:00 to the next Monday 00:00) holding `date` (YYYY-MM-DD): the one
 * definition of a week for the summary's "due this week" and the weekly trend.
 */
export function shanghaiWeek(date: string): { week: string; start: Date; end: Date } {
  const week = weekStart(date);
  return { week, start: startOfShanghaiDay(week), end: startOfShanghaiDay(addDaysToDate(week, 7)) };
}

/** The Shanghai week [now, end of Sunday) and month of `now`. */
export function summaryWindows(now: Date) {
  const weekEnd = shanghaiWeek(shanghaiDate(now)).end;
  const month = monthOf(now);
  return { now, weekEnd, month, ...monthRange(month) };
}
export type SummaryWindows = ReturnType<typeof summaryWindows>;

/**
 * Each summary figure's condition on a cases alias `c` (with `c.opened_at <= now` beside it): the count in
 * the summary and the case list behind it use this one definition, so they always agree.
 * Overdue and due this week leave out cases on hold (their clock is stopped); 办结 is closed or rejected.
 */
export function summaryPredicate(sql: Sql, figure: SummaryFigure, w: SummaryWindows): Fragment {
  const now = sql`${iso(w.now)}::timestamptz`;
  const done = sql`c.status in ('closed', 'rejected') and c.closed_at >= ${iso(w.start)}::timestamptz and c.closed_at < ${iso(w.end)}::timestamptz and c.closed_at <= ${now}`;
  switch (figure) {
    case 'open': return sql`c.status = 'open'`;
    case 'overdue': return sql`c.status = 'open' and not c.on_hold and c.due_at < ${now}`;
    case 'dueThisWeek': return sql`c.status = 'open' and not c.on_hold and c.due_at >= ${now} and c.due_at < ${iso(w.weekEnd)}::timestamptz`;
    case 'closedThisMonth': return sql`(${done})`;
    case 'closedOnTimeThisMonth': return sql`(${done} and c.completed_on_time)`;
  }
}

/** An event `e` that marks its case overdue between `from` and `to` (the trend's becameOverdue). */
const overdueEvent = (sql: Sql, from: Fragment, to: Fragment): Fragment => sql`e.type = 'overdue' and e.at >= ${from} and e.at < ${to}`;

/**
 * Each trend figure's condition on a cases alias `c` for the window [from, to) (a week, cut at now):
 * opened in it; 办结 (closed or rejected) in it; of those, on time; went overdue in it (a step deadline
 * passed: the workflow's `overdue` event). The weekly counts and the lists behind them use this.
 */
export function trendPredicate(sql: Sql, figure: TrendFigure, from: Fragment, to: Fragment): Fragment {
  // The same bounds on coalesce(closed_at, last_event_at) (equal to closed_at once a case is closed or
  // rejected) let the count read cases_ended_stats_idx alone, never the wide rows.
  const ended = sql`coalesce(c.closed_at, c.last_event_at)`;
  const done = sql`c.status in ('closed', 'rejected') and c.closed_at >= ${from} and c.closed_at < ${to} and ${ended} >= ${from} and ${ended} < ${to}`;
  switch (figure) {
    case 'opened': return sql`c.opened_at >= ${from} and c.opened_at < ${to}`;
    case 'closed': return sql`(${done})`;
    case 'closedOnTime': return sql`(${done} and c.completed_on_time)`;
    case 'becameOverdue': return sql`exists (select 1 from case_events e where e.case_id = c.id and ${overdueEvent(sql, from, to)})`;
  }
}

/** The last `weeks` Shanghai weeks up to the one holding `now`, oldest first, each cut at `now`. */
export function trendWeeks(now: Date, weeks: number): Array<{ week: string; start: Date; end: Date }> {
  const current = shanghaiWeek(shanghaiDate(now)).week;
  return Array.from({ length: weeks }, (_, i) => {
    const w = shanghaiWeek(addDaysToDate(current, -7 * (weeks - 1 - i)));
    return { ...w, end: w.end > now ? now : w.end };
  });
}

export interface TrendRow { week: string; start: Date; end: Date; opened: number; closed: number; closedOnTime: number; becameOverdue: number }

/** The weekly trend: per week, each TREND_FIGURES count over the cases in scope (one statement, a row per week). */
export async function trend(db: Db, scope: Scope, f: CaseFilters, now: Date, weeks: number): Promise<TrendRow[]> {
  const sql = db.$client;
  const ws = trendWeeks(now, weeks);
  const values = ws.map((w, i) => sql`(${i}::int, ${iso(w.start)}::timestamptz, ${iso(w.end)}::timestamptz)`)
    .reduce((acc, v, i) => (i === 0 ? v : sql`${acc}, ${v}`));
  const conds = caseConditions(sql, scope, f);
  // Opened and closed: a count per week, read from cases_opened_idx and cases_ended_stats_idx
  // (trendPredicate's bounds on coalesce(closed_at, last_event_at) make the latter index-only).
  const count = (figure: TrendFigure) => sql`(select count(*) from cases c where ${trendPredicate(sql, figure, sql`w.s`, sql`w.e`)} ${conds})::int`;
  // The cases that went overdue (trendPredicate's becameOverdue), for all the weeks in one pass over
  // those weeks' events. Every event belongs to a case (foreign key), so when nothing narrows the cases
  // (the city, no filter) case_events_type_at_idx alone answers.
  const everyCase = scope.counties === 'all' && scope.departments === 'all' && Object.values(f).every((v) => v === undefined);
  const events = sql`w join case_events e on ${overdueEvent(sql, sql`w.s`, sql`w.e`)}
    and ${overdueEvent(sql, sql`${iso(ws[0].start)}::timestamptz`, sql`${iso(ws[ws.length - 1].end)}::timestamptz`)}`;
  const overdue = everyCase
    ? sql`select w.i, count(distinct e.case_id)::int as n from ${events} group by w.i`
    : sql`select w.i, count(distinct c.id)::int as n from ${events} join cases c on c.id = e.case_id where true ${conds} group by w.i`;
  const rows = await sql<Array<{ i: number; opened: number; closed: number; closedOnTime: number; becameOverdue: number }>>`
    with w(i, s, e) as (values ${values}), overdue as (${overdue})
    select w.i, ${count('opened')} as opened, ${count('closed')} as closed, ${count('closedOnTime')} as "closedOnTime", coalesce(o.n, 0) as "becameOverdue"
    from w left join overdue o on o.i = w.i
    order by w.i`;
  return rows.map((r) => ({ ...ws[r.i], opened: r.opened, closed: r.closed, closedOnTime: r.closedOnTime, becameOverdue: r.becameOverdue }));
}

/** A case of a figure's list: the case columns and when it was 办结 (closed or rejected) and whether on time. */
export interface FigureCaseRow extends CaseListRow { closedAt: Date | null; completedOnTime: boolean | null }

/** Which figure's cases to list: a summary figure as of now, or a trend figure in one week. */
export type FigureSelection = { figure: SummaryFigure } | { figure: TrendFigure; week: string };

/**
 * The cases behind one figure of the summary or the trend, keyset-paginated: the same predicate as the
 * count, so the list's length equals the figure. Overdue and due this week by due time (most pressing
 * first), all open cases oldest first, ended ones newest 办结 first, opened and went-overdue ones newest
 * opened first.
 */
export async function listFigureCases(db: Db, scope: Scope, f: CaseFilters, now: Date, sel: FigureSelection, limit: number, after?: PageKey): Promise<Page<FigureCaseRow>> {
  const sql = db.$client;
  let where: Fragment;
  if ('week' in sel) {
    const w = shanghaiWeek(sel.week);
    const end = w.end > now ? now : w.end;
    where = trendPredicate(sql, sel.figure, sql`${iso(w.start)}::timestamptz`, sql`${iso(end)}::timestamptz`);
  } else {
    where = summaryPredicate(sql, sel.figure, summaryWindows(now));
  }
  const sortCol = sel.figure === 'overdue' || sel.figure === 'dueThisWeek' ? 'due_at'
    : sel.figure === 'open' || sel.figure === 'opened' || sel.figure === 'becameOverdue' ? 'opened_at' : 'closed_at';
  const desc = sortCol !== 'due_at' && sel.figure !== 'open';
  const col = sql(`c.${sortCol}`);
  const keyset = after ? (desc ? sql`and (${col}, c.id) < (${iso(after[0])}::timestamptz, ${after[1]})` : sql`and (${col}, c.id) > (${iso(after[0])}::timestamptz, ${after[1]})`) : sql``;
  const rows = await sql<Array<FigureCaseRow & { sortAt: Date }>>`
    select ${CASE_COLUMNS(sql)}, c.closed_at as "closedAt", c.completed_on_time as "completedOnTime", ${col} as "sortAt"
    from cases c
    join subjects s on s.id = c.subject_id
    left join users u on u.id = c.assignee
    where ${where} and c.opened_at <= ${iso(now)}::timestamptz ${caseConditions(sql, scope, f)} ${keyset}
    order by ${col} ${desc ? sql`desc` : sql`asc`}, c.id ${desc ? sql`desc` : sql`asc`}
    limit ${limit + 1}`;
  withDates(rows, [...CASE_DATES, 'closedAt', 'sortAt']);
  const res = page(rows, limit, (r) => [r.sortAt, r.id]);
  return { items: res.items.map(({ sortAt: _sortAt, ...r }) => r), next: res.next };
}

/**
 * Open, overdue, due this week (not yet overdue, due before Sunday 24:00 Asia/Shanghai), closed this
 * month (办结: closed or rejected) and closed on time — in total, by county, department and item, and
 * by county × department (the heat map), in one pass (GROUPING SETS).
 */
export async function summary(db: Db, scope: Scope, f: CaseFilters, now: Date): Promise<SummaryRow[]> {
  const sql = db.$client;
  const w = summaryWindows(now);
  const pred = (figure: SummaryFigure) => summaryPredicate(sql, figure, w);
  const rows = await sql<Array<Record<string, unknown>>>`
    select grouping(c.county) as gc, grouping(c.department) as gd, grouping(c.item_code) as gi,
      c.county, c.department, c.item_code as "itemCode",
      count(*) filter (where ${pred('open')})::int as open,
      count(*) filter (where ${pred('overdue')})::int as overdue,
      count(*) filter (where ${pred('dueThisWeek')})::int as "dueThisWeek",
      count(*) filter (where ${pred('closedThisMonth')})::int as "closedThisMonth",
      count(*) filter (where ${pred('closedOnTimeThisMonth')})::int as "closedOnTimeThisMonth"
    from cases c
    where c.opened_at <= ${iso(now)}::timestamptz and (${pred('open')} or ${pred('closedThisMonth')}) ${caseConditions(sql, scope, f)}
    group by grouping sets ((), (c.county), (c.department), (c.item_code), (c.county, c.department))`;
  return rows.map((r) => ({
    grouping: r.gc === 0 && r.gd === 0 ? 'countyDepartment' : r.gc === 0 ? 'county' : r.gd === 0 ? 'department' : r.gi === 0 ? 'item' : 'total',
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
  const w = summaryWindows(now);
  return withDates(await sql<WorkloadRow[]>`
    select c.assignee, min(u.display_name) as "assigneeName",
      count(*)::int as open,
      count(*) filter (where ${summaryPredicate(sql, 'overdue', w)})::int as overdue,
      count(*) filter (where ${summaryPredicate(sql, 'dueThisWeek', w)})::int as "dueThisWeek",
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
