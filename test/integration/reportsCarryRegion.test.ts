/**
 * 附件3 as the plan runs it (issue 15 point 4, plan 四（四）"县级各部门于每季度结束前向市级相关部门报送……
 * 市级各相关部门统计汇总后……并报送至自治区各相关部门"):
 * - work done between a county's early submission and the quarter's end is carried into the next
 *   table, marked, and not lost;
 * - every total counts a person once;
 * - the city table goes on to the region in the same form, with a record of when it was sent.
 * Data: 灵武市 (640181) × 司法局 in 2022, a year no other test writes cases into.
 */
import { randomUUID } from 'node:crypto';
import ExcelJS from 'exceljs';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { REGION_TITLE } from '../../api/routes/reports';
import { auditLog, cases } from '../../db/schema';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';
import { shanghai } from '../support/generate';

const COUNTY = '640181';
let stack: TestStack;
let coordinator: TestUser;
let city: TestUser;
const apps: Array<Awaited<ReturnType<typeof buildApp>>> = [];
const at = async (now: Date) => {
  const a = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => now });
  apps.push(a);
  return a;
};

/** A case of item 8 as the read model holds it. */
function legalCase(subjectId: string, openedAt: Date, closedAt: Date | null, onTime: boolean | null) {
  return {
    id: randomUUID(), subjectId, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION', county: COUNTY, department: 'JUSTICE', catalogVersion: 'test',
    status: closedAt ? ('closed' as const) : ('open' as const), step: closedAt ? ('done' as const) : ('visit' as const),
    openedAt, closedAt, completedOnTime: onTime, lastEventAt: closedAt ?? openedAt, state: {},
  };
}

beforeAll(async () => {
  stack = await startStack();
  coordinator = await makeUser(stack.db, 'coordinator', { counties: [COUNTY], departments: ['JUSTICE'] });
  city = await makeUser(stack.db, 'supervisor', { cityLevel: true });
  const s1 = await makeSubject(stack.db, { county: COUNTY });
  const s2 = await makeSubject(stack.db, { county: COUNTY });
  // Before the submission: one case, opened and closed on time (person 1).
  await stack.db.insert(cases).values(legalCase(s1.id, shanghai('2022-05-10', 9), shanghai('2022-05-20', 9), true));
  const early = await at(shanghai('2022-06-20', 10));
  const submitted = await early.inject({ method: 'POST', url: '/v1/reports/quarterly/submit', headers: coordinator.auth, payload: { quarter: '2022-Q2', county: COUNTY, department: 'JUSTICE' } });
  expect(submitted.statusCode).toBe(201);
  // After it, before the quarter ends: person 2's case closed late, and a second case of person 1, still open.
  await stack.db.insert(cases).values([
    legalCase(s2.id, shanghai('2022-06-25', 9), shanghai('2022-06-28', 9), false),
    legalCase(s1.id, shanghai('2022-06-26', 9), null, null),
  ]);
});
afterAll(async () => {
  for (const a of apps) await a.close();
  await stack?.close();
});

const table = async (now: Date, quarter: string, level = 'county', user = city) => {
  const res = await (await at(now)).inject({ url: `/v1/reports/quarterly?quarter=${quarter}&level=${level}&county=${COUNTY}&department=JUSTICE`, headers: user.auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().tables[0];
};

describe('work after an early submission is carried into the next table, marked', () => {
  it('the submitted table stays as it was; the next quarter carries what came after, people counted once', async () => {
    const q2 = await table(shanghai('2022-07-05', 10), '2022-Q2');
    // The step deadlines behind 逾期件数 are a local rule (the plan sets none): the table says so.
    const whole = (await (await at(shanghai('2022-07-05', 10))).inject({ url: `/v1/reports/quarterly?quarter=2022-Q2&level=county&county=${COUNTY}`, headers: city.auth })).json();
    expect(whole.notes[0]).toContain('逾期件数按本地设定的办理时限计算');
    expect(q2.submission.status).toBe('submitted');
    expect(q2.totals).toMatchObject({ casesOpened: 1, casesCompleted: 1, peopleServed: 1 });

    const q3 = await table(shanghai('2022-08-10', 10), '2022-Q3');
    expect(q3.carried).toEqual([expect.objectContaining({
      item: expect.objectContaining({ code: 'LEGAL_AID' }), carriedFrom: '2022-Q2', mark: '2022-Q2报送后至季度末办理（补计）',
      casesOpened: 2, casesCompleted: 1, completedOnTime: 0, overdue: 1, pending: 0, peopleServed: 1,
    })]);
    const own = q3.rows.find((r: { item: { code: string } }) => r.item.code === 'LEGAL_AID');
    expect(own).toMatchObject({ casesOpened: 0, pending: 1, peopleServed: 1 });
    // Person 1 is in this quarter's own row, person 2 in the carried row: two people, not three.
    expect(q3.totals).toMatchObject({ peopleServed: 2, casesOpened: 2, casesCompleted: 1, pending: 1 });
    const group = q3.groups.find((g: { code: string }) => g.code === 'B');
    expect(group).toMatchObject({ label: '（二）公共服务', items: ['LEGAL_AID'], subtotal: expect.objectContaining({ peopleServed: 2 }) });

    const cityQ3 = await table(shanghai('2022-08-10', 10), '2022-Q3', 'city');
    expect(cityQ3.carried[0]).toMatchObject({ carriedFrom: '2022-Q2', casesOpened: 2 });
  });

  it('the XLSX marks the carried row', async () => {
    const res = await (await at(shanghai('2022-08-10', 10))).inject({ url: `/v1/reports/quarterly?quarter=2022-Q3&level=county&county=${COUNTY}&department=JUSTICE&format=xlsx`, headers: city.auth });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const labels: string[] = [];
    wb.getWorksheet('工作情况统计表')!.eachRow((row) => labels.push(String(row.getCell(3).value)));
    expect(labels).toContain('法律咨询、法律援助、人民调解（2022-Q2报送后至季度末办理（补计））');
  });
});

describe('报送至自治区: the city table goes on to the region, with a record of when', () => {
  it('after the quarter only, once, by city-level users; the export reads back in the same form', async () => {
    const during = await at(shanghai('2022-06-25', 10));
    expect((await during.inject({ method: 'POST', url: '/v1/reports/quarterly/region', headers: city.auth, payload: { quarter: '2022-Q2' } })).statusCode).toBe(409);
    const after = await at(shanghai('2022-07-08', 10));
    const county = await makeUser(stack.db, 'supervisor', { counties: [COUNTY] });
    expect((await after.inject({ method: 'POST', url: '/v1/reports/quarterly/region', headers: county.auth, payload: { quarter: '2022-Q2' } })).statusCode).toBe(403);
    const notYet = await after.inject({ url: '/v1/reports/quarterly/region?quarter=2022-Q2', headers: city.auth });
    expect(notYet.statusCode).toBe(404);

    const sent = await after.inject({ method: 'POST', url: '/v1/reports/quarterly/region', headers: city.auth, payload: { quarter: '2022-Q2' } });
    expect(sent.statusCode).toBe(201);
    expect(sent.json()).toMatchObject({ title: REGION_TITLE, level: 'region', unit: '银川市', sentAt: shanghai('2022-07-08', 10).toISOString(), sentBy: city.id });
    const justice = sent.json().tables.find((t: { department: { code: string } }) => t.department.code === 'JUSTICE');
    const cityNow = await table(shanghai('2022-07-08', 10), '2022-Q2', 'city');
    expect(justice.totals).toEqual(cityNow.totals);
    const again = await after.inject({ method: 'POST', url: '/v1/reports/quarterly/region', headers: city.auth, payload: { quarter: '2022-Q2' } });
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toContain('已于');
    expect(await stack.db.select().from(auditLog).where(and(eq(auditLog.action, 'report.region_send'), eq(auditLog.resourceId, '2022-Q2/region')))).toHaveLength(1);

    const read = await after.inject({ url: '/v1/reports/quarterly/region?quarter=2022-Q2', headers: city.auth });
    expect(read.json()).toMatchObject({ sentAt: sent.json().sentAt, contentHash: sent.json().contentHash });
    const xlsx = await after.inject({ url: '/v1/reports/quarterly/region?quarter=2022-Q2&format=xlsx', headers: city.auth });
    expect(xlsx.headers['content-type']).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('工作情况统计表')!;
    expect(ws.getCell('A1').value).toBe(REGION_TITLE);
    expect(ws.getCell('A2').value).toBe('填报单位：银川市');
    expect(ws.getRow(4).getCell(2).value).toBe('责任单位');
  });
});
