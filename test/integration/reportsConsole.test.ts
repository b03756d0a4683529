/**
 * What the console's ledger and statistics pages need of the API (issue #14): the row count and content
 * hash of a month BEFORE it is shared (the confirmation shows them; the share then records exactly
 * those, and refuses when the month changed after the confirmation); the shares listed across months
 * with their hashes verified again and who shared; the city's board of quarterly submissions with
 * 草稿 / 已报送 / 逾期 and the reminders sent. Own database: the board covers every county.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { ledgerBatches, ledgerContentHash } from '../../db/queries/ledger';
import { remindUnsubmitted } from '../../db/queries/statistics';
import { cases, users } from '../../db/schema';
import { randomUUID } from 'node:crypto';
import { makeSubject } from '../support/fixtures';
import { eq } from 'drizzle-orm';
import { makeUser, type TestUser } from '../support/fixtures';
import { ownDatabase, startStack, type TestStack } from '../support/env';
import { seedReadModel, shanghai } from '../support/generate';

const NOW = shanghai('2026-05-12', 10);
const COUNTY = '640105';
const OTHER = '640106';
const KEY = { county: COUNTY, department: 'HRSS' };

let own: Awaited<ReturnType<typeof ownDatabase>>;
let stack: TestStack;
let app: Awaited<ReturnType<typeof buildApp>>;
let coordinator: TestUser;
let city: TestUser;

beforeAll(async () => {
  own = await ownDatabase();
  stack = await startStack({ DATABASE_URL: own.url });
  app = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => NOW });
  await seedReadModel(stack.db, { seed: 77, prefix: 'rc', cases: 300, from: shanghai('2026-02-01'), now: NOW, counties: [COUNTY, OTHER], departments: ['HRSS'] });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: [COUNTY] });
  await stack.db.update(users).set({ displayName: '马协调' }).where(eq(users.id, coordinator.id));
  city = await makeUser(stack.db, 'supervisor', { cityLevel: true });
}, 120_000);
afterAll(async () => { await app?.close(); await stack?.close(); await own?.drop(); });

async function dbRows(month: string, county = COUNTY) {
  const out = [];
  for await (const batch of ledgerBatches(stack.db, { ...KEY, county, month })) out.push(...batch);
  return out;
}

const preview = (month: string, user: TestUser = coordinator, county = COUNTY) =>
  app.inject({ url: `/v1/ledger/share-preview?county=${county}&department=HRSS&month=${month}`, headers: user.auth });
const share = (body: Record<string, unknown>, user: TestUser = coordinator) =>
  app.inject({ method: 'POST', url: '/v1/ledger/share', headers: user.auth, payload: { ...KEY, ...body } });

describe('the share confirmation', () => {
  it('previews the row count and hash a share would freeze, without sharing; the share then records exactly them', async () => {
    const rows = await dbRows('2026-03');
    expect(rows.length).toBeGreaterThan(5);
    const res = await preview('2026-03');
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json();
    expect(p).toMatchObject({ month: '2026-03', unit: '西夏区人社局', monthOver: true, share: null, rowCount: rows.length, contentHash: ledgerContentHash(rows) });
    // Nothing was shared by looking.
    const ledger = await app.inject({ url: `/v1/ledger?${new URLSearchParams({ ...KEY, month: '2026-03', limit: '1' })}`, headers: coordinator.auth });
    expect(ledger.json().share).toBeNull();
    expect((await dbRows('2026-03')).every((r) => r.sharedAt === null)).toBe(true);

    const shared = await share({ month: '2026-03', contentHash: p.contentHash });
    expect(shared.statusCode, shared.body).toBe(201);
    expect(shared.json()).toMatchObject({ rowCount: p.rowCount, contentHash: p.contentHash, sharedByName: '马协调', sharedWith: { label: '西夏区残联' } });
    // Once shared, the preview answers with the share.
    const after = (await preview('2026-03')).json();
    expect(after).toMatchObject({ rowCount: p.rowCount, contentHash: p.contentHash, share: { sharedByName: '马协调', sharedAt: NOW.toISOString() } });
  });

  it('counts the cases waiting for documents the share will enter (容缺后补), without entering them; the share then matches', async () => {
    const subject = await makeSubject(stack.db, { county: COUNTY });
    const waiting = {
      id: randomUUID(), subjectId: subject.id, itemCode: 'PENSION_QUALIFICATION', actionCode: 'CERTIFY', county: COUNTY, department: 'HRSS', catalogVersion: 'test',
      status: 'open' as const, step: 'ledger' as const, greenChannel: false, openedAt: shanghai('2026-01-12', 9), visitedAt: shanghai('2026-01-14', 9),
      lastEventAt: shanghai('2026-01-20', 9),
      state: { supplement: { missing: ['户口簿复印件'], supplied: [], dueDate: '2026-02-10', dueAt: shanghai('2026-02-11').toISOString(), status: 'pending', escalationLevel: 0, evidence: [] } },
    };
    await stack.db.insert(cases).values(waiting);
    const before = await dbRows('2026-01');
    const p = (await preview('2026-01')).json();
    expect(p).toMatchObject({ rowCount: before.length + 1, waitingAdded: 1, share: null });
    // Looking entered nothing.
    expect(await dbRows('2026-01')).toHaveLength(before.length);
    const shared = await share({ month: '2026-01', contentHash: p.contentHash });
    expect(shared.statusCode, shared.body).toBe(201);
    expect(shared.json()).toMatchObject({ rowCount: p.rowCount, contentHash: p.contentHash });
    expect((await dbRows('2026-01')).map((r) => r.sourceType)).toContain('case_waiting');
  });

  it('a month that changed after the confirmation is not shared: 409 with what it holds now', async () => {
    const p = (await preview('2026-04')).json();
    const [first] = await dbRows('2026-04');
    const edit = await app.inject({ method: 'PATCH', url: `/v1/ledger/entries/${first.id}`, headers: coordinator.auth, payload: { changes: { remarks: '确认后又改了备注' } } });
    expect(edit.statusCode).toBe(200);
    const stale = await share({ month: '2026-04', contentHash: p.contentHash });
    expect(stale.statusCode).toBe(409);
    const now = ledgerContentHash(await dbRows('2026-04'));
    expect(stale.json()).toMatchObject({ rowCount: p.rowCount, contentHash: now });
    expect(stale.json().detail).toContain('确认后发生了变化');
    expect((await preview('2026-04')).json().share).toBeNull();
    const bad = await share({ month: '2026-04', contentHash: 'abc' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual(['body.contentHash']);
  });

  it('a month still running previews as not over; out of scope is 404, a reviewer 403', async () => {
    expect((await preview('2026-05')).json()).toMatchObject({ monthOver: false, share: null });
    expect((await preview('2026-03', coordinator, OTHER)).statusCode).toBe(404);
    const reviewer = await makeUser(stack.db, 'reviewer', { counties: [COUNTY] });
    expect((await preview('2026-03', reviewer)).statusCode).toBe(403);
  });
});

describe('a corrected row', () => {
  it('a shared row names the amendment that corrects it, in the month it was recorded', async () => {
    const [first] = await dbRows('2026-03');
    const res = await app.inject({ method: 'POST', url: '/v1/ledger/amendments', headers: coordinator.auth, payload: { ledgerEntryId: first.id, changes: { remarks: '补正' }, reason: '录入有误' } });
    expect(res.statusCode, res.body).toBe(201);
    const march = (await app.inject({ url: `/v1/ledger?${new URLSearchParams({ ...KEY, month: '2026-03', limit: '2' })}`, headers: coordinator.auth })).json();
    expect(march.items.map((i: { amendedBy: unknown }) => i.amendedBy)).toEqual([[{ id: res.json().id, month: '2026-05' }], []]);
    expect(res.json()).toMatchObject({ amendsId: first.id, amendedBy: [] });
  });
});

describe('the list of shares', () => {
  it('without a month: newest first, in scope only, each hash verified again and who shared named', async () => {
    const other = await share({ county: OTHER, month: '2026-02' }, city);
    expect(other.statusCode).toBe(201);
    const mine = await share({ month: '2026-02' });
    expect(mine.statusCode).toBe(201);
    const res = await app.inject({ url: '/v1/ledger/shares?department=HRSS', headers: coordinator.auth });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.month).toBeNull();
    expect(body.items.map((s: { month: string; county: { code: string } }) => `${s.county.code}/${s.month}`)).toEqual([`${COUNTY}/2026-03`, `${COUNTY}/2026-02`, `${COUNTY}/2026-01`]);
    expect(body.items.every((s: { verified: boolean }) => s.verified)).toBe(true);
    const cityList = (await app.inject({ url: '/v1/ledger/shares?month=2026-02', headers: city.auth })).json();
    expect(cityList.items.map((s: { county: { code: string } }) => s.county.code)).toEqual([COUNTY, OTHER]);
    expect(cityList.items.find((s: { county: { code: string } }) => s.county.code === COUNTY).sharedByName).toBe('马协调');
  });

  it('a share whose rows no longer hash alike is shown as not verified', async () => {
    // Only the owner of the database can get past the freeze trigger: what a tampered table would look like.
    const sql = stack.db.$client;
    await sql.begin(async (tx) => {
      await tx`alter table ledger_entries disable trigger user`;
      await tx`update ledger_entries set row = row || '{"result":"篡改"}'::jsonb where id = (select id from ledger_entries where county = ${COUNTY} and department = 'HRSS' and month = '2026-02' order by id limit 1)`;
      await tx`alter table ledger_entries enable trigger user`;
    });
    const res = (await app.inject({ url: `/v1/ledger/shares?month=2026-02&county=${COUNTY}`, headers: coordinator.auth })).json();
    expect(res.items).toEqual([expect.objectContaining({ verified: false })]);
  });
});

describe('the board of quarterly submissions', () => {
  it('草稿 while the quarter runs, 已报送 once submitted (with who), 逾期 for a quarter that ended; reminders counted', async () => {
    const submit = await app.inject({ method: 'POST', url: '/v1/reports/quarterly/submit', headers: coordinator.auth, payload: { quarter: '2026-Q2', ...KEY } });
    expect(submit.statusCode, submit.body).toBe(201);
    expect(submit.json().state).toEqual({ code: 'submitted', label: '已报送' });
    await remindUnsubmitted(stack.db, '2026-Q2', NOW);
    const board = (await app.inject({ url: '/v1/reports/quarterly/submissions?quarter=2026-Q2', headers: city.auth })).json();
    expect(board).toMatchObject({ quarter: '2026-Q2', period: '2026年第2季度（2026-04-01至2026-06-30）', dueAt: shanghai('2026-07-01').toISOString() });
    expect(board.items).toHaveLength(60);
    const at = (county: string, department: string) => board.items.find((i: { county: { code: string }; department: { code: string } }) => i.county.code === county && i.department.code === department);
    expect(at(COUNTY, 'HRSS')).toMatchObject({ state: { label: '已报送' }, submittedByName: '马协调', reminders: 0 });
    expect(at(OTHER, 'HRSS')).toMatchObject({ state: { label: '草稿' }, reminders: 1, remindedAt: NOW.toISOString() });

    const past = (await app.inject({ url: '/v1/reports/quarterly/submissions?quarter=2026-Q1', headers: city.auth })).json();
    expect(new Set(past.items.map((i: { state: { label: string } }) => i.state.label))).toEqual(new Set(['逾期']));
    // A county coordinator's board holds its own county only.
    const mine = (await app.inject({ url: '/v1/reports/quarterly/submissions?quarter=2026-Q2', headers: coordinator.auth })).json();
    expect(new Set(mine.items.map((i: { county: { code: string } }) => i.county.code))).toEqual(new Set([COUNTY]));
  });
});

describe('the printed form in JSON', () => {
  it('the county and city JSON carry the form exactly as the XLSX lays it out: headers, rows, 合计', async () => {
    for (const query of [`level=county&county=${COUNTY}&department=HRSS`, `level=city&department=HRSS`]) {
      const json = await app.inject({ url: `/v1/reports/quarterly?quarter=2026-Q1&${query}`, headers: city.auth });
      expect(json.statusCode, json.body).toBe(200);
      const form = json.json().form;
      const xlsx = await app.inject({ url: `/v1/reports/quarterly?quarter=2026-Q1&${query}&format=xlsx`, headers: city.auth });
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
      const ws = wb.worksheets[0];
      const cells = (r: number) => (ws.getRow(r).values as unknown[]).slice(1);
      expect(ws.getCell('A1').value).toBe(form.title);
      expect(cells(4)).toEqual(form.columns);
      const body = [...form.rows, form.totals];
      for (let i = 0; i < body.length; i++) expect(cells(5 + i).map((v) => v ?? '')).toEqual(body[i]);
      expect(form.totals[0]).toBe('合计');
      expect(form.rows.some((r: unknown[]) => r[2] === '小计')).toBe(true);
    }
  });
});
