/**
 * The 工作台账 read side: a county department's month of ledger rows (with serial numbers), the
 * monthly share with the same-level DPF (frozen: row count + sha256 over the canonical rows; the
 * 0004 migration's trigger keeps a shared month immutable), edits before sharing and amendment rows after.
 */
import { createHash, randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import { monthOf, monthRange, shanghaiDate } from '../../domain/calendar';
import { findAction } from '../../domain/catalog';
import { SUPPLEMENT_STAGE_LABELS, type SupplementStage } from '../../domain/caseFlow';
import { COUNTY_CODES } from '../../domain/counties';
import { DEPARTMENT_CODES } from '../../domain/departments';
import { subjectLedgerColumns, type LedgerRow } from '../../domain/ledger';
import type { Db } from '../client';
import { iso, withDates, type Page } from './supervision';

export interface LedgerEntry {
  id: string; county: string; department: string; month: string; sourceType: string; sourceId: string; subjectId: string;
  itemCode: string; actionCode: string; row: LedgerRow; amendsId: string | null; amendReason: string | null; createdBy: string | null;
  sharedAt: Date | null; createdAt: Date;
}
export interface NumberedLedgerEntry extends LedgerEntry {
  serial: number;
  /** The amendment rows that correct this one (in later months' ledgers), oldest first; read by ledgerPage only. */
  amendedBy?: Array<{ id: string; month: string }>;
}
export interface LedgerShare { county: string; department: string; month: string; rowCount: number; contentHash: string; sharedAt: Date; sharedBy: string; sharedByName?: string | null }

/** One county department's ledger of one month. */
export interface LedgerKey { county: string; department: string; month: string }

const COLUMNS = (sql: postgres.Sql) => sql`
  l.id, l.county, l.department, l.month, l.source_type as "sourceType", l.source_id as "sourceId", l.subject_id as "subjectId",
  l.item_code as "itemCode", l.action_code as "actionCode", l.row, l.amends_id as "amendsId", l.amend_reason as "amendReason",
  l.created_by as "createdBy", l.shared_at as "sharedAt", l.created_at as "createdAt"`;

const ENTRY_DATES = ['sharedAt', 'createdAt'] as const;

/** The month's rows in ledger order (entry time, then id), numbered from 1; one page after serial number `after`. */
export async function ledgerPage(db: Db, key: LedgerKey, limit: number, after = 0): Promise<Page<NumberedLedgerEntry, number>> {
  const sql = db.$client;
  const rows = await sql<NumberedLedgerEntry[]>`
    select * from (
      select ${COLUMNS(sql)}, row_number() over (order by l.created_at, l.id)::int as serial
      from ledger_entries l
      where l.county = ${key.county} and l.department = ${key.department} and l.month = ${key.month}
    ) x where x.serial > ${after}
    order by x.serial
    limit ${limit + 1}`;
  // The page's rows corrected since (ledger_amends_idx): a shared row shows where its correction went.
  const ids = rows.map((r) => r.id);
  const amendments = ids.length ? await sql<Array<{ amendsId: string; id: string; month: string }>>`
    select amends_id as "amendsId", id, month from ledger_entries where amends_id in ${sql(ids)} order by created_at, id` : [];
  const byOriginal = new Map<string, Array<{ id: string; month: string }>>();
  for (const a of amendments) (byOriginal.get(a.amendsId) ?? byOriginal.set(a.amendsId, []).get(a.amendsId)!).push({ id: a.id, month: a.month });
  for (const r of rows) r.amendedBy = byOriginal.get(r.id) ?? [];
  withDates(rows, ENTRY_DATES);
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items, next: more ? items[items.length - 1].serial : null };
}

/** The month's rows in ledger order, in batches from a server-side cursor (exports never hold the whole month). */
export async function* ledgerBatches(db: Db, key: LedgerKey, batch = 1000): AsyncGenerator<NumberedLedgerEntry[]> {
  const sql = db.$client;
  let serial = 0;
  const query = sql<LedgerEntry[]>`
    select ${COLUMNS(sql)} from ledger_entries l
    where l.county = ${key.county} and l.department = ${key.department} and l.month = ${key.month}
    order by l.created_at, l.id`.cursor(batch);
  for await (const rows of query) yield withDates(rows, ENTRY_DATES).map((r) => ({ ...r, serial: ++serial }));
}

/** Canonical JSON: keys sorted at every level, so the same content always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** The content hash of a month's rows (in ledger order): sha256 over one canonical JSON line per row. */
export function ledgerContentHash(rows: Array<Pick<LedgerEntry, 'id' | 'sourceType' | 'sourceId' | 'subjectId' | 'itemCode' | 'actionCode' | 'row' | 'amendsId' | 'amendReason'>>): string {
  const h = createHash('sha256');
  for (const r of rows) {
    h.update(canonicalJson({
      id: r.id, sourceType: r.sourceType, sourceId: r.sourceId, subjectId: r.subjectId, itemCode: r.itemCode,
      actionCode: r.actionCode, row: r.row, amendsId: r.amendsId, amendReason: r.amendReason,
    }));
    h.update('\n');
  }
  return h.digest('hex');
}

async function monthRows(sql: postgres.Sql, key: LedgerKey): Promise<LedgerEntry[]> {
  return withDates(await sql<LedgerEntry[]>`
    select ${COLUMNS(sql)} from ledger_entries l
    where l.county = ${key.county} and l.department = ${key.department} and l.month = ${key.month}
    order by l.created_at, l.id`, ENTRY_DATES);
}

/**
 * 容缺后补: a case whose ledger entry waits for missing documents (open, its supplement pending or
 * overdue) would be in no month's ledger until they come. When its county department's month is
 * shared, it goes into that month's ledger once (source 'case_waiting'), with its state; its final
 * row follows when it is entered after the documents arrive.
 */
async function enterCasesWaitingForDocuments(sql: postgres.Sql, key: LedgerKey): Promise<number> {
  const { end } = monthRange(key.month);
  const waiting = await sql<Array<{
    id: string; subjectId: string; itemCode: string; actionCode: string; openedAt: Date; visitedAt: Date | null; greenChannel: boolean;
    supplement: { stage?: SupplementStage; missing: string[]; supplied?: string[]; dueDate: string; status: string }; name: string; idNumber: string; disabilityCategory: number | null; disabilityGrade: number | null;
  }>>`
    select c.id, c.subject_id as "subjectId", c.item_code as "itemCode", c.action_code as "actionCode", c.opened_at as "openedAt",
      c.visited_at as "visitedAt", c.green_channel as "greenChannel", c.state->'supplement' as supplement,
      s.name, s.id_number as "idNumber", s.disability_category as "disabilityCategory", s.disability_grade as "disabilityGrade"
    from cases c join subjects s on s.id = c.subject_id
    where c.county = ${key.county} and c.department = ${key.department} and c.status = 'open'
      and c.state->'supplement'->>'status' in ('pending', 'overdue') and c.opened_at < ${iso(end)}::timestamptz
      and not exists (select 1 from ledger_entries l where l.source_type = 'case_waiting' and l.source_id = c.id)`;
  for (const c of withDates(waiting, ['openedAt', 'visitedAt'])) {
    const found = findAction(c.itemCode, c.actionCode);
    const overdue = c.supplement.status === 'overdue';
    const outstanding = c.supplement.missing.filter((m) => !(c.supplement.supplied ?? []).includes(m));
    // Accepted at 申请受理 with documents missing (绿色通道+容缺后补), or at review (容缺受理).
    const stage = SUPPLEMENT_STAGE_LABELS[c.supplement.stage ?? 'review'];
    const row: LedgerRow = {
      ...subjectLedgerColumns(c),
      item: { code: c.itemCode, label: found?.item.label ?? c.itemCode },
      action: { code: c.actionCode, label: found?.action.label ?? c.actionCode },
      askedOn: shanghaiDate(c.openedAt), visitedOn: c.visitedAt ? shanghaiDate(c.visitedAt) : null, handledBy: null,
      result: overdue ? `容缺后补：材料逾期未补（补交期限 ${c.supplement.dueDate}）` : `容缺后补：待补交材料（补交期限 ${c.supplement.dueDate}）`,
      deliveryMethod: null, deliveredOn: null,
      remarks: [stage, `待补：${outstanding.join('、')}`, c.greenChannel ? '绿色通道' : ''].filter(Boolean).join('；'),
    };
    await sql`insert into ledger_entries (id, county, department, month, source_type, source_id, subject_id, item_code, action_code, row)
      values (${`waiting:${c.id}`}, ${key.county}, ${key.department}, ${key.month}, 'case_waiting', ${c.id}, ${c.subjectId}, ${c.itemCode}, ${c.actionCode}, ${JSON.stringify(row)}::jsonb)
      on conflict do nothing`;
  }
  return waiting.length;
}

/** A share's columns, with the display name of the user who shared it (null for the monthly Schedule). */
const SHARE_COLUMNS = (sql: postgres.Sql) => sql`
  s.county, s.department, s.month, s.row_count as "rowCount", s.content_hash as "contentHash", s.shared_at as "sharedAt", s.shared_by as "sharedBy",
  (select u.display_name from users u where u.id = s.shared_by) as "sharedByName"`;

/** The share of a county department's month, if it has been shared. */
export async function findShare(db: Db, key: LedgerKey): Promise<LedgerShare | undefined> {
  const sql = db.$client;
  const [s] = await sql<LedgerShare[]>`
    select ${SHARE_COLUMNS(sql)}
    from ledger_shares s where s.county = ${key.county} and s.department = ${key.department} and s.month = ${key.month}`;
  return s ? withDates([s], ['sharedAt'])[0] : undefined;
}

/**
 * Shares of a month, or (no month) the latest `limit` shares newest month first; optionally one county /
 * department; each re-verified against the rows now in the table.
 */
export async function listShares(db: Db, filter: { month?: string; limit?: number; counties: readonly string[] | 'all'; departments: readonly string[] | 'all'; county?: string; department?: string }) {
  const sql = db.$client;
  const shares = await sql<LedgerShare[]>`
    select ${SHARE_COLUMNS(sql)}
    from ledger_shares s
    where true
      ${filter.month ? sql`and s.month = ${filter.month}` : sql``}
      ${filter.counties === 'all' ? sql`` : filter.counties.length ? sql`and s.county in ${sql(filter.counties as string[])}` : sql`and false`}
      ${filter.departments === 'all' ? sql`` : filter.departments.length ? sql`and s.department in ${sql(filter.departments as string[])}` : sql`and false`}
      ${filter.county ? sql`and s.county = ${filter.county}` : sql``}
      ${filter.department ? sql`and s.department = ${filter.department}` : sql``}
    order by s.month desc, s.county, s.department
    ${filter.limit ? sql`limit ${filter.limit}` : sql``}`;
  withDates(shares, ['sharedAt']);
  const out: Array<LedgerShare & { verified: boolean }> = [];
  for (const s of shares) {
    const rows = await monthRows(sql, s);
    out.push({ ...s, verified: rows.length === s.rowCount && ledgerContentHash(rows) === s.contentHash });
  }
  return out;
}

/**
 * Freezes a county department's month: marks its rows shared and records the row count and content
 * hash, in one transaction that holds writers off (SHARE ROW EXCLUSIVE lock) so no row slips in between hash and
 * freeze. Idempotent: a month already shared returns its share unchanged.
 */
export async function shareLedger(db: Db, key: LedgerKey, at: Date, by: string, expectedHash?: string): Promise<{ created: boolean; share: LedgerShare }> {
  return db.$client.begin(async (tx) => {
    const sql = tx as unknown as postgres.Sql;
    // SHARE ROW EXCLUSIVE: holds writers off like SHARE, and conflicts with itself, so two shares at once
    // run one after the other. (Under SHARE, two shares that both write rows — the waiting cases entered,
    // the rows marked shared — each wait for the other's lock: a deadlock.)
    await sql`lock table ledger_entries in share row exclusive mode`;
    const [existing] = await sql<LedgerShare[]>`
      select ${SHARE_COLUMNS(sql)}
      from ledger_shares s where s.county = ${key.county} and s.department = ${key.department} and s.month = ${key.month}`;
    if (existing) return { created: false, share: withDates([existing], ['sharedAt'])[0] };
    await enterCasesWaitingForDocuments(sql, key);
    const rows = await monthRows(sql, key);
    const contentHash = ledgerContentHash(rows);
    // The person confirmed a hash (the preview): rows that changed since then are not shared unseen.
    if (expectedHash !== undefined && expectedHash !== contentHash) throw new LedgerChangedError({ rowCount: rows.length, contentHash });
    const [sharer] = await sql<Array<{ name: string }>>`select display_name as name from users where id = ${by}`;
    const share: LedgerShare = { ...key, rowCount: rows.length, contentHash, sharedAt: at, sharedBy: by, sharedByName: sharer?.name ?? null };
    await sql`update ledger_entries set shared_at = ${iso(at)}::timestamptz where county = ${key.county} and department = ${key.department} and month = ${key.month}`;
    await sql`insert into ledger_shares (county, department, month, row_count, content_hash, shared_at, shared_by)
      values (${key.county}, ${key.department}, ${key.month}, ${share.rowCount}, ${share.contentHash}, ${iso(at)}::timestamptz, ${by})`;
    return { created: true, share };
  }) as Promise<{ created: boolean; share: LedgerShare }>;
}

/** The month's rows are no longer those whose hash the person confirmed (the share was rolled back); carries what it holds now. */
export class LedgerChangedError extends Error {
  constructor(readonly now: { rowCount: number; contentHash: string }) { super('ledger content changed'); }
}

/**
 * What sharing the month now would freeze — its row count and content hash — without sharing it: the
 * share's own steps (the cases waiting for documents entered, the rows hashed) in a transaction that is
 * rolled back, so the figures are exactly those a share at this moment records.
 */
export async function previewShare(db: Db, key: LedgerKey): Promise<{ rowCount: number; contentHash: string; waitingAdded: number }> {
  try {
    await db.$client.begin(async (tx) => {
      const sql = tx as unknown as postgres.Sql;
      const waitingAdded = await enterCasesWaitingForDocuments(sql, key);
      const rows = await monthRows(sql, key);
      throw new Preview({ rowCount: rows.length, contentHash: ledgerContentHash(rows), waitingAdded });
    });
  } catch (e) {
    if (e instanceof Preview) return e.result;
    throw e;
  }
  throw new Error('unreachable');
}

class Preview extends Error {
  constructor(readonly result: { rowCount: number; contentHash: string; waitingAdded: number }) { super('preview'); }
}

/** True once the month (Asia/Shanghai) is over at `now`: only then may it be shared. */
export function monthIsOver(month: string, now: Date): boolean {
  return monthRange(month).end.getTime() <= now.getTime();
}

/** Shares every county department's ledger of a month (the monthly Schedule); empty ledgers are shared as such. */
export async function shareMonth(db: Db, month: string, at: Date, by: string, only?: { counties?: readonly string[]; departments?: readonly string[] }) {
  let created = 0;
  let existing = 0;
  let rows = 0;
  for (const county of only?.counties ?? COUNTY_CODES) {
    for (const department of only?.departments ?? DEPARTMENT_CODES) {
      const res = await shareLedger(db, { county, department, month }, at, by);
      if (res.created) created++; else existing++;
      rows += res.share.rowCount;
    }
  }
  return { month, created, existing, rows };
}

/** One ledger row by id. */
export async function findLedgerEntry(db: Db, id: string): Promise<LedgerEntry | undefined> {
  const sql = db.$client;
  const [r] = await sql<LedgerEntry[]>`select ${COLUMNS(sql)} from ledger_entries l where l.id = ${id}`;
  return r ? withDates([r], ENTRY_DATES)[0] : undefined;
}

/** The row fields a correction may change (subject columns come from the subject and never change here). */
export type LedgerChanges = Partial<Pick<LedgerRow, 'visitedOn' | 'handledBy' | 'result' | 'deliveryMethod' | 'deliveredOn' | 'remarks'>>;

/** The database refused a change to a frozen month (trigger, SQLSTATE 55000). */
export const isFrozenError = (e: unknown) => (e as { code?: string })?.code === '55000';

/** Edits a row of a month not shared yet (the caller checked; the trigger is the backstop). */
export async function editLedgerEntry(db: Db, id: string, changes: LedgerChanges): Promise<LedgerEntry> {
  const sql = db.$client;
  await sql`update ledger_entries set row = row || ${JSON.stringify(changes)}::jsonb, updated_at = now() where id = ${id}`;
  return (await findLedgerEntry(db, id))!;
}

/**
 * Records a correction of a shared row: a new row in the month the correction is made (its own county
 * department), pointing at the original, carrying the corrected columns and the reason in 备注.
 */
export async function amendLedgerEntry(db: Db, original: LedgerEntry, changes: LedgerChanges, reason: string, by: string, at: Date): Promise<LedgerEntry> {
  const sql = db.$client;
  const id = randomUUID();
  const month = monthOf(at);
  const note = `更正 ${original.month} 台账记录；原因：${reason}`;
  const row: LedgerRow = { ...original.row, ...changes, remarks: [changes.remarks ?? original.row.remarks, note].filter(Boolean).join('；') };
  await sql`
    insert into ledger_entries (id, county, department, month, source_type, source_id, subject_id, item_code, action_code, row, amends_id, amend_reason, created_by, created_at, updated_at)
    values (${id}, ${original.county}, ${original.department}, ${month}, ${original.sourceType}, ${original.sourceId}, ${original.subjectId},
      ${original.itemCode}, ${original.actionCode}, ${JSON.stringify(row)}::jsonb, ${original.id}, ${reason}, ${by}, ${iso(at)}::timestamptz, ${iso(at)}::timestamptz)`;
  return (await findLedgerEntry(db, id))!;
}

/** The distinct people of a month's ledger (for auditing a download with full ID numbers). */
export async function ledgerSubjectIds(db: Db, key: LedgerKey): Promise<string[]> {
  const sql = db.$client;
  const rows = await sql<Array<{ id: string }>>`
    select distinct subject_id as id from ledger_entries
    where county = ${key.county} and department = ${key.department} and month = ${key.month} and subject_id is not null`;
  return rows.map((r) => r.id);
}

/** The rows with the full ID number beside the masked one (`row.idNumber`; the stored row keeps only the masked one). */
export async function withFullIdNumbers(db: Db, rows: NumberedLedgerEntry[]): Promise<NumberedLedgerEntry[]> {
  const ids = [...new Set(rows.map((r) => r.subjectId).filter((x): x is string => !!x))];
  if (ids.length === 0) return rows;
  const sql = db.$client;
  const found = await sql<Array<{ id: string; idNumber: string }>>`select id, id_number as "idNumber" from subjects where id in ${sql(ids)}`;
  const byId = new Map(found.map((f) => [f.id, f.idNumber]));
  return rows.map((r) => (r.subjectId && byId.has(r.subjectId) ? { ...r, row: { ...r.row, idNumber: byId.get(r.subjectId)! } } : r));
}
