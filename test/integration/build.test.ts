/**
 * The production build: `bin/build.ts` compiles into a temporary folder, and the compiled API and worker
 * run from it with plain `node` against the run's PostgreSQL and Temporal dev server, with a
 * node_modules that has no tsx at all. Then SIGTERM: an in-flight request still gets its answer, new
 * connections are refused, and each process exits within SHUTDOWN_TIMEOUT_MS (status 1 past it).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { IncomingMessage, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { cases } from '../../db/schema';
import { eventually } from '../support/eventually';
import { testDb } from '../support/env';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { freePort, startProcess, waitUntil, type TestProcess } from '../support/process';

const root = resolve(import.meta.dirname, '../..');
let tmp: string;
let db: Db;
let coordinator: TestUser;
let worker: TestProcess;
let api: TestProcess;
let apiUrl: string;
let buildOutput: string;
const taskQueue = `build-${randomUUID()}`;

/** The environment of a compiled process: only what it is configured by (no NODE_OPTIONS, no loaders). */
function processEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', LOG_LEVEL: 'info',
    DATABASE_URL: inject('databaseUrl'), TEMPORAL_ADDRESS: inject('devServerAddress'), TEMPORAL_TASK_QUEUE: taskQueue,
    METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', FILES_DIR: join(tmp, 'files'), ...extra,
  };
}

async function startApi(extra: Record<string, string> = {}): Promise<{ proc: TestProcess; url: string }> {
  const port = await freePort();
  const proc = startProcess(process.execPath, [join(tmp, 'dist/bin/api.js')], { cwd: tmp, env: processEnv({ API_HOST: '127.0.0.1', API_PORT: String(port), ...extra }) });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil('compiled API listening', async () => (await fetch(`${url}/healthz`)).ok, 60_000, proc);
  return { proc, url };
}

/** A POST whose body is sent in two parts: `finish()` sends the rest; `response` resolves with status and body. */
function slowPost(url: string, path: string, auth: Record<string, string>, payload: unknown) {
  const body = Buffer.from(JSON.stringify(payload));
  const req = request(`${url}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'content-length': String(body.length) } });
  const response = once(req, 'response').then(async ([res]) => {
    if (!(res instanceof IncomingMessage)) throw new Error('no response');
    let text = '';
    for await (const chunk of res) text += String(chunk);
    return { status: res.statusCode, body: text };
  });
  response.catch(() => undefined);
  req.write(body.subarray(0, 10));
  return { response, finish: () => req.end(body.subarray(10)), abort: () => req.destroy() };
}

/** Whether a new TCP connection to the URL's port is refused. */
function refused(url: string): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); ok(false); });
    socket.once('error', (err: NodeJS.ErrnoException) => ok(err.code === 'ECONNREFUSED'));
  });
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'doorstep-build-'));
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'bin/build.ts', join(tmp, 'dist')], { cwd: root, encoding: 'utf8' });
  buildOutput = `${built.stdout}${built.stderr}`;
  if (built.status !== 0) throw new Error(`build failed:\n${buildOutput}`);
  // The packages the compiled code may load: every one of the project's, except tsx.
  mkdirSync(join(tmp, 'node_modules'));
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name !== 'tsx' && name !== '.bin') symlinkSync(join(root, 'node_modules', name), join(tmp, 'node_modules', name));
  }
  db = testDb();
  coordinator = await makeUser(db, 'coordinator', { counties: ['640104'] });
  worker = startProcess(process.execPath, [join(tmp, 'dist/bin/worker.js')], { cwd: tmp, env: processEnv({ SHUTDOWN_TIMEOUT_MS: '10000' }) });
  await waitUntil('compiled worker polling', () => worker.lines.some((l) => l.includes('worker polling')), 60_000, worker);
  ({ proc: api, url: apiUrl } = await startApi());
}, 240_000);

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  await db?.$client.end({ timeout: 5 });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('writes the compiled processes, the migrations, both prebuilt workflow bundles and the console', () => {
    expect(buildOutput).toMatch(/^build: .* in \d+ ms$/m);
    for (const file of ['bin/api.js', 'bin/worker.js', 'bin/migrate.js', 'bin/admin.js', 'workflows.bundle.js', 'workflows-traced.bundle.js', 'db/migrations/0000_init.sql', 'db/migrations/meta/_journal.json', 'web/dist/index.html']) {
      expect(existsSync(join(tmp, 'dist', file)), file).toBe(true);
    }
    expect(readFileSync(join(tmp, 'dist/bin/api.js'), 'utf8')).not.toMatch(/from ["']tsx/);
  });
});

describe('the compiled API and worker', () => {
  it('run with plain node and no tsx installed: healthz, readyz (the worker polls), a case opened end to end', async () => {
    expect(existsSync(join(tmp, 'node_modules/tsx'))).toBe(false);
    for (const p of [api, worker]) expect(readFileSync(`/proc/${p.child.pid}/cmdline`, 'utf8')).not.toContain('tsx');
    expect((await fetch(`${apiUrl}/healthz`)).status).toBe(200);
    // The compiled API serves the console it was built with, and its client-side routes.
    for (const path of ['/', '/cases']) {
      const page = await fetch(`${apiUrl}${path}`);
      expect(page.status, path).toBe(200);
      expect(page.headers.get('content-type'), path).toContain('text/html');
      expect(await page.text()).toBe(readFileSync(join(tmp, 'dist/web/dist/index.html'), 'utf8'));
    }
    const ready = await eventually(async () => { const r = await fetch(`${apiUrl}/readyz`); return r.status === 200 && r; }, 20_000);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: true, temporal: true, workflowWorker: true, activityWorker: true } });

    const subject = await makeSubject(db, { county: '640104' });
    const res = await fetch(`${apiUrl}/v1/cases`, {
      method: 'POST', headers: { ...coordinator.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ subjectId: subject.id, itemCode: 'DISABILITY_CERT', actionCode: 'RENEW' }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    // The compiled worker ran the workflow (from the prebuilt bundle: it never bundled) and its projection.
    const row = await eventually(async () => (await db.select().from(cases).where(eq(cases.id, id)))[0], 30_000);
    expect(row).toMatchObject({ subjectId: subject.id, status: 'open' });
    expect(worker.lines.some((l) => l.includes('Workflow bundle created'))).toBe(false);
  });
});

describe('SIGTERM', () => {
  it('the API answers the request in flight, refuses new connections, and exits 0 within the bound', async () => {
    const { proc, url } = await startApi({ SHUTDOWN_TIMEOUT_MS: '8000' });
    const subject = await makeSubject(db, { county: '640104' });
    const slow = slowPost(url, '/v1/cases', coordinator.auth, { subjectId: subject.id, itemCode: 'DISABILITY_CERT', actionCode: 'RENEW' });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    proc.child.kill('SIGTERM');
    await waitUntil('listener closed', () => refused(url), 5_000);
    expect(proc.child.exitCode).toBeNull(); // still draining: the request has not finished
    slow.finish();
    const answer = await slow.response;
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body)).toMatchObject({ subjectId: subject.id });
    expect(await proc.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(8_000);
  });

  it('the API exits with status 1 when a request is still in flight at SHUTDOWN_TIMEOUT_MS', async () => {
    const { proc, url } = await startApi({ SHUTDOWN_TIMEOUT_MS: '1500' });
    const stuck = slowPost(url, '/v1/cases', coordinator.auth, { subjectId: randomUUID(), itemCode: 'DISABILITY_CERT', actionCode: 'RENEW' });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(1);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1_400);
    expect(took).toBeLessThan(6_000);
    expect(proc.lines.some((l) => l.includes('shutdown did not finish within the bound'))).toBe(true);
    stuck.abort();
  });

  it('the worker stops polling, drains and exits 0 within the bound', async () => {
    const t0 = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(worker.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });
});
