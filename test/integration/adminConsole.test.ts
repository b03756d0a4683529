/**
 * What the console's plan oversight and administration pages (issue #14) need from the API beyond the
 * field console: plan rows with the subject's name and the verdicts of the last checked periods, users
 * searched by name and county, and audit records naming who acted and what the action is called.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { planPeriods, plans, users } from '../../db/schema';
import { CATALOG_VERSION, findItem } from '../../domain/catalog';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';

let stack: TestStack;
let admin: TestUser;
beforeAll(async () => {
  stack = await startStack();
  admin = await makeUser(stack.db, 'admin', { cityLevel: true });
});
afterAll(async () => { await stack?.close(); });

const get = (url: string, who: TestUser) => stack.app.inject({ url, headers: who.auth });

/** A child rehabilitation plan in the read model with one checked period per month of `months` (oldest first). */
async function planWithPeriods(county: string, months: Array<{ period: string; sessions: number; compliant: boolean }>) {
  const subject = await makeSubject(stack.db, { county, name: `计划对象${randomUUID().slice(0, 4)}` });
  const id = randomUUID();
  await stack.db.insert(plans).values({
    id, subjectId: subject.id, itemCode: 'CHILD_REHAB', actionCode: findItem('CHILD_REHAB')!.actions[0].code, county, department: 'DPF',
    catalogVersion: CATALOG_VERSION, status: 'active', provider: { type: 'rehab_institution', name: '市康复中心' }, assessment: {},
    startDate: `${months[0].period}-01`, currentPeriod: '2026-12', lastPeriodCompliant: months.at(-1)!.compliant,
  });
  await stack.db.insert(planPeriods).values(months.map((m) => ({
    planId: id, period: m.period, startDate: `${m.period}-01`, endDate: `${m.period}-28`, sessions: m.sessions, qualifying: m.sessions,
    required: 4, compliant: m.compliant, shortfall: m.compliant ? {} : { text: `本月服务 ${m.sessions} 次，少于每月不少于4次，还差 ${4 - m.sessions} 次` },
    checkedAt: new Date(`${m.period}-28T16:00:00Z`),
  })));
  return { id, subject };
}

describe('plan list for the desk console', () => {
  it('each row names the subject and carries the last six checked periods, newest first, shortfalls with what is missing', async () => {
    const months = ['2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11']
      .map((period, i) => ({ period, sessions: i === 8 ? 2 : 4, compliant: i !== 8 }));
    const { id, subject } = await planWithPeriods('640106', months);
    const supervisor = await makeUser(stack.db, 'supervisor', { counties: ['640106'] });
    const res = await get(`/v1/plans?subjectId=${subject.id}`, supervisor);
    expect(res.statusCode, res.body).toBe(200);
    const [row] = res.json().items;
    expect(row).toMatchObject({ id, subjectName: subject.name, lastPeriodCompliant: false });
    expect(row.recentPeriods.map((p: { period: string }) => p.period)).toEqual(['2026-11', '2026-10', '2026-09', '2026-08', '2026-07', '2026-06']);
    expect(row.recentPeriods[0]).toMatchObject({
      sessions: 2, qualifying: 2, required: 4, compliant: false, verdict: { code: 'shortfall', label: '未达标' }, shortfall: '本月服务 2 次，少于每月不少于4次，还差 2 次',
    });
    expect(row.recentPeriods[1]).toMatchObject({ compliant: true, verdict: { label: '达标' }, shortfall: null });
    // Only shortfalls: the same plan, filtered by the last verdict.
    const only = await get(`/v1/plans?subjectId=${subject.id}&lastCompliant=false`, supervisor);
    expect(only.json().items.map((p: { id: string }) => p.id)).toEqual([id]);
    // Another county's coordinator sees neither the plan nor its periods.
    const other = await makeUser(stack.db, 'coordinator', { counties: ['640181'] });
    expect((await get(`/v1/plans?subjectId=${subject.id}`, other)).json().items).toEqual([]);
  });

  it('a plan with no checked period yet has none listed', async () => {
    const subject = await makeSubject(stack.db, { county: '640106' });
    const id = randomUUID();
    await stack.db.insert(plans).values({
      id, subjectId: subject.id, itemCode: 'CHILD_REHAB', actionCode: findItem('CHILD_REHAB')!.actions[0].code, county: '640106', department: 'DPF',
      catalogVersion: CATALOG_VERSION, status: 'active', provider: { type: 'rehab_institution', name: '市康复中心' }, assessment: {}, startDate: '2026-12-01',
    });
    const [row] = (await get(`/v1/plans?subjectId=${subject.id}`, admin)).json().items;
    expect(row).toMatchObject({ id, recentPeriods: [], lastPeriodCompliant: null });
  });
});

describe('user search for the administration page', () => {
  it('finds users by part of the username or the name, and by a county in their scope', async () => {
    const tag = randomUUID().slice(0, 8);
    const post = (body: object) => stack.app.inject({ method: 'POST', url: '/v1/users', headers: admin.auth, payload: body });
    const a = (await post({ username: `xq.${tag}`, displayName: `兴庆${tag}协调员`, role: 'coordinator', counties: ['640104'] })).json();
    const b = (await post({ username: `jf.${tag}`, displayName: `金凤${tag}督导`, role: 'supervisor', counties: ['640106', '640104'] })).json();
    const c = (await post({ username: `lw.${tag}`, displayName: `灵武${tag}`, role: 'worker', counties: ['640181'] })).json();
    const ids = async (query: string) => (await get(`/v1/users?${query}`, admin)).json().items.map((u: { id: string }) => u.id).sort();
    expect(await ids(`q=${tag}`)).toEqual([a.id, b.id, c.id].sort());
    expect(await ids(`q=jf.${tag}`)).toEqual([b.id]);
    expect(await ids(`q=${encodeURIComponent(`金凤${tag}`)}`)).toEqual([b.id]);
    expect(await ids(`q=${tag}&county=640104`)).toEqual([a.id, b.id].sort());
    expect(await ids(`q=${tag}&county=640104&role=coordinator`)).toEqual([a.id]);
    // A LIKE wildcard is matched as itself.
    expect(await ids(`q=${encodeURIComponent('%')}${tag}`)).toEqual([]);
    const bad = await get('/v1/users?county=123456', admin);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toContain('county');
  });
});

describe('audit records for the administration page', () => {
  it('name who acted and what the action is called; the actions list names them too', async () => {
    const target = await makeUser(stack.db, 'worker', { counties: ['640105'] });
    const patched = await stack.app.inject({ method: 'PATCH', url: `/v1/users/${target.id}`, headers: admin.auth, payload: { displayName: '改名后' } });
    expect(patched.statusCode).toBe(200);
    const [me] = await stack.db.select().from(users).where(eq(users.id, admin.id));
    const res = await get(`/v1/audit?resourceType=users&resourceId=${target.id}`, admin);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items[0]).toMatchObject({
      action: 'PATCH /v1/users/:id', actionLabel: '修改用户：角色、范围、停用/启用',
      user: { id: admin.id, username: me.username, displayName: me.displayName }, resourceId: target.id,
    });

    const actions = await get('/v1/audit/actions', admin);
    expect(actions.statusCode).toBe(200);
    const byCode = new Map(actions.json().items.map((a: { code: string; label: string }) => [a.code, a.label]));
    expect(byCode.get('POST /v1/users')).toBe('创建用户');
    expect(byCode.get('DELETE /v1/users/:id/tokens/:tokenId')).toBe('吊销访问令牌');
    expect(byCode.get('auth.login_failed')).toBe('登录失败');
    expect(byCode.has('GET /v1/users')).toBe(false);

    const coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640105'] });
    expect((await get('/v1/audit/actions', coordinator)).statusCode).toBe(403);

    // An action as a prefix takes its sub-routes too; exactly, only itself.
    const issued = await stack.app.inject({ method: 'POST', url: `/v1/users/${target.id}/tokens`, headers: admin.auth, payload: {} });
    expect(issued.statusCode).toBe(201);
    const actionsOf = async (query: string) => (await get(`/v1/audit?resourceId=${target.id}&${query}`, admin)).json().items.map((a: { action: string }) => a.action);
    expect(await actionsOf(`action=${encodeURIComponent('PATCH /v1/users')}`)).toEqual(['PATCH /v1/users/:id']);
    expect(await actionsOf(`action=${encodeURIComponent('PATCH /v1/users')}&actionExact=true`)).toEqual([]);
    expect(await actionsOf(`action=${encodeURIComponent('POST /v1/users/:id/tokens')}&actionExact=true`)).toEqual(['POST /v1/users/:id/tokens']);
  });
});
