/**
 * 数据同源 (plan 四（四） "确保上门代办事项数据同源"): the frozen copy of a shared monthly ledger carries the
 * full ID numbers the DPF needs to match records, for roles that may unmask lists; every such
 * download is audited (issue 15 point 7). Data: 贺兰县 市场监管局, 2026-02 (no other test writes there).
 */
import ExcelJS from 'exceljs';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { auditLog, ledgerEntries } from '../../db/schema';
import { maskIdNumber } from '../../domain/idNumber';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';
import { shanghai } from '../support/generate';

const COUNTY = '640122';
const URL = `/v1/ledger?county=${COUNTY}&department=MARKET_REGULATION&month=2026-02`;
let stack: TestStack;
let app: Awaited<ReturnType<typeof buildApp>>;
let coordinator: TestUser;
let ids: string[];

beforeAll(async () => {
  stack = await startStack();
  app = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => shanghai('2026-03-05', 10) });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: [COUNTY] });
  const people = await Promise.all([1, 2, 3].map(() => makeSubject(stack.db, { county: COUNTY })));
  ids = people.map((p) => p.idNumber);
  await stack.db.insert(ledgerEntries).values(people.map((p, i) => ({
    id: `unmask-${p.id}`, county: COUNTY, department: 'MARKET_REGULATION', month: '2026-02', sourceType: 'case', sourceId: `case-${i}`,
    subjectId: p.id, itemCode: 'BLIND_MASSAGE', actionCode: 'ANNUAL_REPORT',
    row: {
      subjectName: p.name, idNumberMasked: maskIdNumber(p.idNumber), disabilityCategory: '', disabilityGrade: '', item: { code: 'BLIND_MASSAGE', label: '盲人按摩机构证照办理' },
      action: { code: 'ANNUAL_REPORT', label: '按摩机构年报' }, askedOn: '2026-02-02', visitedOn: null, handledBy: null, result: '已办结', deliveryMethod: null, deliveredOn: null, remarks: '',
    },
  })));
});
afterAll(async () => { await app?.close(); await stack?.close(); });

describe('the frozen ledger with full ID numbers', () => {
  it('is only the shared month\'s, for roles that may unmask lists; masked otherwise', async () => {
    const before = await app.inject({ url: `${URL}&unmask=true`, headers: coordinator.auth });
    expect(before.statusCode).toBe(409);
    expect(before.json().detail).toContain('尚未与同级残联共享');
    const shared = await app.inject({ method: 'POST', url: '/v1/ledger/share', headers: coordinator.auth, payload: { county: COUNTY, department: 'MARKET_REGULATION', month: '2026-02' } });
    expect(shared.statusCode).toBe(201);

    const masked = (await app.inject({ url: URL, headers: coordinator.auth })).json();
    expect(masked.unmasked).toBe(false);
    expect(masked.items.every((r: { row: { idNumber?: string } }) => r.row.idNumber === undefined)).toBe(true);

    const supervisor = await makeUser(stack.db, 'supervisor', { counties: [COUNTY] });
    expect((await app.inject({ url: `${URL}&unmask=true`, headers: supervisor.auth })).statusCode).toBe(403);
    const reviewer = await makeUser(stack.db, 'reviewer', { counties: [COUNTY] });
    expect((await app.inject({ url: `${URL}&unmask=true`, headers: reviewer.auth })).statusCode).toBe(403); // one record at a time only
  });

  it('carries the full ID numbers (JSON and XLSX), each download audited with the people it revealed', async () => {
    const json = await app.inject({ url: `${URL}&unmask=true`, headers: coordinator.auth });
    expect(json.statusCode).toBe(200);
    expect(json.json().items.map((r: { row: { idNumber: string } }) => r.row.idNumber).sort()).toEqual([...ids].sort());
    expect(json.json().items[0].row.idNumberMasked).toContain('*');

    const xlsx = await app.inject({ url: `${URL}&unmask=true&format=xlsx`, headers: coordinator.auth });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const cells: string[] = [];
    wb.worksheets[0].eachRow((row) => cells.push(String(row.getCell(3).value)));
    for (const id of ids) expect(cells).toContain(id);

    const audits = await stack.db.select().from(auditLog)
      .where(and(eq(auditLog.action, 'personal_data.read'), eq(auditLog.resourceType, 'ledger'), eq(auditLog.userId, coordinator.id)));
    expect(audits).toHaveLength(2);
    expect(audits[0]).toMatchObject({ resourceId: `${COUNTY}/MARKET_REGULATION/2026-02`, detail: expect.objectContaining({ count: 3 }) });
  });
});
