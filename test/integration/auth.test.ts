import { randomUUID } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { apiTokens, auditLog, users } from '../../db/schema';
import { issueToken } from '../../db/queries/users';
import { makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';

let stack: TestStack;
let admin: TestUser;
beforeAll(async () => {
  stack = await startStack();
  admin = await makeUser(stack.db, 'admin', { cityLevel: true });
});
afterAll(async () => { await stack?.close(); });

const get = (url: string, who?: TestUser) => stack.app.inject({ url, headers: who?.auth ?? {} });

describe('bearer tokens', () => {
  it('stores only the SHA-256 hash of a token', async () => {
    const u = await makeUser(stack.db, 'worker', { counties: ['640104'] });
    const rows = await stack.db.select().from(apiTokens).where(eq(apiTokens.userId, u.id));
    expect(rows).toHaveLength(1);
    expect(rows[0].tokenHash).toMatch(/^[0-9a-f]{64}$/);
    const dump = JSON.stringify(await stack.db.execute(sql`select * from api_tokens`));
    expect(dump).not.toContain(u.token);
  });

  it('no token, a malformed header or an unknown token is 401 problem+json', async () => {
    for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer' }, { authorization: `Bearer dst_${randomUUID()}` }]) {
      const res = await stack.app.inject({ url: '/v1/me', headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('an expired token, a revoked token and a disabled user are refused', async () => {
    const u = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
    const expired = await issueToken(stack.db, u.id, { expiresAt: new Date(Date.now() - 1000) });
    expect((await stack.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${expired.token}` } })).statusCode).toBe(401);
    expect((await get('/v1/me', u)).statusCode).toBe(200);

    const [{ id: tokenId }] = await stack.db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.tokenHash, (await import('../../api/auth')).hashToken(u.token)));
    const revoke = await stack.app.inject({ method: 'DELETE', url: `/v1/users/${u.id}/tokens/${tokenId}`, headers: admin.auth });
    expect(revoke.statusCode).toBe(204);
    expect((await get('/v1/me', u)).statusCode).toBe(401);

    const v = await makeUser(stack.db, 'reviewer', { counties: ['640104'] });
    expect((await get('/v1/me', v)).statusCode).toBe(200);
    const disable = await stack.app.inject({ method: 'PATCH', url: `/v1/users/${v.id}`, headers: admin.auth, payload: { disabled: true } });
    expect(disable.statusCode).toBe(200);
    expect(disable.json().disabled).toBe(true);
    expect((await get('/v1/me', v)).statusCode).toBe(401);
    // Enabling the user again revives none of its old tokens: disabling revoked them.
    await stack.app.inject({ method: 'PATCH', url: `/v1/users/${v.id}`, headers: admin.auth, payload: { disabled: false } });
    expect((await get('/v1/me', v)).statusCode).toBe(401);
  });

  it('DELETE /v1/me/token logs out: the token stops working', async () => {
    const u = await makeUser(stack.db, 'worker', { counties: ['640104'] });
    expect((await stack.app.inject({ method: 'DELETE', url: '/v1/me/token', headers: u.auth })).statusCode).toBe(204);
    expect((await get('/v1/me', u)).statusCode).toBe(401);
  });

  it('last_used_at is written on use, at most once a minute', async () => {
    let clock = new Date('2031-03-01T08:00:00Z');
    const app = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => clock });
    try {
      const u = await makeUser(stack.db, 'worker', { counties: ['640104'] });
      const lastUsed = async () => (await stack.db.select().from(apiTokens).where(eq(apiTokens.userId, u.id)))[0].lastUsedAt?.toISOString();
      expect(await lastUsed()).toBeUndefined();
      await app.inject({ url: '/v1/me', headers: u.auth });
      expect(await lastUsed()).toBe('2031-03-01T08:00:00.000Z');
      clock = new Date('2031-03-01T08:00:59Z');
      await app.inject({ url: '/v1/me', headers: u.auth });
      expect(await lastUsed()).toBe('2031-03-01T08:00:00.000Z');
      clock = new Date('2031-03-01T08:01:00Z');
      await app.inject({ url: '/v1/me', headers: u.auth });
      expect(await lastUsed()).toBe('2031-03-01T08:01:00.000Z');
    } finally {
      await app.close();
    }
  });
});

describe('users (admin)', () => {
  it('an admin creates a user, issues a token shown once, lists and revokes it', async () => {
    const username = `wang-${randomUUID().slice(0, 8)}`;
    const created = await stack.app.inject({
      method: 'POST', url: '/v1/users', headers: admin.auth,
      payload: { username, displayName: '王工作人员', role: 'worker', counties: ['640105'], departments: ['DPF'] },
    });
    expect(created.statusCode).toBe(201);
    const user = created.json();
    expect(user).toMatchObject({
      username, role: { code: 'worker', label: '上门工作人员' },
      scope: { cityLevel: false, counties: [{ code: '640105', label: '西夏区' }], departments: [{ code: 'DPF', label: '残联' }] },
    });
    expect(created.headers.location).toBe(`/v1/users/${user.id}`);

    const again = await stack.app.inject({ method: 'POST', url: '/v1/users', headers: admin.auth, payload: { username, displayName: 'x', role: 'worker', counties: ['640105'] } });
    expect(again.statusCode).toBe(409);

    const issued = await stack.app.inject({ method: 'POST', url: `/v1/users/${user.id}/tokens`, headers: admin.auth, payload: { label: '手机', expiresInDays: 30 } });
    expect(issued.statusCode).toBe(201);
    expect(issued.headers['cache-control']).toBe('no-store');
    const { token, id: tokenId } = issued.json();
    const me = await stack.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.json()).toMatchObject({ username, tokenId });

    const tokens = await stack.app.inject({ url: `/v1/users/${user.id}/tokens`, headers: admin.auth });
    expect(tokens.json().items).toEqual([expect.objectContaining({ id: tokenId, label: '手机', active: true })]);
    expect(tokens.body).not.toContain(token);

    const list = await stack.app.inject({ url: '/v1/users?role=worker&limit=200', headers: admin.auth });
    expect(list.json().items.map((u: { id: string }) => u.id)).toContain(user.id);
  });

  it('lists page by cursor without repeats', async () => {
    for (let i = 0; i < 3; i++) await makeUser(stack.db, 'reviewer', { counties: ['640121'] });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await stack.app.inject({ url: `/v1/users?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, headers: admin.auth });
      expect(res.statusCode).toBe(200);
      const body: { items: Array<{ id: string }>; nextCursor: string | null } = res.json();
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((u) => u.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(4);
  });

  it('a county admin manages only users inside its county: others are 404, wider grants 400', async () => {
    const countyAdmin = await makeUser(stack.db, 'admin', { counties: ['640104'] });
    const inside = await makeUser(stack.db, 'worker', { counties: ['640104'] });
    const outside = await makeUser(stack.db, 'worker', { counties: ['640181'] });
    const city = await makeUser(stack.db, 'supervisor', { cityLevel: true });
    expect((await get(`/v1/users/${inside.id}`, countyAdmin)).statusCode).toBe(200);
    expect((await get(`/v1/users/${outside.id}`, countyAdmin)).statusCode).toBe(404);
    expect((await get(`/v1/users/${city.id}`, countyAdmin)).statusCode).toBe(404);
    expect((await get(`/v1/users/${randomUUID()}`, countyAdmin)).json().detail).toBe((await get(`/v1/users/${outside.id}`, countyAdmin)).json().detail);
    const list = await stack.app.inject({ url: '/v1/users?limit=200', headers: countyAdmin.auth });
    const ids = list.json().items.map((u: { id: string }) => u.id);
    expect(ids).toContain(inside.id);
    expect(ids).not.toContain(outside.id);
    expect(ids).not.toContain(city.id);

    const wider = await stack.app.inject({ method: 'POST', url: '/v1/users', headers: countyAdmin.auth, payload: { username: `x-${randomUUID().slice(0, 8)}`, displayName: 'x', role: 'worker', counties: ['640181'] } });
    expect(wider.statusCode).toBe(400);
    expect(wider.json().errors[0].path).toBe('body.counties');
    const cityGrant = await stack.app.inject({ method: 'PATCH', url: `/v1/users/${inside.id}`, headers: countyAdmin.auth, payload: { cityLevel: true } });
    expect(cityGrant.statusCode).toBe(400);
    expect((await stack.app.inject({ method: 'POST', url: `/v1/users/${outside.id}/tokens`, headers: countyAdmin.auth, payload: {} })).statusCode).toBe(404);
  });

  it('an admin cannot disable or demote itself; a user needs a scope; unknown codes are 400', async () => {
    const self = await stack.app.inject({ method: 'PATCH', url: `/v1/users/${admin.id}`, headers: admin.auth, payload: { disabled: true } });
    expect(self.statusCode).toBe(409);
    const noScope = await stack.app.inject({ method: 'POST', url: '/v1/users', headers: admin.auth, payload: { username: `n-${randomUUID().slice(0, 8)}`, displayName: 'x', role: 'worker' } });
    expect(noScope.statusCode).toBe(400);
    const badCode = await stack.app.inject({ method: 'POST', url: '/v1/users', headers: admin.auth, payload: { username: `n-${randomUUID().slice(0, 8)}`, displayName: 'x', role: 'chief', counties: ['999999'] } });
    expect(badCode.statusCode).toBe(400);
    expect(badCode.json().errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['body.role', 'body.counties.0']));
  });

  it('other roles may not manage users (403) but may see themselves', async () => {
    for (const role of ['coordinator', 'worker', 'reviewer', 'supervisor']) {
      const u = await makeUser(stack.db, role, { cityLevel: true });
      expect((await get('/v1/users', u)).statusCode).toBe(403);
      expect((await get('/v1/audit', u)).statusCode).toBe(403);
      const me = await get('/v1/me', u);
      expect(me.statusCode).toBe(200);
      expect(me.json().role.code).toBe(role);
    }
  });
});

describe('audit log', () => {
  it('records every successful state change (who, what, where) but never the body', async () => {
    const username = `audited-${randomUUID().slice(0, 8)}`;
    const res = await stack.app.inject({
      method: 'POST', url: '/v1/users', headers: { ...admin.auth, 'x-forwarded-for': '10.0.0.9' }, remoteAddress: '10.1.2.3',
      payload: { username, displayName: '审计对象', role: 'worker', counties: ['640104'] },
    });
    const userId = res.json().id;
    const failed = await stack.app.inject({ method: 'POST', url: '/v1/users', headers: admin.auth, payload: { username: 'x' } });
    expect(failed.statusCode).toBe(400);
    const list = await stack.app.inject({ url: `/v1/audit?resourceType=users&resourceId=${userId}`, headers: admin.auth });
    expect(list.statusCode).toBe(200);
    const items = list.json().items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ userId: admin.id, action: 'POST /v1/users', resourceType: 'users', resourceId: userId, ip: '10.1.2.3' });
    expect(new Date(items[0].at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(items[0])).not.toContain('审计对象');
  });

  it('filters by user, action and time range, and pages by cursor', async () => {
    const a = await makeUser(stack.db, 'admin', { cityLevel: true });
    const t0 = new Date().toISOString();
    for (let i = 0; i < 5; i++) {
      await stack.app.inject({ method: 'POST', url: '/v1/users', headers: a.auth, payload: { username: `p-${randomUUID().slice(0, 8)}`, displayName: 'p', role: 'worker', counties: ['640106'] } });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await stack.app.inject({ url: `/v1/audit?userId=${a.id}&action=${encodeURIComponent('POST /v1/users')}&from=${t0}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: admin.auth });
      expect(res.statusCode).toBe(200);
      const body: { items: Array<{ id: string; userId: string }>; nextCursor: string | null } = res.json();
      expect(body.items.every((e) => e.userId === a.id)).toBe(true);
      seen.push(...body.items.map((e) => e.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect([...seen].sort((x, y) => Number(y) - Number(x))).toEqual(seen);
    const future = await stack.app.inject({ url: `/v1/audit?userId=${a.id}&from=2999-01-01T00:00:00Z`, headers: admin.auth });
    expect(future.json().items).toEqual([]);
    const bad = await stack.app.inject({ url: '/v1/audit?from=yesterday&cursor=abc', headers: admin.auth });
    expect(bad.statusCode).toBe(400);
  });

  it('a county admin reads only the records of users inside its scope', async () => {
    const countyAdmin = await makeUser(stack.db, 'admin', { counties: ['640122'] });
    const mine = await makeUser(stack.db, 'worker', { counties: ['640122'] });
    const outside = await makeUser(stack.db, 'worker', { counties: ['640181'] });
    await stack.app.inject({ method: 'DELETE', url: '/v1/me/token', headers: mine.auth });
    await stack.app.inject({ method: 'DELETE', url: '/v1/me/token', headers: outside.auth });
    const res = await stack.app.inject({ url: '/v1/audit?resourceType=me&limit=500', headers: countyAdmin.auth });
    const ids = [...new Set(res.json().items.map((e: { userId: string }) => e.userId))] as string[];
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(outside.id);
    // Other files may have users of this county too: every record listed is of a user inside the admin's scope.
    const listed = await stack.db.select({ counties: users.counties }).from(users).where(inArray(users.id, ids));
    expect(listed.length).toBe(ids.length);
    for (const u of listed) expect(u.counties).toContain('640122');
  });

  it('is append-only in the database: UPDATE, DELETE and TRUNCATE are refused', async () => {
    await stack.app.inject({ method: 'DELETE', url: '/v1/me/token', headers: (await makeUser(stack.db, 'worker', { counties: ['640104'] })).auth });
    await expect(stack.db.update(auditLog).set({ action: 'forged' })).rejects.toThrow();
    await expect(stack.db.delete(auditLog)).rejects.toThrow();
    await expect(stack.db.execute(sql`truncate audit_log`)).rejects.toThrow();
    const [{ n }] = await stack.db.select({ n: sql<number>`count(*)::int` }).from(auditLog).where(eq(auditLog.action, 'forged'));
    expect(n).toBe(0);
  });
});
