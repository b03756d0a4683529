/**
 * Console login (issue 13): password login, server-side sessions in an httpOnly SameSite=Strict cookie,
 * CSRF double submit, lockout after repeated failures, idle and absolute expiry, logout, passwords set
 * by admins, by the users themselves and from the command line. Bearer tokens keep working unchanged.
 * The API here runs on a clock of the test's own, so expiry and lockout need no waiting.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { and, eq, gte } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { buildApp } from '../../api/app';
import { hashPassword, verifyPassword } from '../../api/passwords';
import { storePassword } from '../../api/sessions';
import { auditLog, sessions, users } from '../../db/schema';
import { findUserById } from '../../db/queries/users';
import { makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';

let stack: TestStack;
let app: Awaited<ReturnType<typeof buildApp>>;
let clock = new Date('2026-06-01T02:00:00Z');
let admin: TestUser;
const started = new Date();

beforeAll(async () => {
  stack = await startStack();
  // Many failed logins in one file: the per-address limiter (tested in authHardening) must not answer first.
  app = await buildApp({ db: stack.db, temporal: stack.client, config: { ...stack.config, AUTH_FAILURES_PER_MINUTE: 10_000 }, now: () => clock });
  admin = await makeUser(stack.db, 'admin', { counties: ['640106'] });
});
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

const advance = (minutes: number) => { clock = new Date(clock.getTime() + minutes * 60_000); };

/** A user of `role` in 金凤区 with this console password; returns the user, its username and password. */
async function userWithPassword(role = 'coordinator', password = `pw-${randomUUID().slice(0, 12)}`) {
  const u = await makeUser(stack.db, role, { counties: ['640106'] });
  const row = (await findUserById(stack.db, u.id))!;
  await storePassword(stack.db, row, await hashPassword(password));
  return { ...u, username: row.username, password };
}

interface Login { cookie: string; csrf: string; setCookie: string[]; body: Record<string, unknown> }

async function login(username: string, password: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username, password }, headers });
}

async function loggedIn(username: string, password: string): Promise<Login> {
  const res = await login(username, password);
  expect(res.statusCode, res.body).toBe(200);
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const pairs = setCookie.map((c) => c.split(';')[0]);
  const csrf = pairs.find((p) => p.startsWith('doorstep_csrf='))!.split('=')[1];
  return { cookie: pairs.join('; '), csrf, setCookie, body: res.json() };
}

const withSession = (s: Login, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, opts: { csrf?: string | null; payload?: object } = {}) =>
  app.inject({
    method, url, payload: opts.payload,
    headers: { cookie: s.cookie, ...(opts.csrf === null ? {} : { 'x-csrf-token': opts.csrf ?? s.csrf }) },
  });

async function auditActions(userOrName: string, since = started) {
  const rows = await stack.db.select().from(auditLog).where(and(eq(auditLog.resourceType, 'auth'), gte(auditLog.at, since)));
  return rows.filter((r) => r.userId === userOrName || (r.detail as { username?: string }).username === userOrName).map((r) => r.action);
}

describe('passwords', () => {
  it('are stored as salted scrypt hashes: two users with one password get different hashes, neither holds the password', async () => {
    const a = await userWithPassword('worker', 'same-secret-42');
    const b = await userWithPassword('worker', 'same-secret-42');
    const [ra, rb] = [(await findUserById(stack.db, a.id))!, (await findUserById(stack.db, b.id))!];
    expect(ra.passwordHash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(ra.passwordHash).not.toBe(rb.passwordHash);
    expect(ra.passwordHash).not.toContain('same-secret-42');
    expect(await verifyPassword('same-secret-42', ra.passwordHash)).toBe(true);
    expect(await verifyPassword('same-secret-43', ra.passwordHash)).toBe(false);
  });
});

describe('login', () => {
  it('gives the user, a CSRF token and the two cookies; the session then answers /v1/me', async () => {
    const u = await userWithPassword('reviewer');
    const s = await loggedIn(u.username, u.password);
    const session = s.setCookie.find((c) => c.startsWith('doorstep_session='))!;
    const csrf = s.setCookie.find((c) => c.startsWith('doorstep_csrf='))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Strict/);
    expect(session).toMatch(/; Path=\//);
    expect(session).not.toMatch(/Secure/); // plain http here
    expect(csrf).not.toMatch(/HttpOnly/); // the console reads it
    expect(csrf).toMatch(/; SameSite=Strict/);
    expect(s.body).toMatchObject({
      csrfToken: s.csrf, idleMinutes: 30,
      user: { id: u.id, username: u.username, role: { code: 'reviewer', label: '审核员' }, authMethod: 'session', mayUnmask: true, mayBulkUnmask: false },
    });
    expect(Date.parse(s.body.expiresAt as string) - clock.getTime()).toBe(12 * 3_600_000);

    const me = await withSession(s, 'GET', '/v1/me', { csrf: null });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: u.id, authMethod: 'session', scope: { cityLevel: false, counties: [{ code: '640106', label: '金凤区' }] } });
    expect(me.json().tokenId).toBeUndefined();

    // The row holds the secret's hash, never the secret.
    const secret = s.cookie.split('; ').find((p) => p.startsWith('doorstep_session='))!.split('=')[1];
    const rows = await stack.db.select().from(sessions).where(eq(sessions.userId, u.id));
    expect(rows).toHaveLength(1);
    expect(rows[0].id).not.toBe(secret);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(await auditActions(u.id)).toContain('auth.login');
  });

  it('a login on a browser that holds another session ends that session', async () => {
    const a = await userWithPassword('worker');
    const b = await userWithPassword('worker');
    const first = await loggedIn(a.username, a.password);
    const second = await login(b.username, b.password, { cookie: first.cookie });
    expect(second.statusCode).toBe(200);
    expect((await withSession(first, 'GET', '/v1/me')).statusCode).toBe(401);
    expect(await stack.db.select().from(sessions).where(eq(sessions.userId, a.id))).toHaveLength(0);
  });

  it('sets Secure cookies when the request came over https through the trusted proxy', async () => {
    const proxied = await buildApp({ db: stack.db, temporal: stack.client, config: { ...stack.config, TRUST_PROXY: 'true' }, now: () => clock });
    try {
      const u = await userWithPassword();
      const res = await proxied.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: u.username, password: u.password }, headers: { 'x-forwarded-proto': 'https' } });
      expect(res.statusCode).toBe(200);
      for (const c of [res.headers['set-cookie']].flat()) expect(c).toMatch(/; Secure/);
    } finally {
      await proxied.close();
    }
  });

  it('answers a wrong password and an unknown user alike: 401 problem+json, audited', async () => {
    const u = await userWithPassword();
    const wrong = await login(u.username, 'not-the-password');
    const unknown = await login(`nobody-${randomUUID()}`, 'not-the-password');
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(wrong.json().detail).toBe(unknown.json().detail);
    expect(wrong.json().detail).toContain('用户名或密码错误');
    expect(await auditActions(u.id)).toContain('auth.login_failed');
    // The password itself is never in the audit log.
    const all = await stack.db.select().from(auditLog).where(gte(auditLog.at, started));
    expect(JSON.stringify(all)).not.toContain(u.password);
  });

  it('a user without a password, and a disabled user, cannot log in', async () => {
    const noPassword = await makeUser(stack.db, 'worker', { counties: ['640106'] });
    const row = (await findUserById(stack.db, noPassword.id))!;
    expect((await login(row.username, 'anything-at-all')).statusCode).toBe(401);
    const u = await userWithPassword();
    await stack.db.update(users).set({ disabled: true }).where(eq(users.id, u.id));
    expect((await login(u.username, u.password)).statusCode).toBe(401);
  });

  it('refuses a malformed body with the field named', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain('body.password');
  });
});

describe('lockout', () => {
  it('locks a username after 5 failures within 15 minutes (423, when it unlocks), even for the right password, then unlocks', async () => {
    const u = await userWithPassword();
    for (let i = 0; i < 4; i++) {
      expect((await login(u.username, `wrong-${i}-password`)).statusCode).toBe(401);
      advance(1);
    }
    const fifth = await login(u.username, 'wrong-5-password');
    expect(fifth.statusCode).toBe(423);
    expect(fifth.headers['content-type']).toContain('application/problem+json');
    const until = new Date(clock.getTime() + 15 * 60_000);
    expect(fifth.json()).toMatchObject({ status: 423, lockedUntil: until.toISOString() });
    expect(fifth.json().detail).toMatch(/锁定.*北京时间 \d\d:\d\d/);
    expect(fifth.headers['retry-after']).toBe('900');

    advance(5);
    const right = await login(u.username, u.password);
    expect(right.statusCode).toBe(423);
    expect(right.json().lockedUntil).toBe(until.toISOString());

    advance(11);
    expect((await login(u.username, u.password)).statusCode).toBe(200);
    const actions = await auditActions(u.id);
    expect(actions.filter((a) => a === 'auth.login_failed')).toHaveLength(5);
    expect(actions).toEqual(expect.arrayContaining(['auth.lockout', 'auth.login_locked', 'auth.login']));
  });

  it('failures spread over more than 15 minutes do not lock; a success forgets them', async () => {
    const u = await userWithPassword();
    for (let i = 0; i < 4; i++) expect((await login(u.username, 'wrong-password-x')).statusCode).toBe(401);
    advance(16);
    for (let i = 0; i < 4; i++) expect((await login(u.username, 'wrong-password-x')).statusCode).toBe(401);
    expect((await login(u.username, u.password)).statusCode).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login(u.username, 'wrong-password-x')).statusCode).toBe(401);
    expect((await login(u.username, u.password)).statusCode).toBe(200);
  });

  it('locks an unknown username too (the answers tell nothing about who exists)', async () => {
    const name = `ghost-${randomUUID()}`;
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await login(name, 'wrong-password-y')).statusCode);
    expect(answers).toEqual([401, 401, 401, 401, 423]);
  });

  it('counts concurrent failures: 5 at once lock the username', async () => {
    const u = await userWithPassword();
    const answers = await Promise.all(Array.from({ length: 5 }, () => login(u.username, 'wrong-password-z')));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([401, 401, 401, 401, 423]);
    expect((await login(u.username, u.password)).statusCode).toBe(423);
  });

  it('an admin setting the password lifts the lock', async () => {
    const u = await userWithPassword();
    for (let i = 0; i < 5; i++) await login(u.username, 'wrong-password-w');
    expect((await login(u.username, u.password)).statusCode).toBe(423);
    const set = await app.inject({ method: 'PUT', url: `/v1/users/${u.id}/password`, headers: admin.auth, payload: { password: 'a-fresh-password-1' } });
    expect(set.statusCode).toBe(204);
    expect((await login(u.username, 'a-fresh-password-1')).statusCode).toBe(200);
  });
});

describe('CSRF and bearer tokens', () => {
  it('a session needs X-CSRF-Token equal to its token on unsafe methods (403 otherwise); GET needs none', async () => {
    const u = await userWithPassword('admin');
    await stack.db.update(users).set({ counties: ['640106'] }).where(eq(users.id, u.id));
    const s = await loggedIn(u.username, u.password);
    const body = { username: `csrf-${randomUUID().slice(0, 8)}`, displayName: '测试', role: 'worker', counties: ['640106'] };
    const none = await withSession(s, 'POST', '/v1/users', { csrf: null, payload: body });
    expect(none.statusCode).toBe(403);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.json().detail).toContain('CSRF');
    const wrong = await withSession(s, 'POST', '/v1/users', { csrf: 'x'.repeat(43), payload: body });
    expect(wrong.statusCode).toBe(403);
    // Nothing was created by the refused requests.
    const list = await withSession(s, 'GET', `/v1/users?role=worker&limit=200`, { csrf: null });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((i: { username: string }) => i.username)).not.toContain(body.username);
    const right = await withSession(s, 'POST', '/v1/users', { payload: body });
    expect(right.statusCode).toBe(201);
  });

  it('another session’s CSRF token does not pass', async () => {
    const u = await userWithPassword();
    const a = await loggedIn(u.username, u.password);
    const b = await loggedIn(u.username, u.password);
    expect(a.csrf).not.toBe(b.csrf);
    const res = await withSession(a, 'POST', '/v1/me/password', { csrf: b.csrf, payload: { currentPassword: u.password, newPassword: 'another-password-9' } });
    expect(res.statusCode).toBe(403);
  });

  it('bearer tokens work as before, with no CSRF header, and win over a cookie', async () => {
    const u = await userWithPassword('coordinator');
    const s = await loggedIn(u.username, u.password);
    const other = await makeUser(stack.db, 'worker', { counties: ['640106'] });
    const me = await app.inject({ url: '/v1/me', headers: { ...other.auth, cookie: s.cookie } });
    expect(me.json()).toMatchObject({ id: other.id, authMethod: 'token' });
    expect(me.json().tokenId).toEqual(expect.any(String));
    const post = await app.inject({ method: 'DELETE', url: '/v1/me/token', headers: other.auth });
    expect(post.statusCode).toBe(204);
  });
});

describe('expiry and logout', () => {
  it('an idle session expires after 30 minutes: 401 session-expired, 登录已过期，请重新登录', async () => {
    const u = await userWithPassword();
    const s = await loggedIn(u.username, u.password);
    advance(29);
    expect((await withSession(s, 'GET', '/v1/me')).statusCode).toBe(200);
    advance(31);
    const res = await withSession(s, 'GET', '/v1/me');
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().type).toMatch(/session-expired$/);
    expect(res.json().detail).toBe('登录已过期，请重新登录');
    // The expired row is gone.
    expect(await stack.db.select().from(sessions).where(eq(sessions.userId, u.id))).toHaveLength(0);
  });

  it('use keeps a session alive (sliding) until 12 hours after login, not longer', async () => {
    const u = await userWithPassword();
    const s = await loggedIn(u.username, u.password);
    for (let t = 20; t < 12 * 60; t += 20) {
      advance(20);
      expect((await withSession(s, 'GET', '/v1/me')).statusCode, `after ${t} min`).toBe(200);
    }
    advance(20);
    const res = await withSession(s, 'GET', '/v1/me');
    expect(res.statusCode).toBe(401);
    expect(res.json().type).toMatch(/session-expired$/);
  });

  it('logout: 204, cookies cleared, the session is gone server side; audited', async () => {
    const u = await userWithPassword();
    const s = await loggedIn(u.username, u.password);
    const forged = await withSession(s, 'POST', '/v1/auth/logout', { csrf: null });
    expect(forged.statusCode).toBe(403);
    expect((await withSession(s, 'GET', '/v1/me')).statusCode).toBe(200);
    const out = await withSession(s, 'POST', '/v1/auth/logout');
    expect(out.statusCode).toBe(204);
    const cleared = [out.headers['set-cookie']].flat().map(String);
    expect(cleared.find((c) => c.startsWith('doorstep_session=;'))).toMatch(/Max-Age=0/);
    expect(cleared.find((c) => c.startsWith('doorstep_csrf=;'))).toMatch(/Max-Age=0/);
    expect(await stack.db.select().from(sessions).where(eq(sessions.userId, u.id))).toHaveLength(0);
    const after = await withSession(s, 'GET', '/v1/me');
    expect(after.statusCode).toBe(401);
    expect(after.json().type).toMatch(/session-expired$/);
    // Logging out again (or without a session) is harmless.
    expect((await withSession(s, 'POST', '/v1/auth/logout')).statusCode).toBe(204);
    expect(await auditActions(u.id)).toContain('auth.logout');
  });

  it('DELETE /v1/me/token with a session ends that session (the console’s 注销 through the token route)', async () => {
    const u = await userWithPassword();
    const s = await loggedIn(u.username, u.password);
    const other = await loggedIn(u.username, u.password);
    expect((await withSession(s, 'DELETE', '/v1/me/token', { csrf: null })).statusCode).toBe(403);
    expect((await withSession(s, 'DELETE', '/v1/me/token')).statusCode).toBe(204);
    expect((await withSession(s, 'GET', '/v1/me')).statusCode).toBe(401);
    expect((await withSession(other, 'GET', '/v1/me')).statusCode).toBe(200);
  });

  it('disabling a user ends their sessions', async () => {
    const u = await userWithPassword();
    const s = await loggedIn(u.username, u.password);
    expect((await app.inject({ method: 'PATCH', url: `/v1/users/${u.id}`, headers: admin.auth, payload: { disabled: true } })).statusCode).toBe(200);
    expect((await withSession(s, 'GET', '/v1/me')).statusCode).toBe(401);
    expect(await stack.db.select().from(sessions).where(eq(sessions.userId, u.id))).toHaveLength(0);
  });
});

describe('setting passwords', () => {
  it('a user changes their own password: the current one is checked, the policy applies, other sessions end', async () => {
    const u = await userWithPassword('worker');
    const here = await loggedIn(u.username, u.password);
    const elsewhere = await loggedIn(u.username, u.password);
    const wrong = await withSession(here, 'POST', '/v1/me/password', { payload: { currentPassword: 'not-it-at-all', newPassword: 'brand-new-pass-1' } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().errors[0].path).toBe('body.currentPassword');
    const weak = await withSession(here, 'POST', '/v1/me/password', { payload: { currentPassword: u.password, newPassword: 'short' } });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors[0]).toMatchObject({ path: 'body.newPassword', message: expect.stringContaining('至少 10 个字符') });
    const ok = await withSession(here, 'POST', '/v1/me/password', { payload: { currentPassword: u.password, newPassword: 'brand-new-pass-1' } });
    expect(ok.statusCode).toBe(204);
    expect((await withSession(here, 'GET', '/v1/me')).statusCode).toBe(200);
    expect((await withSession(elsewhere, 'GET', '/v1/me')).statusCode).toBe(401);
    expect((await login(u.username, u.password)).statusCode).toBe(401);
    expect((await login(u.username, 'brand-new-pass-1')).statusCode).toBe(200);
  });

  it('admins set passwords only for users in their scope; the policy is checked', async () => {
    const u = await userWithPassword('worker');
    const s = await loggedIn(u.username, u.password);
    const outsider = await makeUser(stack.db, 'worker', { counties: ['640181'] });
    expect((await app.inject({ method: 'PUT', url: `/v1/users/${outsider.id}/password`, headers: admin.auth, payload: { password: 'some-password-1' } })).statusCode).toBe(404);
    const same = await app.inject({ method: 'PUT', url: `/v1/users/${u.id}/password`, headers: admin.auth, payload: { password: `x${u.username}x` } });
    expect(same.statusCode).toBe(400);
    expect(same.json().errors[0]).toMatchObject({ path: 'body.password', message: '密码不能包含用户名' });
    const coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640106'] });
    expect((await app.inject({ method: 'PUT', url: `/v1/users/${u.id}/password`, headers: coordinator.auth, payload: { password: 'some-password-1' } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'PUT', url: `/v1/users/${u.id}/password`, headers: admin.auth, payload: { password: 'some-password-1' } })).statusCode).toBe(204);
    // The user's sessions ended with the reset.
    expect((await withSession(s, 'GET', '/v1/me')).statusCode).toBe(401);
  });

  it('npm run admin -- set-password <username> reads the password from stdin', async () => {
    const u = await userWithPassword('reviewer');
    const run = (input: string) => spawnSync(process.execPath, ['--import', 'tsx', 'bin/admin.ts', 'set-password', u.username], {
      cwd: resolve(import.meta.dirname, '../..'), input, encoding: 'utf8', timeout: 60_000,
      env: { ...process.env, DATABASE_URL: inject('databaseUrl') },
    });
    const weak = run('aaaaaaaaaaaa\n');
    expect(weak.status).toBe(2);
    expect(weak.stderr).toContain('password refused');
    const ok = run('from-the-command-line-7\n');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`password of ${u.username} set`);
    expect((await login(u.username, 'from-the-command-line-7')).statusCode).toBe(200);
    expect((await login(u.username, u.password)).statusCode).toBe(401);
  }, 90_000);
});
