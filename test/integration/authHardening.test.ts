import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { maskIdNumber, maskPhone, revealPersonalData } from '../../api/audit';
import { currentUser } from '../../api/auth';
import type { Config } from '../../config';
import { makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';

let stack: TestStack;
let admin: TestUser;
const apps: FastifyInstance[] = [];
beforeAll(async () => {
  stack = await startStack();
  admin = await makeUser(stack.db, 'admin', { cityLevel: true });
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await stack?.close();
});

/** Another app on the same stack with some configuration changed (the app is not ready yet: tests may add routes). */
async function appWith(config: Partial<Config>): Promise<FastifyInstance> {
  const app = await buildApp({ db: stack.db, temporal: stack.client, config: { ...stack.config, ...config } });
  apps.push(app);
  return app;
}

const isProblem = (res: { headers: Record<string, unknown> }) => String(res.headers['content-type']).includes('application/problem+json');

describe('security headers', () => {
  it('every response carries them, errors included', async () => {
    for (const res of [
      await stack.app.inject('/healthz'),
      await stack.app.inject('/v1/me'),
      await stack.app.inject({ url: '/v1/me', headers: admin.auth }),
      await stack.app.inject('/nope'),
    ]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['strict-transport-security']).toContain('max-age=');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });
});

describe('CORS', () => {
  it('is off unless configured: no Access-Control headers for any origin', async () => {
    const pre = await stack.app.inject({ method: 'OPTIONS', url: '/v1/me', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const get = await stack.app.inject({ url: '/v1/me', headers: { ...admin.auth, origin: 'https://evil.example' } });
    expect(get.statusCode).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('CORS_ORIGINS admits exactly the configured origins', async () => {
    const app = await appWith({ CORS_ORIGINS: 'https://console.example, https://other.example/' });
    const ok = await app.inject({ method: 'OPTIONS', url: '/v1/me', headers: { origin: 'https://console.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://console.example');
    const other = await app.inject({ method: 'OPTIONS', url: '/v1/me', headers: { origin: 'https://other.example', 'access-control-request-method': 'GET' } });
    expect(other.headers['access-control-allow-origin']).toBe('https://other.example');
    const evil = await app.inject({ method: 'OPTIONS', url: '/v1/me', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('the codec endpoint admits the Temporal UI origin (with credentials), and no other', async () => {
    const app = await appWith({ TEMPORAL_UI_URL: 'http://127.0.0.1:8233/namespaces/default' });
    const pre = await app.inject({
      method: 'OPTIONS', url: '/codec/decode',
      headers: { origin: 'http://127.0.0.1:8233', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('http://127.0.0.1:8233');
    expect(pre.headers['access-control-allow-credentials']).toBe('true');
    expect(String(pre.headers['access-control-allow-headers']).toLowerCase()).toContain('x-namespace');
    const evil = await app.inject({ method: 'OPTIONS', url: '/codec/decode', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    // The API itself stays closed to the UI's origin.
    const api = await app.inject({ url: '/v1/me', headers: { ...admin.auth, origin: 'http://127.0.0.1:8233' } });
    expect(api.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('rate limits', () => {
  it('counts per token: the fourth request of a token over a limit of 3 is 429 problem+json; another token is unaffected', async () => {
    const app = await appWith({ RATE_LIMIT_PER_MINUTE: 3 });
    const a = await makeUser(stack.db, 'worker', { counties: ['640104'] });
    const b = await makeUser(stack.db, 'worker', { counties: ['640104'] });
    for (let i = 0; i < 3; i++) expect((await app.inject({ url: '/v1/me', headers: a.auth })).statusCode).toBe(200);
    const limited = await app.inject({ url: '/v1/me', headers: a.auth });
    expect(limited.statusCode).toBe(429);
    expect(isProblem(limited)).toBe(true);
    expect(limited.json()).toMatchObject({ status: 429, title: expect.stringContaining('Too Many Requests') });
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await app.inject({ url: '/v1/me', headers: b.auth })).statusCode).toBe(200);
    // Health checks are never limited.
    for (let i = 0; i < 5; i++) expect((await app.inject('/healthz')).statusCode).toBe(200);
  });

  it('without a valid token, counts per IP address', async () => {
    const app = await appWith({ RATE_LIMIT_PER_MINUTE: 2 });
    const from = (ip: string) => app.inject({ url: '/docs/json', remoteAddress: ip });
    expect((await from('10.9.0.1')).statusCode).toBe(200);
    expect((await from('10.9.0.1')).statusCode).toBe(200);
    expect((await from('10.9.0.1')).statusCode).toBe(429);
    expect((await from('10.9.0.2')).statusCode).toBe(200);
  });
});

describe('body size and error hygiene', () => {
  it('a body over BODY_LIMIT_BYTES is 413 problem+json', async () => {
    const app = await appWith({ BODY_LIMIT_BYTES: 1024 });
    const res = await app.inject({
      method: 'POST', url: '/v1/users', headers: { ...admin.auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ username: 'big', displayName: 'x'.repeat(5000), role: 'worker', counties: ['640104'] }),
    });
    expect(res.statusCode).toBe(413);
    expect(isProblem(res)).toBe(true);
  });

  it('a wrong content type is 415 and malformed JSON is 400, both problem+json', async () => {
    const ct = await stack.app.inject({ method: 'POST', url: '/v1/users', headers: { ...admin.auth, 'content-type': 'text/xml' }, payload: '<user/>' });
    expect(ct.statusCode).toBe(415);
    expect(isProblem(ct)).toBe(true);
    const json = await stack.app.inject({ method: 'POST', url: '/v1/users', headers: { ...admin.auth, 'content-type': 'application/json' }, payload: '{"username": ' });
    expect(json.statusCode).toBe(400);
    expect(isProblem(json)).toBe(true);
  });

  it('a NUL character anywhere in the input is a 400 naming the field (PostgreSQL cannot store it)', async () => {
    const res = await stack.app.inject({ method: 'PATCH', url: `/v1/users/${admin.id}`, headers: admin.auth, payload: { displayName: 'a\u0000b' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('body.displayName');
    const inParam = await stack.app.inject({ url: '/v1/users/a%00b', headers: admin.auth });
    expect(inParam.statusCode).toBe(400);
    expect(inParam.json().errors[0].path).toBe('params.id');
  });

  it('an over-long path parameter is 414 problem+json', async () => {
    const res = await stack.app.inject({ url: `/v1/users/${'x'.repeat(500)}`, headers: admin.auth });
    expect(res.statusCode).toBe(414);
    expect(isProblem(res)).toBe(true);
  });

  it('a 500 shows neither the stack trace nor SQL nor the message, only a request id', async () => {
    const app = await appWith({});
    app.get('/v1/test-boom', async () => { throw new Error('boom at select id_number from subjects'); });
    app.get('/v1/test-sql', async () => stack.db.execute(sql`select id_number from no_such_table where id_number = ${'640104195803121228'}`));
    for (const url of ['/v1/test-boom', '/v1/test-sql']) {
      const res = await app.inject({ url, headers: admin.auth });
      expect(res.statusCode).toBe(500);
      expect(isProblem(res)).toBe(true);
      const body = res.body;
      for (const leak of ['select', 'id_number', 'no_such_table', '640104', 'Error:', 'boom', ' at ', '.ts:', 'stack']) expect(body).not.toContain(leak);
      expect(res.json().detail).toMatch(/请求编号 [0-9a-f-]{36}/);
    }
  });
});

describe('personal data masking (revealPersonalData)', () => {
  it('masks by default, 403 for roles that may never unmask, unmasks and audits for the others', async () => {
    const app = await appWith({});
    const idNumber = uniqueIdNumber('640104');
    const resourceId = randomUUID();
    app.get('/v1/test-person', async (request) => {
      const user = currentUser(request);
      const reveal = await revealPersonalData(stack.db, request, user, { type: 'subjects', id: resourceId });
      return { idNumber: reveal ? idNumber : maskIdNumber(idNumber), phone: reveal ? '13912345678' : maskPhone('13912345678') };
    });
    const ids = [randomUUID(), randomUUID()];
    app.get('/v1/test-people', async (request) => {
      const reveal = await revealPersonalData(stack.db, request, currentUser(request), { type: 'subjects', ids });
      return { unmasked: reveal };
    });
    const coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
    const supervisor = await makeUser(stack.db, 'supervisor', { cityLevel: true });

    const masked = await app.inject({ url: '/v1/test-person', headers: coordinator.auth });
    expect(masked.json()).toEqual({ idNumber: `${idNumber.slice(0, 6)}********${idNumber.slice(-4)}`, phone: '139****5678' });
    const denied = await app.inject({ url: '/v1/test-person?unmask=true', headers: supervisor.auth });
    expect(denied.statusCode).toBe(403);
    expect(denied.body).not.toContain(idNumber);
    const shown = await app.inject({ url: '/v1/test-person?unmask=true', headers: coordinator.auth, remoteAddress: '10.7.7.7' });
    expect(shown.json()).toEqual({ idNumber, phone: '13912345678' });

    // A list of several people: coordinators may unmask it (audited with the ids), workers only one at a time.
    const worker = await makeUser(stack.db, 'worker', { counties: ['640104'] });
    expect((await app.inject({ url: '/v1/test-people?unmask=true', headers: worker.auth })).statusCode).toBe(403);
    expect((await app.inject({ url: '/v1/test-person?unmask=true', headers: worker.auth })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/test-people?unmask=true', headers: coordinator.auth })).json()).toEqual({ unmasked: true });
    const bulk = await stack.app.inject({ url: `/v1/audit?userId=${coordinator.id}&action=personal_data.read`, headers: admin.auth });
    expect(bulk.json().items[0].detail).toMatchObject({ ids, count: 2 });

    const log = await stack.app.inject({ url: `/v1/audit?resourceId=${resourceId}&userId=${coordinator.id}`, headers: admin.auth });
    expect(log.json().items).toEqual([expect.objectContaining({
      userId: coordinator.id, action: 'personal_data.read', resourceType: 'subjects', resourceId, ip: '10.7.7.7',
    })]);
  });
});
