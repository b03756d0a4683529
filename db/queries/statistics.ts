/**
 * 工作情况统计表 (attachment 3): per quarter, per county × department × item, counted from the read
 * model as of a cut-off (the quarter's end, or `now` while the quarter runs — county tables are
 * drafted and submitted before the quarter ends).
 *
 * Definitions (ours; the seed names the columns only). With Q = [quarter start, cut-off):
 * - cases opened: opened in Q;
 * - completed (办结): ended in Q as closed or rejected (不予办理 is a handled result too); cancelled is not;
 * - completed on time: of those, completed_on_time (no step, nor a supplement, went past its deadline);
 * - overdue: completed in Q late, plus cases still pending at the cut-off that had an `overdue`
 *   (or `supplement_overdue`) event before it;
 * - pending: opened before the cut-off and not ended at it;
 * - plan periods (and compliant): plan periods ending in Q, checked before the cut-off;
 * - people served: distinct subjects with a case active in Q (opened before the cut-off, not ended
 *   before Q) or a plan period counted above. Every total counts distinct people (附件3 服务对象人数):
 *   a group's subtotal, a department's total, the city's: a person served under two items, or by two
 *   counties, is one person. Each row keeps the ids of its people (`subjects`, never shown) so totals
 *   of frozen tables can be taken as unions.
 * - other difficulty / overrides: cases and plans opened in Q on the open ground 其他特殊困难, or by a
 *   coordinator's override of an eligibility refusal (eligibility_decisions).
 * Items are grouped as the plan groups them: (一) 政务服务 1–4, (二) 公共服务 5–8, (三) 社会保障 9–10,
 * (四) 居家服务 11–12, each with a subtotal.
 * Carried work: when a county department submitted its table of the previous quarter before that
 * quarter ended, what it did between the submission and the quarter's end (cases opened, completed,
 * completed late, plan periods, eligibility grounds, and people first served then) is carried into
 * this quarter's table as rows marked `carriedFrom`; stocks (pending, overdue still open) are not
 * carried, they stand in this quarter's own rows.
 * The city table is the sum of the county tables: each county department's submitted table when it
 * has submitted, its live figures otherwise.
 */
import { createHash, randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import { previousQuarter, quarterRange, shanghaiDate } from '../../domain/calendar';
import { CATALOG, type ItemCategory } from '../../domain/catalog';
import { CITY, COUNTY_CODES } from '../../domain/counties';
import { DEPARTMENT_CODES } from '../../domain/departments';
import type { Db } from '../client';
import { canonicalJson } from './ledger';
import { iso, withDates } from './supervision';

export const FIGURES = [
  'peopleServed', 'casesOpened', 'casesCompleted', 'completedOnTime', 'overdue', 'pending', 'planPeriods', 'planPeriodsCompliant',
  'otherDifficulty', 'eligibilityOverrides',
] as const;
export type Figure = (typeof FIGURES)[number];
export type Figures = Record<Figure, number>;
export const zeroFigures = (): Figures => Object.fromEntries(FIGURES.map((f) => [f, 0])) as Figures;

/** Figures that count events in a period (they add up across time); the others are people or stocks. */
const FLOWS: readonly Figure[] = ['casesOpened', 'casesCompleted', 'completedOnTime', 'planPeriods', 'planPeriodsCompliant', 'otherDifficulty', 'eligibilityOverrides'];

export interface StatsRow extends Figures { county: string; department: string; itemCode: string; subjects: string[] }

/** One row of a table: an item's figures, with the ids of its people (absent in tables frozen before they were kept). */
export type TableRow = { itemCode: string; subjects?: string[]; carriedFrom?: string } & Figures;

/** A group of items as the plan groups them, with its subtotal (distinct people). */
export interface TableGroup { code: ItemCategory; label: string; items: string[]; subtotal: Figures }

/**
 * A county department's (or the city department's) table: one row per item, the rows carried from
 * the previous quarter, the plan's groups with subtotals, and the totals (distinct people).
 */
export interface DepartmentTable { department: string; rows: TableRow[]; carried?: TableRow[]; groups?: TableGroup[]; totals: Figures }

/** The plan's four groups of items, as section 三 heads them. */
export const ITEM_GROUP_LABELS: Readonly<Record<ItemCategory, string>> = Object.freeze({
  A: '（一）政务服务', B: '（二）公共服务', C: '（三）社会保障', D: '（四）居家服务',
});

export interface StatsScope { counties?: readonly string[]; departments?: readonly string[] }

/** The cut-off: the quarter's end, or `now` if the quarter has not ended. */
export function cutOff(quarter: string, now: Date): { start: Date; end: Date; cut: Date } {
  const { start, end } = quarterRange(quarter);
  return { start, end, cut: now < end ? now : end };
}

/**
 * Figures per county × department × item for a quarter (only combinations with activity). A quarter
 * still running is counted now; an ended one is counted once and stored (quarter_statistics), and the
 * stored count is used while no row timed before the quarter's end has been written since it was
 * counted (otherwise it is counted again): so reading a past quarter costs the check, not the count.
 */
export async function quarterStatistics(db: Db, quarter: string, now: Date, scope: StatsScope = {}): Promise<StatsRow[]> {
  const { end, cut } = cutOff(quarter, now);
  if (cut < end) return countQuarter(db, quarter, now, scope);
  const rows = await storedQuarter(db, quarter);
  return rows.filter((r) => (!scope.counties || scope.counties.includes(r.county)) && (!scope.departments || scope.departments.includes(r.department)));
}

/** An ended quarter's figures (every county and department): the stored count while it holds, else counted again and stored. */
async function storedQuarter(db: Db, quarter: string): Promise<StatsRow[]> {
  const sql = db.$client;
  const { start, end } = quarterRange(quarter);
  const [stored] = await sql<Array<{ rows: StatsRow[]; countedAt: Date }>>`
    select rows, counted_at as "countedAt" from quarter_statistics where quarter = ${quarter}`;
  if (stored && !(await writtenSince(db, new Date(stored.countedAt), start, end))) return stored.rows;
  // The database's clock (rows' recorded_at / created_at are its own), read before counting and set back a
  // minute: a row written while counting, or by a transaction that began before and committed after the
  // count began (its created_at is its start), makes the next read count again.
  const [{ at }] = await sql<Array<{ at: Date }>>`select now() - interval '1 minute' as at`;
  const rows = await countQuarter(db, quarter, end);
  await sql`
    insert into quarter_statistics (quarter, rows, counted_at) values (${quarter}, ${JSON.stringify(rows)}::json, ${iso(new Date(at))}::timestamptz)
    on conflict (quarter) do update set rows = excluded.rows, counted_at = excluded.counted_at
      where quarter_statistics.counted_at <= excluded.counted_at`;
  return rows;
}

/**
 * Whether rows that count in the quarter [start, end) were written after `since`: case events timed
 * before the end (a late projection), cases opened before it, plan periods ending in it, eligibility
 * decisions before it. Each is one probe of a `recorded_at` / `created_at` index.
 */
async function writtenSince(db: Db, since: Date, start: Date, end: Date): Promise<boolean> {
  return withCustomPlans(db, (sql) => changedIn(sql, since, start, end));
}

async function changedIn(sql: postgres.TransactionSql, since: Date, start: Date, end: Date): Promise<boolean> {
  const lastDay = shanghaiDate(new Date(end.getTime() - 1));
  const t = iso(since);
  const [{ changed }] = await sql<Array<{ changed: boolean }>>`
    select exists (select 1 from case_events where recorded_at > ${t}::timestamptz and at < ${iso(end)}::timestamptz)
      or exists (select 1 from cases where created_at > ${t}::timestamptz and opened_at < ${iso(end)}::timestamptz)
      or exists (select 1 from plan_periods where recorded_at > ${t}::timestamptz and end_date >= ${shanghaiDate(start)}::date and end_date <= ${lastDay}::date)
      or exists (select 1 from eligibility_decisions where recorded_at > ${t}::timestamptz and decided_at < ${iso(end)}::timestamptz) as changed`;
  return changed;
}

/** Counts a quarter's figures from the read model as of its cut-off (the recount). */
export async function countQuarter(db: Db, quarter: string, now: Date, scope: StatsScope = {}): Promise<StatsRow[]> {
  const { start, cut } = cutOff(quarter, now);
  if (cut <= start) return [];
  return withCustomPlans(db, (sql) => countIn(sql, start, cut, scope));
}

/**
 * Runs `fn` in a transaction whose statements are always planned for their parameters: the ranges
 * these queries take (a quarter, "written since") select a sliver of a large table or most of it, and a
 * prepared statement's generic plan (PostgreSQL's choice after five runs) can scan the whole table.
 */
function withCustomPlans<T>(db: Db, fn: (sql: postgres.TransactionSql) => Promise<T>): Promise<T> {
  return db.$client.begin(async (sql) => {
    await sql`set local plan_cache_mode = force_custom_plan`;
    return fn(sql);
  }) as Promise<T>;
}

async function countIn(sql: postgres.TransactionSql, start: Date, cut: Date, scope: StatsScope): Promise<StatsRow[]> {
  const firstDay = shanghaiDate(start);
  const lastDay = shanghaiDate(new Date(cut.getTime() - 1));
  const scopeCond = (county: postgres.PendingQuery<postgres.Row[]>, department: postgres.PendingQuery<postgres.Row[]>) => sql`
    ${scope.counties ? (scope.counties.length ? sql`and ${county} in ${sql(scope.counties as string[])}` : sql`and false`) : sql``}
    ${scope.departments ? (scope.departments.length ? sql`and ${department} in ${sql(scope.departments as string[])}` : sql`and false`) : sql``}`;
  const cond = (alias: 'c' | 'p') => (alias === 'c' ? scopeCond(sql`c.county`, sql`c.department`) : scopeCond(sql`p.county`, sql`p.department`));
  const rows = await sql<Array<StatsRow>>`
    with cs as (
      -- The cases active in the quarter, found through two indexes so the cost grows with the quarter's
      -- work and the open backlog, not with every case ever recorded: the open ones (cases_open_stats_idx),
      -- and the ended ones that ended at or after the quarter's start (cases_ended_stats_idx); both hold
      -- every column read here, so the wide rows are never read.
      select c.id, c.county, c.department, c.item_code, c.subject_id, c.opened_at, 'open'::text as status, c.completed_on_time, null::timestamptz as ended_at
      from cases c
      where c.status = 'open' and c.opened_at < ${iso(cut)}::timestamptz ${cond('c')}
      union all
      select c.id, c.county, c.department, c.item_code, c.subject_id, c.opened_at, c.status, c.completed_on_time, coalesce(c.closed_at, c.last_event_at)
      from cases c
      where c.status <> 'open' and coalesce(c.closed_at, c.last_event_at) >= ${iso(start)}::timestamptz
        and c.opened_at < ${iso(cut)}::timestamptz ${cond('c')}
    ), cso as (
      -- Whether a case pending at the cut-off had been overdue: one probe per pending case (never a scan of
      -- every overdue event in history) into the partial index of overdue events (case_events_overdue_idx).
      select cs.*, false as was_overdue from cs where cs.ended_at < ${iso(cut)}::timestamptz
      union all
      select cs.*, (ov.x is not null) as was_overdue
      from cs left join lateral (
        select 1 as x from case_events e
        where e.case_id = cs.id and e.type in ('overdue', 'supplement_overdue') and e.at < ${iso(cut)}::timestamptz
        limit 1
      ) ov on true
      where cs.ended_at is null or cs.ended_at >= ${iso(cut)}::timestamptz
    ), act as (
      select county, department, item_code, subject_id,
        (opened_at >= ${iso(start)}::timestamptz)::int as opened,
        (status in ('closed', 'rejected') and ended_at >= ${iso(start)}::timestamptz and ended_at < ${iso(cut)}::timestamptz)::int as completed,
        (status in ('closed', 'rejected') and ended_at >= ${iso(start)}::timestamptz and ended_at < ${iso(cut)}::timestamptz and completed_on_time is true)::int as on_time,
        ((status in ('closed', 'rejected') and ended_at >= ${iso(start)}::timestamptz and ended_at < ${iso(cut)}::timestamptz and completed_on_time is false)
          or was_overdue)::int as overdue,
        (ended_at is null or ended_at >= ${iso(cut)}::timestamptz)::int as pending,
        0 as periods, 0 as compliant, 0 as other, 0 as overrides
      from cso
      where ended_at is null or ended_at >= ${iso(start)}::timestamptz
      union all
      select p.county, p.department, p.item_code, p.subject_id, 0, 0, 0, 0, 0, 1, pp.compliant::int, 0, 0
      from plan_periods pp join plans p on p.id = pp.plan_id
      where pp.end_date >= ${firstDay}::date and pp.end_date <= ${lastDay}::date and pp.checked_at < ${iso(cut)}::timestamptz ${cond('p')}
      union all
      select d.county, d.department, d.item_code, null, 0, 0, 0, 0, 0, 0, 0, (d.ground = 'other_difficulty')::int, (d.ground = 'override')::int
      from eligibility_decisions d
      where d.decided_at >= ${iso(start)}::timestamptz and d.decided_at < ${iso(cut)}::timestamptz
        ${scopeCond(sql`d.county`, sql`d.department`)}
    ), per_person as (
      -- One row per person and item first (a hash aggregate), so the rows' people need no distinct sort.
      select county, department, item_code, subject_id, sum(opened) as opened, sum(completed) as completed, sum(on_time) as on_time,
        sum(overdue) as overdue, sum(pending) as pending, sum(periods) as periods, sum(compliant) as compliant, sum(other) as other, sum(overrides) as overrides
      from act
      group by county, department, item_code, subject_id
    )
    select county, department, item_code as "itemCode",
      count(subject_id)::int as "peopleServed", sum(opened)::int as "casesOpened", sum(completed)::int as "casesCompleted",
      sum(on_time)::int as "completedOnTime", sum(overdue)::int as overdue, sum(pending)::int as pending,
      sum(periods)::int as "planPeriods", sum(compliant)::int as "planPeriodsCompliant",
      sum(other)::int as "otherDifficulty", sum(overrides)::int as "eligibilityOverrides",
      coalesce(array_agg(subject_id) filter (where subject_id is not null), '{}') as subjects
    from per_person
    group by county, department, item_code
    order by county, department, item_code`;
  return rows;
}

/** Items a department implements at county level (the table's rows, zero-filled), in plan order. */
export function departmentItems(department: string): string[] {
  return CATALOG.items.filter((i) => i.actions.some((a) => a.implementing === department)).map((i) => i.code);
}

const ITEM_ORDER = new Map(CATALOG.items.map((i, n) => [i.code as string, n]));

/** Adds figures into `into`. */
export function addFigures(into: Figures, f: Figures): Figures {
  for (const k of FIGURES) into[k] += f[k];
  return into;
}

const pick = (f: Figures): Figures => Object.fromEntries(FIGURES.map((k) => [k, f[k]])) as Figures;

/**
 * The figures of several rows: sums, except people, who are counted once (the union of the rows'
 * people; rows frozen without their people's ids add their count as it stands).
 */
export function sumDistinct(rows: readonly TableRow[]): Figures & { subjects: string[] } {
  const total = zeroFigures();
  const people = new Set<string>();
  let uncounted = 0;
  for (const r of rows) {
    addFigures(total, r);
    if (r.subjects) for (const id of r.subjects) people.add(id);
    else uncounted += r.peopleServed;
  }
  total.peopleServed = people.size + uncounted;
  return { ...total, subjects: [...people] };
}

const itemCategory = new Map(CATALOG.items.map((i) => [i.code as string, i.category]));
const byPlanOrder = (a: { itemCode: string }, b: { itemCode: string }) => (ITEM_ORDER.get(a.itemCode) ?? 99) - (ITEM_ORDER.get(b.itemCode) ?? 99);

/** Merges rows of the same item (across counties): figures summed, people united. */
function mergeByItem(rows: readonly TableRow[], carriedFrom?: string): TableRow[] {
  const byItem = new Map<string, TableRow[]>();
  for (const r of rows) (byItem.get(r.itemCode) ?? byItem.set(r.itemCode, []).get(r.itemCode)!).push(r);
  return [...byItem.entries()].map(([itemCode, rs]) => {
    const { subjects, ...f } = sumDistinct(rs);
    const keepIds = rs.every((r) => r.subjects);
    return { itemCode, ...pick(f), ...(keepIds ? { subjects } : {}), ...(carriedFrom ? { carriedFrom } : {}) };
  }).sort(byPlanOrder);
}

/** One department's table from live rows (zero-filled with the department's items), and rows carried from the previous quarter. */
export function departmentTable(department: string, rows: readonly TableRow[], carried: readonly TableRow[] = []): DepartmentTable {
  const zeroRows: TableRow[] = departmentItems(department).map((itemCode) => ({ itemCode, ...zeroFigures(), subjects: [] }));
  const own = mergeByItem([...zeroRows, ...rows.filter((r) => !r.carriedFrom)]);
  const carriedRows = mergeByItem(carried, carried[0]?.carriedFrom);
  const all = [...own, ...carriedRows];
  const groups: TableGroup[] = (Object.keys(ITEM_GROUP_LABELS) as ItemCategory[]).flatMap((code) => {
    const inGroup = all.filter((r) => itemCategory.get(r.itemCode) === code);
    if (inGroup.length === 0) return [];
    return [{ code, label: ITEM_GROUP_LABELS[code], items: [...new Set(inGroup.map((r) => r.itemCode))].sort((a, b) => (ITEM_ORDER.get(a) ?? 99) - (ITEM_ORDER.get(b) ?? 99)), subtotal: pick(sumDistinct(inGroup)) }];
  });
  return { department, rows: own, carried: carriedRows, groups, totals: pick(sumDistinct(all)) };
}

/** What a table of the previous quarter, submitted at `snapshot`, missed of the quarter's full figures `full`. */
export function carriedRows(full: readonly TableRow[], snapshot: readonly TableRow[], from: string): TableRow[] {
  const before = new Map(snapshot.map((r) => [r.itemCode, r]));
  return full.flatMap((r) => {
    const b = before.get(r.itemCode) ?? { itemCode: r.itemCode, ...zeroFigures(), subjects: [] };
    const out: TableRow = { itemCode: r.itemCode, ...zeroFigures(), carriedFrom: from };
    for (const k of FLOWS) out[k] = Math.max(0, r[k] - b[k]);
    // Completed late in the gap: late completions are the completed minus the completed on time.
    out.overdue = Math.max(0, (r.casesCompleted - r.completedOnTime) - (b.casesCompleted - b.completedOnTime));
    const known = new Set(b.subjects ?? []);
    out.subjects = b.subjects ? (r.subjects ?? []).filter((id) => !known.has(id)) : [];
    out.peopleServed = out.subjects.length;
    return FIGURES.some((k) => out[k] > 0) ? [out] : [];
  });
}

/** sha256 of a table's canonical JSON. */
export const tableHash = (t: unknown) => createHash('sha256').update(canonicalJson(t)).digest('hex');

export interface Submission {
  id: string; quarter: string; level: string; county: string; department: string; status: string;
  table: DepartmentTable & { asOf: string }; contentHash: string | null; draftedAt: Date | null; submittedAt: Date | null;
  submittedBy: string | null; late: boolean; remindedAt: Date | null; reminders: number; sharedAt: Date | null;
  /** The display name of the user who submitted (for the board). */
  submittedByName?: string | null;
}

const SUBMISSION_DATES = ['draftedAt', 'submittedAt', 'remindedAt', 'sharedAt'] as const;

const SUBMISSION_COLUMNS = (sql: postgres.Sql) => sql`
  id, quarter, level, county, department, status, "table", content_hash as "contentHash", drafted_at as "draftedAt",
  submitted_at as "submittedAt", submitted_by as "submittedBy", late, reminded_at as "remindedAt", reminders, shared_at as "sharedAt",
  (select u.display_name from users u where u.id = report_submissions.submitted_by) as "submittedByName"`;

/** Submissions of a quarter at a level (county tables, or the city sums), optionally narrowed. */
export async function listSubmissions(db: Db, quarter: string, level: 'county' | 'city', scope: StatsScope = {}): Promise<Submission[]> {
  const sql = db.$client;
  return withDates(await sql<Submission[]>`
    select ${SUBMISSION_COLUMNS(sql)} from report_submissions
    where quarter = ${quarter} and level = ${level}
      ${scope.counties && level === 'county' ? (scope.counties.length ? sql`and county in ${sql(scope.counties as string[])}` : sql`and false`) : sql``}
      ${scope.departments ? (scope.departments.length ? sql`and department in ${sql(scope.departments as string[])}` : sql`and false`) : sql``}
    order by county, department`, SUBMISSION_DATES);
}

/** The live tables of every county department in scope: Map "county/department" → table (with work carried from the previous quarter). */
export async function liveCountyTables(db: Db, quarter: string, now: Date, scope: StatsScope = {}): Promise<Map<string, DepartmentTable>> {
  const [rows, carried] = await Promise.all([quarterStatistics(db, quarter, now, scope), carriedWork(db, quarter, now, scope)]);
  const out = new Map<string, DepartmentTable>();
  for (const county of scope.counties ?? COUNTY_CODES) {
    for (const department of scope.departments ?? DEPARTMENT_CODES) {
      const key = `${county}/${department}`;
      out.set(key, departmentTable(department, rows.filter((r) => r.county === county && r.department === department), carried.get(key)));
    }
  }
  return out;
}

/**
 * Work done between a county department's submission of the previous quarter's table and that
 * quarter's end, per "county/department" (only for tables submitted before the quarter ended).
 */
async function carriedWork(db: Db, quarter: string, now: Date, scope: StatsScope): Promise<Map<string, TableRow[]>> {
  const prev = previousQuarter(quarter);
  const { end } = quarterRange(prev);
  const early = (await listSubmissions(db, prev, 'county', scope)).filter((s) => s.status === 'submitted' && s.submittedAt && s.submittedAt < end);
  const out = new Map<string, TableRow[]>();
  if (early.length === 0) return out;
  const full = await quarterStatistics(db, prev, now < end ? now : end, {
    counties: [...new Set(early.map((s) => s.county))], departments: [...new Set(early.map((s) => s.department))],
  });
  for (const s of early) {
    const rows = full.filter((r) => r.county === s.county && r.department === s.department);
    const snapshot = [...s.table.rows, ...(s.table.carried ?? [])];
    out.set(`${s.county}/${s.department}`, carriedRows(rows, snapshot.filter((r) => !r.carriedFrom), prev));
  }
  return out;
}

/**
 * The county tables as they count: the submitted snapshot where a county department has submitted,
 * the live figures otherwise; with each one's submission state.
 */
export async function effectiveCountyTables(db: Db, quarter: string, now: Date, scope: StatsScope = {}) {
  const [live, subs] = await Promise.all([liveCountyTables(db, quarter, now, scope), listSubmissions(db, quarter, 'county', scope)]);
  const byKey = new Map(subs.map((s) => [`${s.county}/${s.department}`, s]));
  return [...live.entries()].map(([key, table]) => {
    const [county, department] = key.split('/');
    const sub = byKey.get(key);
    const submitted = sub?.status === 'submitted';
    return { county, department, table: submitted ? sub!.table : table, submission: sub ?? null, submitted };
  });
}

/**
 * The city table of each department: the sum over the six counties of their effective county tables
 * (the submitted snapshot, else the live rows and carried work), people counted once. The live rows go
 * into the sum as counted (one row per item and county): building each county's own table first would
 * only repeat the unions of their people.
 */
export async function cityTables(db: Db, quarter: string, now: Date, departments?: readonly string[]) {
  const scope = { departments };
  const [live, carried, subs] = await Promise.all([quarterStatistics(db, quarter, now, scope), carriedWork(db, quarter, now, scope), listSubmissions(db, quarter, 'county', scope)]);
  const subByKey = new Map(subs.map((s) => [`${s.county}/${s.department}`, s]));
  return (departments ?? DEPARTMENT_CODES).map((department) => {
    const rows: TableRow[] = [];
    const carriedRows: TableRow[] = [];
    const counties = COUNTY_CODES.map((county) => {
      const sub = subByKey.get(`${county}/${department}`);
      const submitted = sub?.status === 'submitted';
      if (submitted) {
        rows.push(...sub!.table.rows);
        carriedRows.push(...(sub!.table.carried ?? []));
      } else {
        rows.push(...live.filter((r) => r.county === county && r.department === department));
        carriedRows.push(...(carried.get(`${county}/${department}`) ?? []));
      }
      return { county, submitted, late: sub?.late ?? false, submittedAt: sub?.submittedAt ?? null };
    });
    return { department, table: departmentTable(department, rows, carriedRows), counties };
  });
}

/** Drafts (or refreshes the draft of) every county department's table that has not been submitted. */
export async function draftCountyTables(db: Db, quarter: string, at: Date, scope: StatsScope = {}): Promise<number> {
  const sql = db.$client;
  const live = await liveCountyTables(db, quarter, at, scope);
  let n = 0;
  for (const [key, table] of live) {
    const [county, department] = key.split('/');
    const snapshot = { ...table, asOf: at.toISOString() };
    const res = await sql`
      insert into report_submissions (id, quarter, level, county, department, status, "table", content_hash, drafted_at)
      values (${randomUUID()}, ${quarter}, 'county', ${county}, ${department}, 'draft', ${JSON.stringify(snapshot)}::jsonb, ${tableHash(table)}, ${iso(at)}::timestamptz)
      on conflict (quarter, level, county, department) do update
        set "table" = excluded."table", content_hash = excluded.content_hash, drafted_at = excluded.drafted_at, updated_at = now()
        where report_submissions.status = 'draft'`;
    n += res.count;
  }
  return n;
}

/** Submits a county department's table: freezes the live figures. Undefined when it was already submitted. */
export async function submitCountyTable(db: Db, quarter: string, county: string, department: string, by: string, at: Date): Promise<Submission | undefined> {
  const sql = db.$client;
  const { end } = quarterRange(quarter);
  const live = (await liveCountyTables(db, quarter, at, { counties: [county], departments: [department] })).get(`${county}/${department}`)!;
  const snapshot = { ...live, asOf: (at < end ? at : end).toISOString() };
  const late = at.getTime() >= end.getTime();
  const [row] = await sql<Submission[]>`
    insert into report_submissions (id, quarter, level, county, department, status, "table", content_hash, drafted_at, submitted_at, submitted_by, late)
    values (${randomUUID()}, ${quarter}, 'county', ${county}, ${department}, 'submitted', ${JSON.stringify(snapshot)}::jsonb,
      ${tableHash(live)}, ${iso(at)}::timestamptz, ${iso(at)}::timestamptz, ${by}, ${late})
    on conflict (quarter, level, county, department) do update
      set status = 'submitted', "table" = excluded."table", content_hash = excluded.content_hash, submitted_at = excluded.submitted_at,
          submitted_by = excluded.submitted_by, late = report_submissions.late or excluded.late, updated_at = now()
      where report_submissions.status <> 'submitted'
    returning ${SUBMISSION_COLUMNS(sql)}`;
  return row ? withDates([row], SUBMISSION_DATES)[0] : undefined;
}

/** Records a reminder to every county department that has not submitted (drafting first where needed). */
export async function remindUnsubmitted(db: Db, quarter: string, at: Date): Promise<Array<{ county: string; department: string }>> {
  const sql = db.$client;
  await draftCountyTables(db, quarter, at);
  return sql<Array<{ county: string; department: string }>>`
    update report_submissions set reminded_at = ${iso(at)}::timestamptz, reminders = reminders + 1, updated_at = now()
    where quarter = ${quarter} and level = 'county' and status <> 'submitted'
    returning county, department`;
}

/**
 * After the quarter: marks county tables still not submitted as late, and shares the city tables
 * (the sums) with the city DPF. Run again (late submissions), it refreshes the city sums.
 */
export async function closeQuarter(db: Db, quarter: string, at: Date): Promise<{ late: number; cityTables: number }> {
  const sql = db.$client;
  await draftCountyTables(db, quarter, at);
  const late = await sql`update report_submissions set late = true, updated_at = now()
    where quarter = ${quarter} and level = 'county' and status <> 'submitted' and not late`;
  const tables = await cityTables(db, quarter, at);
  for (const t of tables) {
    const snapshot = { ...t.table, asOf: at.toISOString(), counties: t.counties };
    await sql`
      insert into report_submissions (id, quarter, level, county, department, status, "table", content_hash, drafted_at, shared_at)
      values (${randomUUID()}, ${quarter}, 'city', ${CITY.code}, ${t.department}, 'shared', ${JSON.stringify(snapshot)}::jsonb, ${tableHash(t.table)}, ${iso(at)}::timestamptz, ${iso(at)}::timestamptz)
      on conflict (quarter, level, county, department) do update
        set "table" = excluded."table", content_hash = excluded.content_hash, shared_at = excluded.shared_at, updated_at = now()`;
  }
  return { late: late.count, cityTables: tables.length };
}

/** What the city sent to the region (报送至自治区): the city tables of every department, frozen when sent. */
export interface RegionExport {
  quarter: string; sentAt: Date; sentBy: string; contentHash: string;
  tables: Array<{ department: string; table: DepartmentTable; counties: Array<{ county: string; submitted: boolean; late: boolean }> }>;
  asOf: string;
}

/** The region export of a quarter, once sent. */
export async function regionExport(db: Db, quarter: string): Promise<RegionExport | undefined> {
  const sql = db.$client;
  const [row] = await sql<Array<{ table: { tables: RegionExport['tables']; asOf: string }; submitted_at: Date; submitted_by: string; content_hash: string }>>`
    select "table", submitted_at, submitted_by, content_hash from report_submissions
    where quarter = ${quarter} and level = 'region' and county = ${CITY.code} and department = 'ALL'`;
  if (!row) return undefined;
  return { quarter, sentAt: new Date(row.submitted_at), sentBy: row.submitted_by, contentHash: row.content_hash, tables: row.table.tables, asOf: row.table.asOf };
}

/**
 * Sends the city tables of a quarter to the region: freezes them (every department, as the city
 * sums them at `at`) and records when and by whom. Undefined when the quarter was sent already.
 */
export async function sendToRegion(db: Db, quarter: string, by: string, at: Date): Promise<RegionExport | undefined> {
  const sql = db.$client;
  const tables = (await cityTables(db, quarter, at)).map((t) => ({
    department: t.department, table: t.table, counties: t.counties.map((c) => ({ county: c.county, submitted: c.submitted, late: c.late })),
  }));
  const snapshot = { tables, asOf: at.toISOString() };
  const hash = tableHash(tables);
  const res = await sql`
    insert into report_submissions (id, quarter, level, county, department, status, "table", content_hash, drafted_at, submitted_at, submitted_by)
    values (${randomUUID()}, ${quarter}, 'region', ${CITY.code}, 'ALL', 'sent', ${JSON.stringify(snapshot)}::jsonb, ${hash}, ${iso(at)}::timestamptz, ${iso(at)}::timestamptz, ${by})
    on conflict (quarter, level, county, department) do nothing`;
  return res.count === 0 ? undefined : regionExport(db, quarter);
}
