/**
 * The demo data `npm run dev` loads into an empty database (bin/demoData.ts): every demo user can log in
 * to the console with the password bin/dev prints and call the API with its token; the demo worker has
 * tasks; the supervisor sees open cases in every county, some not yet assigned, and a plan under way.
 * On a database of its own (demo data loads only where there are no users yet).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../api/passwords';
import { storePassword } from '../../api/sessions';
import { DEMO_USERS, ensureDemoPasswords, loadDemoData } from '../../bin/demoData';
import { findUserByName } from '../../db/queries/users';
import { ownDatabase, startStack, type TestStack } from '../support/env';
import { eventually } from '../support/eventually';

let own: Awaited<ReturnType<typeof ownDatabase>>;
let stack: TestStack;

beforeAll(async () => {
  own = await ownDatabase();
  stack = await startStack({ DATABASE_URL: own.url });
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await own?.drop();
});

const login = (username: string, password: string) =>
  stack.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username, password } });

describe('demo data', () => {
  it('loads once; every demo user logs in with its printed password and calls the API with its token', async () => {
    expect(await loadDemoData(stack.db, stack.app)).toBe(true);
    expect(await loadDemoData(stack.db, stack.app)).toBe(false);
    for (const u of DEMO_USERS) {
      const res = await login(u.username, u.password);
      expect(res.statusCode, u.username).toBe(200);
      expect(res.json().user).toMatchObject({ username: u.username, role: { code: u.role } });
      const me = await stack.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${u.token}` } });
      expect(me.json()).toMatchObject({ username: u.username, authMethod: 'token' });
    }
  }, 60_000);

  it('gives the demo worker two tasks, one with a visit booked', async () => {
    const worker = DEMO_USERS.find((u) => u.role === 'worker')!;
    const tasks = (await stack.app.inject({ url: '/v1/me/tasks', headers: { authorization: `Bearer ${worker.token}` } })).json();
    expect(tasks.items).toHaveLength(2);
    expect(tasks.items.filter((t: { nextVisitAt: string | null }) => t.nextVisitAt !== null)).toHaveLength(1);
    expect(tasks.items.every((t: { subject: { address: string | null } }) => t.subject.address)).toBe(true);
  });

  it('gives the supervisor a city to look at: open cases in every county and several departments, some not yet assigned, and a plan under way', async () => {
    const supervisor = DEMO_USERS.find((u) => u.role === 'supervisor')!;
    const get = async (url: string) => {
      const res = await stack.app.inject({ url, headers: { authorization: `Bearer ${supervisor.token}` } });
      expect(res.statusCode, url).toBe(200);
      return res.json();
    };
    // Opening and assigning reach the read model through the workflow: wait until all eleven cases are there.
    const summary = await eventually(async () => {
      const s = await get('/v1/supervision/summary');
      return s.totals.open === 11 ? s : undefined;
    }, 30_000, 250);
    expect(summary.byCounty.filter((c: { open: number }) => c.open > 0)).toHaveLength(6);
    expect(summary.byDepartment.filter((d: { open: number }) => d.open > 0).length).toBeGreaterThanOrEqual(5);
    const workload = await get('/v1/supervision/workload');
    expect(workload.items.find((w: { assignee: unknown }) => w.assignee === null)).toMatchObject({ open: 9 });
    const plans = await eventually(async () => {
      const p = await get('/v1/plans');
      return p.items.length === 1 && p.items[0].status.code === 'active' ? p : undefined;
    }, 30_000, 250);
    const plan = await get(`/v1/plans/${plans.items[0].id}`);
    expect(plan).toMatchObject({ item: { code: 'CHILD_REHAB' }, currentPeriod: { progress: { done: 1, required: expect.any(Number) } } });
  });

  it('ensureDemoPasswords gives a password only to a demo user without one (a changed one is kept)', async () => {
    const admin = DEMO_USERS.find((u) => u.role === 'admin')!;
    await storePassword(stack.db, (await findUserByName(stack.db, admin.username))!, await hashPassword('changed-by-the-admin-1'));
    await ensureDemoPasswords(stack.db);
    expect((await login(admin.username, admin.password)).statusCode).toBe(401);
    expect((await login(admin.username, 'changed-by-the-admin-1')).statusCode).toBe(200);
  });
});
