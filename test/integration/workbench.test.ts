/**
 * The routes the console's first screens use (issue 13): who a case may be assigned to, the case list
 * with its subjects' contacts (phones masked unless unmasked and audited), the workbench's counts for
 * today, and the worker's 我的任务 grouped by visit day (Asia/Shanghai) with tap-to-call phones for
 * their own cases only. Data of 金凤区 (640106), 司法局 (JUSTICE): no other file opens cases there.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, gte } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { auditLog } from '../../db/schema';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';

const COUNTY = '640106';
const SCOPE = { counties: [COUNTY], departments: ['JUSTICE'] };
const ITEM = { itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' } as const;

let stack: TestStack;
let coordinator: TestUser;
let worker: TestUser;
let otherWorker: TestUser;
let reviewer: TestUser;
let supervisor: TestUser;
const started = new Date();

beforeAll(async () => {
  stack = await startStack();
  coordinator = await makeUser(stack.db, 'coordinator', SCOPE);
  worker = await makeUser(stack.db, 'worker', SCOPE);
  otherWorker = await makeUser(stack.db, 'worker', SCOPE);
  reviewer = await makeUser(stack.db, 'reviewer', SCOPE);
  supervisor = await makeUser(stack.db, 'supervisor', SCOPE);
});
afterAll(async () => { await stack?.close(); });

const get = (who: TestUser, url: string, app = stack.app) => app.inject({ url, headers: who.auth });
async function post(who: TestUser, url: string, payload: unknown = {}) {
  const res = await stack.app.inject({ method: 'POST', url, headers: { ...who.auth, 'idempotency-key': randomUUID() }, payload: payload as object });
  if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  return res.json();
}

/** A case of our scope for a new subject with this phone; assigned to `assignee` when given. */
async function openCase(opts: { phone?: string; assignee?: TestUser; address?: string } = {}) {
  const s = await makeSubject(stack.db, { county: COUNTY, phone: opts.phone ?? '13912345678', address: opts.address ?? '金凤区某街道某小区 1-2-301' });
  const c = await post(coordinator, '/v1/cases', { subjectId: s.id, ...ITEM });
  if (opts.assignee) await post(coordinator, `/v1/cases/${c.id}/assign`, { assignee: opts.assignee.id });
  return { id: c.id as string, subject: s };
}

describe('GET /v1/cases/:id/assignees', () => {
  it('lists the active workers and coordinators whose scope holds the case, with their open cases; the assign step takes them', async () => {
    const disabled = await makeUser(stack.db, 'worker', SCOPE);
    await stack.app.inject({ method: 'PATCH', url: `/v1/users/${disabled.id}`, headers: (await makeUser(stack.db, 'admin', SCOPE)).auth, payload: { disabled: true } });
    const elsewhere = await makeUser(stack.db, 'worker', { counties: ['640105'], departments: ['JUSTICE'] });
    const otherDepartment = await makeUser(stack.db, 'worker', { counties: [COUNTY], departments: ['DPF'] });
    await openCase({ assignee: worker }); // an open case of `worker`: counted in `open`
    const c = await openCase();

    const res = await get(coordinator, `/v1/cases/${c.id}/assignees`);
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<{ id: string; role: { code: string; label: string }; open: number; current: boolean }>;
    const ids = items.map((i) => i.id);
    expect(ids).toEqual(expect.arrayContaining([worker.id, otherWorker.id, coordinator.id]));
    for (const out of [disabled, elsewhere, otherDepartment, reviewer, supervisor]) expect(ids).not.toContain(out.id);
    expect(items.find((i) => i.id === worker.id)).toMatchObject({ role: { code: 'worker', label: '上门工作人员' }, current: false });
    expect(items.find((i) => i.id === worker.id)!.open).toBeGreaterThanOrEqual(1);
    // Workers come before coordinators.
    expect(items.findIndex((i) => i.role.code === 'coordinator')).toBeGreaterThan(items.findIndex((i) => i.role.code === 'worker'));

    // Everyone listed can be assigned; someone who is not listed cannot.
    expect((await stack.app.inject({ method: 'POST', url: `/v1/cases/${c.id}/assign`, headers: coordinator.auth, payload: { assignee: elsewhere.id } })).statusCode).toBe(400);
    await post(supervisor, `/v1/cases/${c.id}/assign`, { assignee: otherWorker.id });
    const after = (await get(supervisor, `/v1/cases/${c.id}/assignees`)).json().items;
    expect(after.find((i: { id: string }) => i.id === otherWorker.id).current).toBe(true);
  });

  it('is for the roles that assign (403 otherwise), inside the scope (404 otherwise)', async () => {
    const c = await openCase();
    expect((await get(worker, `/v1/cases/${c.id}/assignees`)).statusCode).toBe(403);
    expect((await get(reviewer, `/v1/cases/${c.id}/assignees`)).statusCode).toBe(403);
    const outsider = await makeUser(stack.db, 'coordinator', { counties: ['640181'] });
    expect((await get(outsider, `/v1/cases/${c.id}/assignees`)).statusCode).toBe(404);
  });
});

describe('the case list shows each case’s subject', () => {
  it('with name, address and a masked phone; full phones only when a coordinator asks (audited), never for a worker’s page of several', async () => {
    const phone = `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const a = await openCase({ phone, assignee: worker, address: '金凤区测试路 8 号' });
    await openCase({ assignee: worker });
    const list = await get(coordinator, `/v1/cases?subjectId=${a.subject.id}`);
    expect(list.statusCode).toBe(200);
    const row = list.json().items[0];
    expect(row.subject).toMatchObject({ id: a.subject.id, name: a.subject.name, address: '金凤区测试路 8 号', county: { code: COUNTY, label: '金凤区' }, masked: true });
    expect(row.subject.phone).toBe(`${phone.slice(0, 3)}****${phone.slice(7)}`);
    expect(list.body).not.toContain(phone);
    expect(row.subject.idNumber).toBeUndefined();

    const unmasked = await get(coordinator, `/v1/cases?subjectId=${a.subject.id}&unmask=true`);
    expect(unmasked.json().items[0].subject).toMatchObject({ phone, masked: false });
    const audits = await stack.db.select().from(auditLog).where(and(eq(auditLog.userId, coordinator.id), eq(auditLog.action, 'personal_data.read'), gte(auditLog.at, started)));
    expect(audits.some((r) => r.resourceId === a.subject.id)).toBe(true);

    // A worker unmasks one record at a time: a page of several is refused, a page of one is allowed.
    expect((await get(worker, `/v1/cases?assignee=me&unmask=true`)).statusCode).toBe(403);
    expect((await get(worker, `/v1/cases?subjectId=${a.subject.id}&unmask=true`)).json().items[0].subject.phone).toBe(phone);
    // A supervisor never sees full phones.
    expect((await get(supervisor, `/v1/cases?subjectId=${a.subject.id}&unmask=true`)).statusCode).toBe(403);
  });

  it('assignee=me lists the caller’s own cases; nextVisitAt is the visit scheduled and not yet reported', async () => {
    const mine = await openCase({ assignee: otherWorker });
    const at = '2031-03-04T02:30:00.000Z';
    await post(otherWorker, `/v1/cases/${mine.id}/schedule-visit`, { scheduledAt: at });
    const res = await get(otherWorker, '/v1/cases?assignee=me&limit=100');
    const rows = res.json().items as Array<{ id: string; assignee: string; nextVisitAt: string | null }>;
    expect(rows.every((r) => r.assignee === otherWorker.id)).toBe(true);
    expect(rows.find((r) => r.id === mine.id)?.nextVisitAt).toBe(at);
    await post(otherWorker, `/v1/cases/${mine.id}/visit-report`, { outcome: 'nobody_home' });
    const again = (await get(otherWorker, '/v1/cases?assignee=me&limit=100')).json().items.find((r: { id: string }) => r.id === mine.id);
    expect(again.nextVisitAt).toBeNull();
  });
});

describe('GET /v1/me/tasks (我的任务)', () => {
  // Wednesday 2030-01-09, 12:00 in Shanghai: the week is Monday 01-07 to Sunday 01-13.
  const NOW = new Date('2030-01-09T04:00:00Z');

  it('groups the worker’s own open cases by the day of their visit in Shanghai time, with address and what they may do', async () => {
    const tasker = await makeUser(stack.db, 'worker', SCOPE);
    const visits: Record<string, string | null> = {
      past: '2030-01-08T02:00:00.000Z',
      today: '2030-01-09T06:00:00.000Z',
      // 01:00 on Thursday in Shanghai, still Wednesday in UTC: this week, not today.
      week: '2030-01-09T17:00:00.000Z',
      later: '2030-01-15T02:00:00.000Z',
      unscheduled: null,
    };
    const ids: Record<string, string> = {};
    for (const [bucket, at] of Object.entries(visits)) {
      const c = await openCase({ assignee: tasker, address: `地址-${bucket}` });
      if (at) await post(tasker, `/v1/cases/${c.id}/schedule-visit`, { scheduledAt: at });
      ids[bucket] = c.id;
    }
    // Not the worker's: another worker's case, and the worker's own cancelled one.
    await openCase({ assignee: worker });
    const cancelled = await openCase({ assignee: tasker });
    await post(coordinator, `/v1/cases/${cancelled.id}/cancel`, { reason: 'declined' });

    const app = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => NOW });
    try {
      const res = await get(tasker, '/v1/me/tasks', app);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ today: '2030-01-09', week: { from: '2030-01-07', to: '2030-01-13' }, counts: { past: 1, today: 1, week: 1, later: 1, unscheduled: 1 } });
      const items = body.items as Array<{ id: string; bucket: string; visitDay: string | null; subject: { address: string }; allowedActions: Array<{ action: string; allowed: boolean }> }>;
      expect(items.map((t) => t.id)).toEqual([ids.past, ids.today, ids.week, ids.later, ids.unscheduled]);
      for (const t of items) {
        const bucket = Object.keys(ids).find((k) => ids[k] === t.id)!;
        expect(t.bucket).toBe(bucket);
        expect(t.subject.address).toBe(`地址-${bucket}`);
        expect(t.allowedActions.find((a) => a.action === 'visit_report')?.allowed).toBe(true);
        expect(t.allowedActions.find((a) => a.action === 'review')?.allowed).toBe(false);
      }
      expect(items.find((t) => t.id === ids.week)?.visitDay).toBe('2030-01-10');
      // Nobody else's tasks: a reviewer has none, another worker sees only their own.
      expect((await get(reviewer, '/v1/me/tasks', app)).json().items).toEqual([]);
      expect((await get(worker, '/v1/me/tasks', app)).json().items.map((t: { id: string }) => t.id)).not.toContain(ids.today);
    } finally {
      await app.close();
    }
  });

  it('shows the full phones of the worker’s own subjects for tap-to-call when asked, audited; masked otherwise; never for a supervisor', async () => {
    const tasker = await makeUser(stack.db, 'worker', SCOPE);
    const phones = ['13700001111', '13700002222'];
    const subjectIds = [];
    for (const phone of phones) subjectIds.push((await openCase({ phone, assignee: tasker })).subject.id);

    const masked = await get(tasker, '/v1/me/tasks');
    expect(masked.json().items.map((t: { subject: { phone: string } }) => t.subject.phone).sort()).toEqual(['137****1111', '137****2222']);
    expect(masked.body).not.toContain('13700001111');

    const full = await get(tasker, '/v1/me/tasks?unmask=true');
    expect(full.statusCode).toBe(200);
    expect(full.json().items.map((t: { subject: { phone: string; masked: boolean } }) => t.subject).map((s: { phone: string; masked: boolean }) => [s.phone, s.masked]).sort())
      .toEqual([['13700001111', false], ['13700002222', false]]);
    const [record] = await stack.db.select().from(auditLog).where(and(eq(auditLog.userId, tasker.id), eq(auditLog.action, 'personal_data.assigned_contacts')));
    expect(record).toBeDefined();
    expect((record.detail as { ids: string[] }).ids.sort()).toEqual([...subjectIds].sort());

    const sup = await get(supervisor, '/v1/me/tasks?unmask=true');
    expect(sup.statusCode).toBe(403);
    expect(sup.headers['content-type']).toContain('application/problem+json');
  });
});

describe('GET /v1/workbench', () => {
  it('counts today’s cases in the caller’s scope and their own', async () => {
    const before = (await get(coordinator, '/v1/workbench')).json();
    expect(before.today).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await openCase();
    const b = await openCase({ assignee: worker });
    await post(worker, `/v1/cases/${b.id}/schedule-visit`, { scheduledAt: new Date().toISOString() });
    const c = await openCase({ assignee: worker });
    await post(coordinator, `/v1/cases/${c.id}/green-channel`);
    const after = (await get(coordinator, '/v1/workbench')).json();
    const delta = (k: string) => after.scope[k] - before.scope[k];
    expect(delta('open')).toBe(3);
    expect(delta('openedToday')).toBe(3);
    expect(delta('awaitingAssignment')).toBe(1);
    expect(delta('awaitingVisit')).toBe(2);
    expect(delta('greenChannel')).toBe(1);

    const mine = (await get(worker, '/v1/workbench')).json().mine;
    const expected = (await get(worker, '/v1/me/tasks')).json();
    expect(mine.assigned).toBe(expected.items.length);
    expect(mine.visitsToday).toBe(expected.counts.today);
    expect(mine.visitsToday).toBeGreaterThanOrEqual(1);

    // Another county's coordinator counts none of these.
    const outsider = await makeUser(stack.db, 'coordinator', { counties: ['640181'], departments: ['JUSTICE'] });
    const theirs = (await get(outsider, '/v1/workbench')).json();
    expect(theirs.mine).toEqual({ assigned: 0, visitsToday: 0, overdue: 0 });
  });
});
