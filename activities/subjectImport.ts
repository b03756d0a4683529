/**
 * The activities of a subject import (workflows/subjectImport.ts drives them over row ranges).
 *
 * - stageImport reads the stored file once and writes its data rows to subject_import_rows (resuming
 *   after the last staged row when retried).
 * - validateImportChunk checks a row range (field rules, duplicates in the file, scope, an existing
 *   subject by ID number) and records each row's action: create, update, unchanged or rejected.
 * - commitImportChunk writes a row range in one transaction that also marks the rows applied and
 *   appends their audit records (under the import's id): a chunk is written wholly or not at all, and
 *   a retried chunk skips what is already applied, so each row is written once.
 */
import { randomUUID } from 'node:crypto';
import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, asc, between, eq, getTableColumns, inArray, isNull, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../db/client';
import { auditLog, householdKeys, subjectImportRows, subjectImports, subjects, type NewSubject, type Subject } from '../db/schema';
import { shanghaiDate } from '../domain/calendar';
import { addressKey, validateRow, type RosterValues } from '../api/import/rows';
import { FileRejected, isEmptyRow, rosterRows, type HeaderMapping, type MergedRange } from '../api/import/spreadsheet';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Action = 'create' | 'update' | 'unchanged' | 'rejected';

/** Rows written per INSERT while staging. */
const STAGE_BATCH = 1000;

/** Subject fields an import sets, in the order of the roster (sex and birth date follow the ID number). */
const FIELDS = [
  'name', 'certificateNumber', 'disabilityCategory', 'disabilityGrade', 'county', 'township', 'community', 'address', 'phone',
  'guardianName', 'guardianPhone', 'guardianRelation', 'consentToShare', 'notes',
] as const satisfies readonly (keyof RosterValues & keyof Subject)[];

async function importMeta(db: Db, importId: string) {
  const [row] = await db.select({
    id: subjectImports.id, mapping: subjectImports.mapping, scope: subjectImports.scope, merged: subjectImports.merged,
    createdBy: subjectImports.createdBy, createdAt: subjectImports.createdAt,
  }).from(subjectImports).where(eq(subjectImports.id, importId));
  if (!row) throw ApplicationFailure.nonRetryable(`import ${importId} not found`, 'ImportNotFound');
  return { ...row, mapping: row.mapping as HeaderMapping };
}

/** Bytes of the stored file fetched per query. */
const FILE_SLICE = 256 * 1024;

/**
 * The stored file, fetched in slices into one buffer of its size. Selecting the bytea whole costs
 * about ten times its size at the peak: PostgreSQL sends it as hex text, which the driver gathers
 * into growing buffers, decodes to a string and then to bytes.
 */
export async function readImportFile(db: Db, importId: string): Promise<Buffer> {
  const [row] = await db.select({ size: sql<number>`octet_length(${subjectImports.file})` }).from(subjectImports).where(eq(subjectImports.id, importId));
  if (!row) throw ApplicationFailure.nonRetryable(`import ${importId} not found`, 'ImportNotFound');
  const out = Buffer.allocUnsafe(row.size);
  for (let at = 0; at < row.size; at += FILE_SLICE) {
    const [{ part }] = await db.select({ part: sql<Buffer>`substring(${subjectImports.file} from ${at + 1} for ${FILE_SLICE})` })
      .from(subjectImports).where(eq(subjectImports.id, importId));
    if (part.length !== Math.min(FILE_SLICE, row.size - at)) throw new Error(`import ${importId}: the stored file changed while it was read`);
    part.copy(out, at);
  }
  return out;
}

/**
 * Inserts rows (keyed by the table's property names, as drizzle's insert takes them) in one statement
 * whose only parameter is the rows as JSON: the query builder spends ~15 KB of garbage per row on a
 * many-row INSERT (a placeholder and chunks per value), the bulk of an import's allocations. A
 * property absent from every row is left to its column default; one given in some rows is NULL where
 * absent (give every column that has a default in every row).
 */
async function insertAsJson<T extends PgTable>(db: Db | Tx, table: T, rows: T['$inferInsert'][]): Promise<void> {
  if (rows.length === 0) return;
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => columns[k] !== undefined);
  const names = sql.join(keys.map((k) => sql.identifier(columns[k].name)), sql`, `);
  const payload = JSON.stringify(rows.map((r) => Object.fromEntries(keys.map((k) => [columns[k].name, (r as Record<string, unknown>)[k] ?? null]))));
  await db.execute(sql`insert into ${table} (${names}) select ${names} from jsonb_populate_recordset(null::${table}, ${payload}::jsonb)`);
}

interface StagedRow { row_number: number; cells: string[]; formula_columns: number[]; id_key: string | null; address_key: string | null }

/**
 * Stages rows in one statement with one parameter (the rows as JSON), as {@link recordRows} updates
 * them: building a 1000-row INSERT through the query builder (a placeholder and chunk per value)
 * allocated ~15 KB per row, most of the dry run's garbage.
 */
async function insertStagedRows(db: Db, importId: string, rows: StagedRow[]): Promise<void> {
  await db.execute(sql`
    insert into ${subjectImportRows} (import_id, row_number, cells, formula_columns, id_key, address_key)
    select ${importId}, x.row_number, x.cells, x.formula_columns, x.id_key, x.address_key
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(row_number int, cells jsonb, formula_columns jsonb, id_key text, address_key text)
    on conflict do nothing`);
}

/** Reads the file and stages its data rows; returns the first and last data row numbers. */
export async function stageImport(db: Db, input: { importId: string }): Promise<{ firstRow: number; lastRow: number; rows: number }> {
  const [imp] = await db.select({ id: subjectImports.id, format: subjectImports.format, mapping: subjectImports.mapping })
    .from(subjectImports).where(eq(subjectImports.id, input.importId));
  if (!imp) throw ApplicationFailure.nonRetryable(`import ${input.importId} not found`, 'ImportNotFound');
  const file = await readImportFile(db, imp.id);
  const mapping = imp.mapping as HeaderMapping;
  const [{ staged }] = await db.select({ staged: sql<number | null>`max(${subjectImportRows.rowNumber})` })
    .from(subjectImportRows).where(eq(subjectImportRows.importId, imp.id));
  const resumeAfter = Math.max(mapping.headerRow, staged ?? 0);
  const sink: { merged?: MergedRange[] } = {};
  const skipped: number[] = [];
  let batch: StagedRow[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await insertStagedRows(db, imp.id, batch);
    batch = [];
    heartbeat();
  };
  const idCol = mapping.columns.idNumber;
  try {
    for await (const r of rosterRows(file, imp.format as 'xlsx' | 'csv', sink)) {
      if (r.rowNumber <= mapping.headerRow) continue;
      if (isEmptyRow(r)) { skipped.push(r.rowNumber); continue; }
      if (r.rowNumber <= resumeAfter) continue;
      const idKey = idCol !== undefined ? r.cells[idCol]?.trim().toUpperCase() || null : null;
      batch.push({ row_number: r.rowNumber, cells: r.cells, formula_columns: r.formulaColumns, id_key: idKey, address_key: addressKey(r.cells, mapping.columns) });
      if (batch.length >= STAGE_BATCH) await flush();
    }
    await flush();
  } catch (e) {
    if (e instanceof FileRejected) throw ApplicationFailure.nonRetryable(e.message, 'FileRejected');
    throw e;
  }
  // Trailing empty rows are just the end of the sheet; empty rows between data rows are reported.
  const [{ first, last, n }] = await db.select({
    first: sql<number | null>`min(${subjectImportRows.rowNumber})`, last: sql<number | null>`max(${subjectImportRows.rowNumber})`, n: sql<number>`count(*)::int`,
  }).from(subjectImportRows).where(eq(subjectImportRows.importId, imp.id));
  const merged = (sink.merged ?? []).filter((m) => m.bottom > mapping.headerRow);
  await db.update(subjectImports).set({
    rowsTotal: n, skippedRows: skipped.filter((s) => last !== null && s < last), merged, updatedAt: new Date(),
  }).where(eq(subjectImports.id, imp.id));
  return { firstRow: first ?? 0, lastRow: last ?? -1, rows: n };
}

/**
 * Households: a 户号 names a household (a number seen for the first time starts one; our export writes
 * a household's id as its 户号 when it has no number). Without a 户号, a subject not in a household yet
 * joins the household of an existing subject at exactly the same address, or, when other rows of the
 * same file share the address, a new household with them. An existing household is never left by address.
 * Looked up per chunk in a few queries; `write` (the commit) records new household numbers.
 */
async function householdResolver(db: Db | Tx, importId: string, rows: { values: RosterValues; addressKey: string | null }[], write: boolean) {
  const byKey = new Map<string, string>();
  const numbers = [...new Set(rows.map((r) => r.values.householdNumber).filter((n): n is string => !!n))];
  if (numbers.length > 0) {
    const keys = numbers.map((n) => `no:${n}`);
    for (const k of await db.select().from(householdKeys).where(inArray(householdKeys.key, keys))) byKey.set(k.key, k.householdId);
    const unknown = numbers.filter((n) => !byKey.has(`no:${n}`));
    if (unknown.length > 0) {
      const ids = await db.selectDistinct({ h: subjects.householdId }).from(subjects).where(inArray(subjects.householdId, unknown));
      for (const { h } of ids) byKey.set(`no:${h}`, h!);
    }
    const fresh = numbers.filter((n) => !byKey.has(`no:${n}`)).map((n) => ({ key: `no:${n}`, householdId: randomUUID() }));
    if (fresh.length > 0 && write) {
      await db.insert(householdKeys).values(fresh).onConflictDoNothing();
      for (const k of await db.select().from(householdKeys).where(inArray(householdKeys.key, fresh.map((f) => f.key)))) byKey.set(k.key, k.householdId);
    } else {
      for (const f of fresh) byKey.set(f.key, f.householdId);
    }
  }
  const addresses = [...new Set(rows.map((r) => r.addressKey).filter((k): k is string => !!k))];
  const sharedInFile = new Set<string>();
  if (addresses.length > 0) {
    const existing = await db.select({ k: sql<string>`${subjects.county} || '|' || ${subjects.address}`, h: sql<string>`min(${subjects.householdId})` }).from(subjects)
      .where(and(sql`${subjects.householdId} is not null`, inArray(sql`${subjects.county} || '|' || ${subjects.address}`, addresses)))
      .groupBy(subjects.county, subjects.address);
    for (const e of existing) byKey.set(`addr:${e.k}`, e.h);
    const inFile = await db.select({ k: subjectImportRows.addressKey }).from(subjectImportRows)
      .where(and(eq(subjectImportRows.importId, importId), inArray(subjectImportRows.addressKey, addresses)))
      .groupBy(subjectImportRows.addressKey).having(sql`count(*) > 1`);
    for (const { k } of inFile) sharedInFile.add(k!);
  }
  return {
    /** The household for this row (undefined: leave the subject's household as it is). */
    resolve(r: { values: RosterValues; addressKey: string | null }, current: Subject | undefined): string | undefined {
      if (r.values.householdNumber) return byKey.get(`no:${r.values.householdNumber}`);
      if (!r.addressKey || current?.householdId) return undefined;
      const key = `addr:${r.addressKey}`;
      if (!byKey.has(key) && sharedInFile.has(r.addressKey)) byKey.set(key, randomUUID());
      return byKey.get(key);
    },
  };
}

/** What writing these values would change on the existing subject (field names), and the insert/update set. */
function diff(v: RosterValues, current: Subject | undefined, householdId: string | null | undefined): { action: Action; fields: string[] } {
  if (!current) return { action: 'create', fields: [] };
  const fields: string[] = FIELDS.filter((f) => v[f] !== undefined && v[f] !== current[f]);
  if (householdId !== undefined && householdId !== current.householdId) fields.push('householdId');
  return { action: fields.length > 0 ? 'update' : 'unchanged', fields };
}

async function existingByIdNumber(db: Db | Tx, idNumbers: string[]): Promise<Map<string, Subject>> {
  if (idNumbers.length === 0) return new Map();
  const rows = await db.select().from(subjects).where(inArray(subjects.idNumber, idNumbers));
  return new Map(rows.map((s) => [s.idNumber, s]));
}

/** Writes many rows' outcomes in one statement. */
async function recordRows(db: Db | Tx, importId: string, rows: { rowNumber: number; values?: unknown; reasons?: string[]; action: Action; subjectId?: string | null; applied?: boolean }[]) {
  if (rows.length === 0) return;
  const payload = JSON.stringify(rows.map((r) => ({
    row_number: r.rowNumber, values: r.values ?? null, reasons: r.reasons ?? null, action: r.action, subject_id: r.subjectId ?? null, applied: r.applied ?? false,
  })));
  await db.execute(sql`
    update ${subjectImportRows} as r set
      "values" = coalesce(x."values", r."values"), reasons = coalesce(x.reasons, r.reasons), action = x.action,
      subject_id = x.subject_id, applied_at = case when x.applied then now() else r.applied_at end
    from jsonb_to_recordset(${payload}::jsonb) as x(row_number int, "values" jsonb, reasons jsonb, action text, subject_id text, applied boolean)
    where r.import_id = ${importId} and r.row_number = x.row_number`);
}

/** Validates rows from..to (row numbers) and records each one's action; returns how many rows were validated so far. */
export async function validateImportChunk(db: Db, input: { importId: string; from: number; to: number }): Promise<{ rowsDone: number }> {
  const meta = await importMeta(db, input.importId);
  const rows = await db.select().from(subjectImportRows)
    .where(and(eq(subjectImportRows.importId, meta.id), between(subjectImportRows.rowNumber, input.from, input.to)))
    .orderBy(asc(subjectImportRows.rowNumber));
  const keys = [...new Set(rows.map((r) => r.idKey).filter((k): k is string => !!k))];
  const dupes = new Map<string, number[]>();
  if (keys.length > 0) {
    const found = await db.select({ k: subjectImportRows.idKey, rows: sql<number[]>`array_agg(${subjectImportRows.rowNumber} order by ${subjectImportRows.rowNumber})` })
      .from(subjectImportRows)
      .where(and(eq(subjectImportRows.importId, meta.id), inArray(subjectImportRows.idKey, keys)))
      .groupBy(subjectImportRows.idKey).having(sql`count(*) > 1`);
    for (const d of found) dupes.set(d.k!, d.rows.map(Number));
  }
  const ctx = { today: shanghaiDate(meta.createdAt), scope: meta.scope };
  const checked = rows.map((r) => {
    const res = validateRow(r.cells, r.formulaColumns, meta.mapping.columns, ctx);
    const inMerge = meta.merged.find((m) => r.rowNumber >= m.top && r.rowNumber <= m.bottom);
    const reasons = [...new Set([...(inMerge ? [`本行包含合并单元格（${inMerge.ref}），请取消合并并逐行填写`] : []), ...res.reasons])];
    const dup = r.idKey ? dupes.get(r.idKey) : undefined;
    if (dup) reasons.push(`身份证号码：在文件中重复出现（第 ${dup.join('、')} 行）`);
    return { row: r, values: res.values, reasons };
  });
  const existing = await existingByIdNumber(db, checked.flatMap((c) => (c.values && c.reasons.length === 0 ? [c.values.idNumber] : [])));
  const households = await householdResolver(db, meta.id, checked.flatMap((c) => (c.values ? [{ values: c.values, addressKey: c.row.addressKey }] : [])), false);
  const out: Parameters<typeof recordRows>[2] = [];
  for (const c of checked) {
    const current = c.values ? existing.get(c.values.idNumber) : undefined;
    if (current && !(meta.scope.cityLevel || meta.scope.counties.includes(current.county))) {
      c.reasons.push('身份证号码：该服务对象已在其他县(市)区登记，不在您的权限范围内，请联系市残联协调');
    }
    if (c.reasons.length > 0 || !c.values) {
      out.push({ rowNumber: c.row.rowNumber, values: c.values ?? {}, reasons: c.reasons, action: 'rejected' });
      continue;
    }
    const { action } = diff(c.values, current, households.resolve({ values: c.values, addressKey: c.row.addressKey }, current));
    out.push({ rowNumber: c.row.rowNumber, values: c.values, reasons: [], action, subjectId: current?.id ?? null });
  }
  await recordRows(db, meta.id, out);
  const [{ done }] = await db.select({ done: sql<number>`count(*)::int` }).from(subjectImportRows)
    .where(and(eq(subjectImportRows.importId, meta.id), sql`${subjectImportRows.action} is not null`));
  await db.update(subjectImports).set({ rowsDone: done, updatedAt: new Date() }).where(eq(subjectImports.id, meta.id));
  return { rowsDone: done };
}

/** Counts of an import's rows by action. */
async function countActions(db: Db, importId: string): Promise<Record<Action, number>> {
  const rows = await db.select({ action: subjectImportRows.action, n: sql<number>`count(*)::int` }).from(subjectImportRows)
    .where(eq(subjectImportRows.importId, importId)).groupBy(subjectImportRows.action);
  const counts: Record<Action, number> = { create: 0, update: 0, unchanged: 0, rejected: 0 };
  for (const r of rows) if (r.action) counts[r.action as Action] = r.n;
  return counts;
}

/** Ends the dry run: the counts, status validated. */
export async function finishDryRun(db: Db, input: { importId: string }): Promise<Record<Action, number>> {
  const counts = await countActions(db, input.importId);
  await db.update(subjectImports).set({ status: 'validated', counts, validatedAt: new Date(), updatedAt: new Date() })
    .where(eq(subjectImports.id, input.importId));
  return counts;
}

/** Writes rows from..to that are not applied yet, in one transaction with their audit records. */
export async function commitImportChunk(db: Db, input: { importId: string; from: number; to: number; by: string }): Promise<{ written: number }> {
  const meta = await importMeta(db, input.importId);
  return db.transaction(async (tx) => {
    const rows = await tx.select().from(subjectImportRows).where(and(
      eq(subjectImportRows.importId, meta.id), between(subjectImportRows.rowNumber, input.from, input.to), isNull(subjectImportRows.appliedAt),
      sql`${subjectImportRows.action} <> 'rejected'`,
    )).orderBy(asc(subjectImportRows.rowNumber)).for('update');
    const valuesOf = (r: typeof rows[number]) => r.values as unknown as RosterValues;
    const existing = await existingByIdNumber(tx, rows.map((r) => valuesOf(r).idNumber));
    const households = await householdResolver(tx, meta.id, rows.map((r) => ({ values: valuesOf(r), addressKey: r.addressKey })), true);
    const now = new Date();
    const inserts: NewSubject[] = [];
    const audits: (typeof auditLog.$inferInsert)[] = [];
    const outcomes: Parameters<typeof recordRows>[2] = [];
    for (const r of rows) {
      const v = valuesOf(r);
      const current = existing.get(v.idNumber);
      const householdId = households.resolve({ values: v, addressKey: r.addressKey }, current);
      const { action, fields } = diff(v, current, householdId);
      const set: Partial<NewSubject> = {};
      for (const f of FIELDS) if (v[f] !== undefined) Object.assign(set, { [f]: v[f] });
      let subjectId = current?.id;
      if (action === 'create') {
        subjectId = randomUUID();
        inserts.push({
          ...set, id: subjectId, idNumber: v.idNumber, name: v.name, sex: v.sex, birthDate: v.birthDate, county: v.county,
          householdId: householdId ?? null, consentToShare: v.consentToShare ?? false, consentAt: v.consentToShare ? now : null,
          createdBy: input.by, createdAt: now, updatedAt: now,
        });
      } else if (action === 'update') {
        const changed: Partial<NewSubject> = { updatedAt: now };
        for (const f of fields) Object.assign(changed, { [f]: f === 'householdId' ? householdId : set[f as keyof NewSubject] });
        if (fields.includes('consentToShare')) changed.consentAt = v.consentToShare ? now : null;
        await tx.update(subjects).set(changed).where(eq(subjects.id, current!.id));
      }
      if (action !== 'unchanged') {
        audits.push({
          at: now, userId: input.by, action: `subject.import.${action}`, resourceType: 'subjects', resourceId: subjectId,
          detail: { importId: meta.id, rowNumber: r.rowNumber, ...(action === 'update' ? { fields } : {}) },
        });
      }
      outcomes.push({ rowNumber: r.rowNumber, action, subjectId, applied: true });
    }
    for (let i = 0; i < inserts.length; i += 500) await insertAsJson(tx, subjects, inserts.slice(i, i + 500));
    for (let i = 0; i < audits.length; i += 1000) await insertAsJson(tx, auditLog, audits.slice(i, i + 1000));
    await recordRows(tx, meta.id, outcomes);
    await tx.update(subjectImports).set({
      rowsCommitted: sql`(select count(*)::int from ${subjectImportRows} where import_id = ${meta.id} and applied_at is not null)`, updatedAt: now,
    }).where(eq(subjectImports.id, meta.id));
    return { written: audits.length };
  });
}

/** Ends the commit: what was written, status committed. */
export async function finishCommit(db: Db, input: { importId: string; by: string }): Promise<Record<Action, number>> {
  const counts = await countActions(db, input.importId);
  await db.update(subjectImports).set({ status: 'committed', counts, committedBy: input.by, committedAt: new Date(), updatedAt: new Date() })
    .where(eq(subjectImports.id, input.importId));
  return counts;
}

/** Records why an import could not be read (the file as a whole), status failed. */
export async function failImport(db: Db, input: { importId: string; error: string }): Promise<void> {
  await db.update(subjectImports).set({ status: 'failed', error: input.error.slice(0, 1000), updatedAt: new Date() })
    .where(eq(subjectImports.id, input.importId));
}

/** The activities of imports, bound to a database. */
export function subjectImportActivities(db: Db) {
  return {
    stageImport: (input: { importId: string }) => stageImport(db, input),
    validateImportChunk: (input: { importId: string; from: number; to: number }) => validateImportChunk(db, input),
    finishDryRun: (input: { importId: string }) => finishDryRun(db, input),
    commitImportChunk: (input: { importId: string; from: number; to: number; by: string }) => commitImportChunk(db, input),
    finishCommit: (input: { importId: string; by: string }) => finishCommit(db, input),
    failImport: (input: { importId: string; error: string }) => failImport(db, input),
  };
}
