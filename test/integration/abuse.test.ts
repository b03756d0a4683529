/**
 * Abuse under load (issue 12, point 5), against the real stack:
 * - an Idempotency-Key reused with another request is a 422 naming the key, and the first request stays
 *   applied once; a refused request (4xx) releases its key;
 * - clients that trickle their headers or body are cut off by the server's timeouts while others are served;
 * - a burst of 10× the rate limit from one token leaves other tokens served.
 */
import { connect, type Socket } from 'node:net';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import type { Config } from '../../config';
import { caseEvents, idempotencyKeys } from '../../db/schema';
import { startStack, type TestStack } from '../support/env';
import { makeSubject, makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { shanghaiDate } from '../../domain/calendar';
import { post } from './casesSupport';

const COUNTY = '640121';
let stack: TestStack;
let coordinator: TestUser;
let worker: TestUser;
let otherWorker: TestUser;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  stack = await startStack();
  coordinator = await makeUser(stack.db, 'coordinator', { counties: [COUNTY], departments: ['JUSTICE'] });
  worker = await makeUser(stack.db, 'worker', { counties: [COUNTY], departments: ['JUSTICE'] });
  otherWorker = await makeUser(stack.db, 'worker', { counties: [COUNTY], departments: ['JUSTICE'] });
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await stack?.close();
});

async function openCase(key?: string): Promise<string> {
  const subject = await makeSubject(stack.db, { county: COUNTY });
  const res = await post(stack, coordinator, '/v1/cases', { subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' }, key);
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

describe('the same Idempotency-Key with a different request', () => {
  it('is a 422 with the reason on a step, and the first request stays applied once', async () => {
    const id = await openCase();
    const key = `assign-${id}`;
    const first = await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id }, key);
    expect(first.statusCode).toBe(200);
    const other = await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: otherWorker.id }, key);
    expect(other.statusCode).toBe(422);
    expect(other.headers['content-type']).toContain('application/problem+json');
    expect(other.json()).toMatchObject({ status: 422, errors: [{ path: 'headers.idempotency-key', code: 'idempotency_key_reused' }] });
    expect(other.json().detail).toContain(`POST /v1/cases/${id}/assign`);
    // The same key on another case's step is another request too.
    const elsewhere = await openCase();
    expect((await post(stack, coordinator, `/v1/cases/${elsewhere}/assign`, { assignee: worker.id }, key)).statusCode).toBe(422);
    // The same request again is answered as the first.
    const again = await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id }, key);
    expect(again.statusCode).toBe(200);
    expect(again.json().assignee).toBe(worker.id);
    const events = await stack.db.select().from(caseEvents).where(eq(caseEvents.caseId, id));
    expect(events.filter((e) => e.type === 'assigned')).toHaveLength(1);
    expect(events.find((e) => e.type === 'assigned')?.data).toMatchObject({ assignee: worker.id });
  });

  it('is a 422 when opening a case; key order in the body does not matter', async () => {
    const subject = await makeSubject(stack.db, { county: COUNTY });
    const key = `open-${subject.id}`;
    const body = { subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' };
    expect((await post(stack, coordinator, '/v1/cases', body, key)).statusCode).toBe(201);
    const reordered = await post(stack, coordinator, '/v1/cases', { actionCode: 'CONSULTATION', itemCode: 'LEGAL_AID', subjectId: subject.id }, key);
    expect(reordered.statusCode).toBe(200);
    const changed = await post(stack, coordinator, '/v1/cases', { ...body, greenChannel: true }, key);
    expect(changed.statusCode).toBe(422);
  });

  it('a refused request releases its key: the corrected request may use it', async () => {
    const id = await openCase();
    const key = `hold-${id}`;
    // Not allowed now (no reason given is a 400; a resume before a hold is a 409): nothing applied.
    expect((await post(stack, coordinator, `/v1/cases/${id}/hold`, {}, key)).statusCode).toBe(400);
    expect((await post(stack, coordinator, `/v1/cases/${id}/resume`, {}, key)).statusCode).toBe(409);
    const held = await post(stack, coordinator, `/v1/cases/${id}/hold`, { reason: '住院治疗' }, key);
    expect(held.statusCode).toBe(200);
    expect(held.json().onHold).toBe(true);
    const [row] = await stack.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
    expect(row).toMatchObject({ userId: coordinator.id, method: 'POST', path: `/v1/cases/${id}/hold`, status: 200 });
    // Now answered: the key is bound to that request.
    expect((await post(stack, coordinator, `/v1/cases/${id}/resume`, {}, key)).statusCode).toBe(422);
  });

  it('a plan withdrawal retried after its answer was lost gets that answer again, not a 409', async () => {
    const dpf = await makeUser(stack.db, 'coordinator', { counties: [COUNTY], departments: ['DPF'] });
    const today = shanghaiDate(new Date());
    const child = await makeSubject(stack.db, { county: COUNTY, idNumber: uniqueIdNumber(COUNTY, Number(today.slice(0, 4)) - 3) });
    const plan = await post(stack, dpf, '/v1/plans', {
      subjectId: child.id, itemCode: 'CHILD_REHAB', assessment: { parentsCannotTake: true },
      provider: { type: 'rehabilitation_institution', name: '康复中心' }, startDate: today,
    }, `enrol-${child.id}`);
    expect(plan.statusCode).toBe(201);
    const key = `withdraw-${plan.json().id}`;
    const first = await post(stack, dpf, `/v1/plans/${plan.json().id}/withdraw`, { reason: '家长申请退出' }, key);
    expect(first.statusCode).toBe(200);
    expect(first.json().status.code).toBe('ended');
    // The workflow has ended by now: the retry is answered from its final state.
    const again = await post(stack, dpf, `/v1/plans/${plan.json().id}/withdraw`, { reason: '家长申请退出' }, key);
    expect(again.statusCode).toBe(200);
    expect(again.json().status.code).toBe('ended');
    // Any other withdrawal is refused.
    const other = await post(stack, dpf, `/v1/plans/${plan.json().id}/withdraw`, { reason: '家长申请退出' }, `${key}-other`);
    expect(other.statusCode).toBe(409);
  });

  it('two different requests racing under one key: one applies, the other is a 422', async () => {
    const id = await openCase();
    const key = `race-${id}`;
    const [a, b] = await Promise.all([
      post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id }, key),
      post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: otherWorker.id }, key),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 422]);
    const events = await stack.db.select().from(caseEvents).where(eq(caseEvents.caseId, id));
    expect(events.filter((e) => e.type === 'assigned')).toHaveLength(1);
  });
});

/** An app on the stack with other settings, listening on a real port (timeouts need real sockets). */
async function listening(config: Partial<Config>): Promise<{ app: FastifyInstance; port: number }> {
  const app = await buildApp({ db: stack.db, temporal: stack.client, config: { ...stack.config, ...config } });
  apps.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return { app, port: typeof address === 'object' && address ? address.port : 0 };
}

/** Opens a socket that writes `chunks` one by one, `everyMs` apart; resolves with what the server sent and when it closed. */
function trickle(port: number, chunks: string[], everyMs: number): Promise<{ closedAfterMs: number; received: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let received = '';
    let i = 0;
    const socket: Socket = connect(port, '127.0.0.1');
    const timer = setInterval(() => {
      if (i < chunks.length && !socket.destroyed) socket.write(chunks[i++]);
    }, everyMs);
    socket.on('data', (d) => { received += String(d); });
    socket.on('error', () => {});
    socket.on('close', () => { clearInterval(timer); resolve({ closedAfterMs: Date.now() - started, received }); });
  });
}

describe('a body nested deeper than the fingerprint can read', () => {
  // Found by the fast-check fuzz: a route without a body schema took the body as it came, and the
  // Idempotency-Key's fingerprint of 20,000 nested objects overflowed the stack (500).
  it('is a 400 naming the body, and the token it was sent with still works', async () => {
    const deep = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
    const res = await stack.app.inject({
      method: 'DELETE', url: '/v1/me/token', payload: deep,
      headers: { ...otherWorker.auth, 'idempotency-key': 'deep-body-0001', 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'body', message: 'nested too deeply' }]);
    expect((await stack.app.inject({ url: '/v1/me', headers: otherWorker.auth })).statusCode).toBe(200);
  });
});

describe('slow clients', () => {
  it('headers or a body trickled in are cut off by the timeouts, while other clients are served', async () => {
    const { port } = await listening({ HEADERS_TIMEOUT_MS: 1500, REQUEST_TIMEOUT_MS: 3000 });
    // 40 slow clients: a header line a second (never finishing), or a complete head and a body a byte a second.
    const headerChunks = ['GET /v1/me HTTP/1.1\r\n', 'Host: x\r\n', ...Array.from({ length: 30 }, (_, n) => `X-Slow-${n}: 1\r\n`)];
    const body = JSON.stringify({ reason: '住院治疗' });
    const bodyChunks = [
      `POST /v1/cases/00000000-0000-4000-8000-000000000000/hold HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${coordinator.token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body) + 100}\r\n\r\n`,
      ...Array.from({ length: 60 }, () => ' '),
    ];
    const slow = [
      ...Array.from({ length: 20 }, () => trickle(port, headerChunks, 1000)),
      ...Array.from({ length: 20 }, () => trickle(port, bodyChunks, 1000)),
    ];
    // Meanwhile, ordinary requests are answered promptly.
    const latencies: number[] = [];
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const t0 = Date.now();
      const res = await fetch(`http://127.0.0.1:${port}/v1/me`, { headers: worker.auth });
      expect(res.status).toBe(200);
      latencies.push(Date.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
    const results = await Promise.all(slow);
    for (const [n, r] of results.entries()) {
      // Cut off: the headers within 1.5 s, the whole request within 3 s (+ the 1 s check interval and scheduling).
      expect(r.closedAfterMs, `slow client ${n}`).toBeLessThan(n < 20 ? 4000 : 6000);
      expect(r.received, `slow client ${n}`).toMatch(/^HTTP\/1\.1 408|^$/);
    }
    expect(latencies.length).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(1000);
  });
});

describe('a burst of 10× the rate limit from one token', () => {
  it('is refused with 429 for that token only; other tokens are served', async () => {
    const { port } = await listening({ RATE_LIMIT_PER_MINUTE: 30 });
    const noisy = await makeUser(stack.db, 'worker', { counties: [COUNTY], departments: ['JUSTICE'] });
    const quiet = await Promise.all([1, 2, 3].map(() => makeUser(stack.db, 'worker', { counties: [COUNTY], departments: ['JUSTICE'] })));
    const get = (u: TestUser) => fetch(`http://127.0.0.1:${port}/v1/me`, { headers: u.auth }).then(async (r) => ({ status: r.status, body: await r.text() }));
    const burst = Array.from({ length: 300 }, () => get(noisy));
    const others = await Promise.all(quiet.flatMap((u) => Array.from({ length: 10 }, () => get(u))));
    const noisyResults = await Promise.all(burst);
    expect(noisyResults.filter((r) => r.status === 200)).toHaveLength(30);
    expect(noisyResults.filter((r) => r.status === 429)).toHaveLength(270);
    expect(JSON.parse(noisyResults.find((r) => r.status === 429)!.body)).toMatchObject({ status: 429 });
    expect(others.map((r) => r.status)).toEqual(Array(30).fill(200));
    // And after the burst, too.
    expect((await get(quiet[0])).status).toBe(200);
    expect((await get(noisy)).status).toBe(429);
  });
});
