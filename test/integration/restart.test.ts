/**
 * Restart hygiene (issue 12, point 2): `npm run dev` comes back after a power cut without help — a
 * stale postmaster.pid (naming a pid another program now has), a half-written SQLite journal, ports
 * still held by leftovers of the killed run — and says what to do when it cannot (a port held by
 * someone else). Every case opened before is served again and continues.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedDataDir } from '../../db/embedded';
import { portOwner } from '../../processes';
import { devEnv, startDev, type DevRun } from '../support/devStack';
import { freePort } from '../support/process';

const dataDir = mkdtempSync(join(tmpdir(), 'doorstep-restart-'));
const runs: DevRun[] = [];
afterAll(async () => {
  for (const run of runs) await run.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(embeddedDataDir(join(dataDir, 'postgres')), { recursive: true, force: true });
}, 120_000);

const ports = { api: await freePort(), temporal: await freePort(), temporalUi: await freePort(), postgres: await freePort() };
// Both metrics listeners on, as the README's run command has them (the Temporal runtime binds its port before
// the crash recovery looks at ports: that listener is our own, not a leftover).
const env = devEnv(dataDir, ports, { METRICS_PORT: String(await freePort()), TEMPORAL_METRICS_PORT: String(await freePort()) });
const api = `http://127.0.0.1:${ports.api}`;
const auth = (role: string) => ({ authorization: `Bearer demo-${role}-token`, 'content-type': 'application/json' });

function dev(): DevRun {
  const run = startDev(env);
  runs.push(run);
  return run;
}

async function call(method: string, path: string, role: string, body?: unknown, key?: string) {
  const res = await fetch(`${api}${path}`, { method, headers: { ...auth(role), ...(key ? { 'idempotency-key': key } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() as Record<string, any> };
}

describe('npm run dev after a power cut', () => {
  let caseId = '';

  it('comes back with a stale postmaster.pid and a half-written SQLite journal, and serves the same cases', async () => {
    const first = dev();
    await first.ready();
    const opened = await call('POST', '/v1/cases', 'coordinator', { subjectId: 'demo-subject-1', itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' }, 'restart-open-0001');
    expect(opened.status).toBe(201);
    caseId = opened.body.id;
    await first.powerCut();

    const pidFile = join(embeddedDataDir(join(dataDir, 'postgres')), 'postmaster.pid');
    const lines = readFileSync(pidFile, 'utf8').split('\n');
    // After a reboot the pid is someone else's: here, this test's own process (PostgreSQL would refuse to start).
    writeFileSync(pidFile, [String(process.pid), ...lines.slice(1)].join('\n'));
    // A journal the cut left half-written: a header that was never completed.
    writeFileSync(join(dataDir, 'temporal.sqlite-journal'), Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63]));

    const second = dev();
    await second.ready();
    const got = await call('GET', `/v1/cases/${caseId}`, 'coordinator');
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: caseId, status: { code: 'open' } });
    expect(second.lines.join('\n')).toContain('stale postmaster.pid');
    // The case goes on.
    const held = await call('POST', `/v1/cases/${caseId}/hold`, 'coordinator', { reason: '住院治疗' }, 'restart-hold-0001');
    expect(held.status).toBe(200);
    expect(held.body.onHold).toBe(true);
    await second.powerCut();
  }, 400_000);

  it('stops the leftovers of a run whose main process died (ports still held) and comes back', async () => {
    const third = dev();
    await third.ready();
    // Only the node process dies: the Temporal dev server and PostgreSQL are left running, holding their ports.
    const node = portOwner(ports.api)!;
    expect(node.command).toContain('bin/dev.ts');
    process.kill(node.pid, 'SIGKILL');
    await third.exited;
    expect(portOwner(ports.temporal)).toBeDefined();

    const fourth = dev();
    await fourth.ready();
    expect(fourth.lines.join('\n')).toMatch(/leftover process of an earlier run|PostgreSQL left running/);
    const got = await call('GET', `/v1/cases/${caseId}`, 'coordinator');
    expect(got.status).toBe(200);
    expect(got.body.onHold).toBe(true);
    await fourth.stop();
  }, 400_000);

  it('says what to do when a port is held by another program', async () => {
    const squatter = createServer().listen(ports.api, '127.0.0.1');
    try {
      const fifth = dev();
      const code = await fifth.exited;
      expect(code).not.toBe(0);
      const out = fifth.lines.join('\n');
      expect(out).toContain(`port ${ports.api} is in use by pid ${process.pid}`);
      expect(out).toContain('API_PORT=<port> npm run dev');
    } finally {
      squatter.close();
    }
  }, 120_000);
});
