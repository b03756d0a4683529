/**
 * The 工作台账: JSON, XLSX (read back with exceljs) and CSV exports; sharing freezes a month (API 409,
 * and the database trigger rejects UPDATE/DELETE/INSERT); corrections after sharing are amendment rows.
 * Data: generated cases of 灵武市 APPROVAL / NATURAL_RESOURCES (no other test file writes there).
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { writeCaseLedgerEntry } from '../../activities/ledger';
import { LEDGER_HEADERS } from '../../domain/ledger';
import { findLedgerEntry, ledgerBatches, ledgerContentHash } from '../../db/queries/ledger';
import { makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';
import { insertGenerated, seedReadModel, shanghai, type Generated } from '../support/generate';

const NOW = shanghai('2026-05-12', 10);
const COUNTY = '640181';
const KEY = `county=${COUNTY}&department=APPROVAL`;

let stack: TestStack;
let app: Awaited<ReturnType<typeof buildApp>>;
let data: Generated;
let coordinator: TestUser;

beforeAll(async () => {
  stack = await startStack();
  app = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => NOW });
  data = await seedReadModel(stack.db, {
    seed: 21, prefix: 'led', cases: 900, from: shanghai('2026-02-01'), now: NOW, counties: [COUNTY], departments: ['APPROVAL', 'NATURAL_RESOURCES'],
  });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: [COUNTY] });
}, 120_000);
afterAll(async () => { await app?.close(); await stack?.close(); });

const rowsOf = (month: string, department = 'APPROVAL') =>
  data.ledger.filter((l) => l.county === COUNTY && l.department === department && l.month === month)
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));

async function dbRows(month: string, department = 'APPROVAL') {
  const out = [];
  for await (const batch of ledgerBatches(stack.db, { county: COUNTY, department, month })) out.push(...batch);
  return out;
}

describe('reading the ledger', () => {
  it('JSON: one row per handled case, numbered, with Chinese headers and masked ID numbers, paged', async () => {
    const expected = rowsOf('2026-03');
    expect(expected.length).toBeGreaterThan(20);
    const first = await app.inject({ url: `/v1/ledger?${KEY}&month=2026-03&limit=10`, headers: coordinator.auth });
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body.title).toBe('为特殊困难残疾人上门代办服务工作台账');
    expect(body.unit).toBe('灵武市审批局');
    expect(body.headers.map((h: any) => h.label)).toEqual(LEDGER_HEADERS.map(([, h]) => h));
    expect(body.items.map((r: any) => r.serial)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(body.items[0].row.idNumberMasked).toMatch(/^640181\*{8}\d{3}[\dX]$/);
    expect(body.share).toBeNull();
    const rest = await app.inject({ url: `/v1/ledger?${KEY}&month=2026-03&limit=1000&cursor=${body.nextCursor}`, headers: coordinator.auth });
    const all = [...body.items, ...rest.json().items];
    expect(all.map((r: any) => r.id)).toEqual(expected.map((r) => r.id));
    expect(all.map((r: any) => r.serial)).toEqual(expected.map((_, i) => i + 1));
  });

  it('XLSX read back: title, unit and month, the Chinese headers, every row in order', async () => {
    const expected = rowsOf('2026-03');
    const res = await app.inject({ url: `/v1/ledger?${KEY}&month=2026-03&format=xlsx`, headers: coordinator.auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    expect(res.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent('工作台账-灵武市审批局-2026-03.xlsx')}`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('工作台账')!;
    expect(ws.getCell('A1').value).toBe('为特殊困难残疾人上门代办服务工作台账');
    expect(String(ws.getCell('A2').value)).toBe('填报单位：灵武市审批局    月份：2026年3月');
    expect((ws.getRow(3).values as unknown[]).slice(1)).toEqual(LEDGER_HEADERS.map(([, h]) => h));
    expect(ws.rowCount).toBe(3 + expected.length);
    for (let i = 0; i < expected.length; i++) {
      const cells = (ws.getRow(4 + i).values as unknown[]).slice(1);
      const e = expected[i];
      expect(cells[0]).toBe(i + 1);
      expect(cells[1]).toBe(e.row.subjectName);
      expect(cells[2]).toBe(e.row.idNumberMasked);
      expect(cells[5]).toBe(e.row.item.label);
      expect(cells[6]).toBe(e.row.action.label);
      expect(cells[7]).toBe(e.row.askedOn);
      expect(cells[10]).toBe(e.row.result);
    }
  });

  it('CSV: UTF-8 BOM, Chinese headers, one line per row (via the Accept header)', async () => {
    const expected = rowsOf('2026-03');
    const res = await app.inject({ url: `/v1/ledger?${KEY}&month=2026-03`, headers: { ...coordinator.auth, accept: 'text/csv' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect([...res.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = res.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe(LEDGER_HEADERS.map(([, h]) => h).join(','));
    expect(lines.length).toBe(1 + expected.length);
    expect(lines[1].split(',').slice(0, 3)).toEqual(['1', expected[0].row.subjectName, expected[0].row.idNumberMasked]);
  });

  it('a big month streams: 5,000 rows in XLSX, read in batches from a cursor', async () => {
    const month = '2026-01';
    const base = rowsOf('2026-03')[0];
    const rows = Array.from({ length: 5_000 }, (_, i) => ({
      ...base, id: `led-big-${i}`, month, sourceId: `led-big-${i}`, createdAt: new Date(shanghai('2026-01-05').getTime() + i * 1000),
    }));
    await insertGenerated(stack.db, { users: [], subjects: [], cases: [], events: [], plans: [], periods: [], ledger: rows });
    const res = await app.inject({ url: `/v1/ledger?county=${COUNTY}&department=APPROVAL&month=${month}&format=xlsx`, headers: coordinator.auth });
    expect(res.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('工作台账')!;
    expect(ws.rowCount).toBe(3 + 5_000);
    expect(ws.getRow(3 + 5_000).getCell(1).value).toBe(5_000);
  });

  it('out of scope is 404, workers are 403, bad parameters are 400', async () => {
    const other = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
    expect((await app.inject({ url: `/v1/ledger?${KEY}&month=2026-03`, headers: other.auth })).statusCode).toBe(404);
    const worker = await makeUser(stack.db, 'worker', { counties: [COUNTY] });
    expect((await app.inject({ url: `/v1/ledger?${KEY}&month=2026-03`, headers: worker.auth })).statusCode).toBe(403);
    const bad = await app.inject({ url: `/v1/ledger?county=${COUNTY}&month=2026-13`, headers: coordinator.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: any) => e.path)).toEqual(expect.arrayContaining(['querystring.department', 'querystring.month']));
    expect((await app.inject({ url: `/v1/ledger?${KEY}&month=2026-03&cursor=xyz`, headers: coordinator.auth })).statusCode).toBe(400);
  });
});

describe('sharing freezes the month', () => {
  it('a month not over cannot be shared; a past month is frozen with its row count and content hash, once', async () => {
    const early = await app.inject({ method: 'POST', url: '/v1/ledger/share', headers: coordinator.auth, payload: { county: COUNTY, department: 'APPROVAL', month: '2026-05' } });
    expect(early.statusCode).toBe(409);
    expect(early.json().detail).toContain('尚未结束');

    const res = await app.inject({ method: 'POST', url: '/v1/ledger/share', headers: coordinator.auth, payload: { county: COUNTY, department: 'APPROVAL', month: '2026-03' } });
    expect(res.statusCode).toBe(201);
    const share = res.json();
    const rows = await dbRows('2026-03');
    expect(share).toMatchObject({ month: '2026-03', rowCount: rowsOf('2026-03').length, contentHash: ledgerContentHash(rows), sharedAt: NOW.toISOString() });
    expect(share.sharedWith.label).toBe('灵武市残联');
    expect(rows.every((r) => r.sharedAt?.getTime() === NOW.getTime())).toBe(true);

    const again = await app.inject({ method: 'POST', url: '/v1/ledger/share', headers: coordinator.auth, payload: { county: COUNTY, department: 'APPROVAL', month: '2026-03' } });
    expect(again.statusCode).toBe(200);
    expect(again.json().contentHash).toBe(share.contentHash);
    const json = await app.inject({ url: `/v1/ledger?${KEY}&month=2026-03&limit=1`, headers: coordinator.auth });
    expect(json.json().share.contentHash).toBe(share.contentHash);
  });

  it('a shared row cannot change: the API answers 409 and the database rejects UPDATE, DELETE and INSERT', async () => {
    const [row] = await dbRows('2026-03');
    const edit = await app.inject({ method: 'PATCH', url: `/v1/ledger/entries/${row.id}`, headers: coordinator.auth, payload: { changes: { result: '改过的结果' } } });
    expect(edit.statusCode).toBe(409);
    expect(edit.json().detail).toContain('与同级残联共享，不可修改');

    const sql = stack.db.$client;
    await expect(sql`update ledger_entries set row = row || '{"result":"x"}'::jsonb where id = ${row.id}`).rejects.toMatchObject({ code: '55000' });
    await expect(sql`delete from ledger_entries where id = ${row.id}`).rejects.toMatchObject({ code: '55000' });
    await expect(sql`insert into ledger_entries (id, county, department, month, source_type, source_id, subject_id, item_code, action_code, row)
      values ('led-sneak', ${COUNTY}, 'APPROVAL', '2026-03', 'case', 'led-sneak', ${row.subjectId}, ${row.itemCode}, ${row.actionCode}, '{}'::jsonb)`).rejects.toMatchObject({ code: '55000' });
    await expect(sql`update ledger_shares set row_count = 0 where county = ${COUNTY} and month = '2026-03'`).rejects.toMatchObject({ code: '55000' });
    await expect(sql`delete from ledger_shares where county = ${COUNTY} and month = '2026-03'`).rejects.toMatchObject({ code: '55000' });

    const shares = await app.inject({ url: `/v1/ledger/shares?month=2026-03&county=${COUNTY}&department=APPROVAL`, headers: coordinator.auth });
    expect(shares.json().items).toEqual([expect.objectContaining({ rowCount: rowsOf('2026-03').length, verified: true })]);
    expect((await findLedgerEntry(stack.db, row.id))!.row).toEqual(row.row);
  });

  it('before sharing a row is edited in place; after sharing a correction is an amendment row in the current month', async () => {
    const april = (await dbRows('2026-04'))[0];
    const amendEarly = await app.inject({ method: 'POST', url: '/v1/ledger/amendments', headers: coordinator.auth, payload: { ledgerEntryId: april.id, changes: { remarks: 'x' }, reason: '录入错误' } });
    expect(amendEarly.statusCode).toBe(409);
    const edited = await app.inject({ method: 'PATCH', url: `/v1/ledger/entries/${april.id}`, headers: coordinator.auth, payload: { changes: { deliveryMethod: 'express', remarks: '补充快递单号' } } });
    expect(edited.statusCode).toBe(200);
    expect(edited.json().row).toMatchObject({ deliveryMethod: '快递', remarks: '补充快递单号', subjectName: april.row.subjectName });

    const march = (await dbRows('2026-03'))[1];
    const hashBefore = ledgerContentHash(await dbRows('2026-03'));
    const res = await app.inject({
      method: 'POST', url: '/v1/ledger/amendments', headers: coordinator.auth,
      payload: { ledgerEntryId: march.id, changes: { result: '已办结（证照已补发）', deliveredOn: '2026-03-30' }, reason: '送达日期登记有误' },
    });
    expect(res.statusCode).toBe(201);
    const amendment = res.json();
    expect(amendment).toMatchObject({ month: '2026-05', amendsId: march.id, amendReason: '送达日期登记有误' });
    expect(amendment.row).toMatchObject({ result: '已办结（证照已补发）', deliveredOn: '2026-03-30', subjectName: march.row.subjectName });
    expect(amendment.row.remarks).toContain('更正 2026-03 台账记录；原因：送达日期登记有误');
    // The shared month is untouched; the amendment is listed in May's ledger.
    expect(ledgerContentHash(await dbRows('2026-03'))).toBe(hashBefore);
    const may = await app.inject({ url: `/v1/ledger?${KEY}&month=2026-05&limit=1000`, headers: coordinator.auth });
    expect(may.json().items.filter((r: any) => r.amendsId === march.id)).toHaveLength(1);

    const bad = await app.inject({ method: 'POST', url: '/v1/ledger/amendments', headers: coordinator.auth, payload: { ledgerEntryId: march.id, changes: {}, reason: '' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: any) => e.path)).toEqual(expect.arrayContaining(['body.changes', 'body.reason']));
  });

  it('a ledger row arriving for a month already shared goes into the next open month, once', async () => {
    await app.inject({ method: 'POST', url: '/v1/ledger/share', headers: coordinator.auth, payload: { county: COUNTY, department: 'NATURAL_RESOURCES', month: '2026-03' } });
    const c = data.cases.find((x) => x.status === 'open' && x.department === 'NATURAL_RESOURCES')!;
    const id = await writeCaseLedgerEntry(stack.db, { caseId: c.id, at: shanghai('2026-03-31', 23).toISOString() });
    const again = await writeCaseLedgerEntry(stack.db, { caseId: c.id, at: shanghai('2026-03-31', 23).toISOString() });
    expect(again).toBe(id);
    const row = (await findLedgerEntry(stack.db, id))!;
    expect(row.month).toBe('2026-04');
    expect(row.row.remarks).toContain('补录：原属 2026-03 台账（该月已共享）');
  });
});
