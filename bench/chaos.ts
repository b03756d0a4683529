/**
 * The fault-injection suite (`npm run chaos`; a small version in test/integration/chaos.test.ts).
 *
 * Simulated users drive cases and plans through random lifecycles over HTTP; every request carries an
 * Idempotency-Key and is retried with it until it gets an answer, as a careful client does. Meanwhile,
 * at fixed points of the load's progress, faults are injected:
 *
 *   phase A — the API (bin/api.ts) and the worker (bin/worker.ts) as separate processes, over a
 *   PostgreSQL and a Temporal dev server this driver owns (the embedded PostgreSQL in DATA_DIR: never
 *   the machine's shared server):
 *     worker-kill        SIGKILL of the worker, then it is started again;
 *     api-kill           SIGKILL of the API in the middle of requests, then it is started again;
 *     temporal-restart   the dev server killed and started again on the same SQLite file;
 *     pg-terminate       pg_terminate_backend of every pool connection (API's and worker's) mid-projection;
 *     pg-restart         PostgreSQL stopped and started again;
 *   phase B — the same data folder under `npm run dev` (the README's run command):
 *     power-cut          SIGKILL of npm run dev's whole process group, then the command again.
 *
 * When the load is done (and the projections have caught up), it checks: every case and plan is in the
 * state its accepted requests imply; none is lost; no event, ledger row, evidence link or plan session
 * is duplicated; the read model equals each workflow's own state field by field (activities/reconcile.ts's
 * comparison); every request answered 2xx was applied exactly once (its update id is on exactly one event).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { diffCase, diffPlan } from '../activities/reconcile';
import { startEmbeddedPostgres, embeddedDataDir, type EmbeddedHandle } from '../db/embedded';
import { connectClient } from '../temporal/client';
import { generatePayloadKey } from '../temporal/codec';
import { startDevServer, type RunningServer } from '../temporal/devServer';
import { shanghaiDate } from '../domain/calendar';
import { caseWorkflowId, getCaseStateQuery, SEARCH_ATTRIBUTE_KEYS, type CaseState } from '../workflows/contract';
import { getPlanStateQuery, planWorkflowId, type PlanState } from '../workflows/planContract';
import { createDb, closeDb, type Db } from '../db/client';
import { makeSubject, makeUser, uniqueIdNumber, type TestUser } from '../test/support/fixtures';
import { devEnv, startDev, type DevRun, PROJECT_ROOT } from '../test/support/devStack';
import { freePort } from '../test/support/process';
import { runMigrations } from '../db/migrate';

export const A_FAULTS = ['worker-kill', 'api-kill', 'temporal-restart', 'pg-terminate', 'pg-restart'] as const;
export type Fault = (typeof A_FAULTS)[number] | 'power-cut';

export interface ChaosOptions {
  cases: number;
  plans: number;
  /** Simulated users working at once. */
  users: number;
  /** How many times each phase-A fault is injected (in rounds), and how many power cuts. */
  rounds: number;
  powerCuts: number;
  seed: number;
  log?: (msg: string) => void;
  /** Keep the data folder (for a post-mortem). */
  keep?: boolean;
}

export interface ChaosReport {
  options: Omit<ChaosOptions, 'log'>;
  faults: Record<Fault, number>;
  /** Requests in flight when the API was killed (summed over the kills). */
  inFlightAtApiKill: number;
  terminatedBackends: number;
  requests: number;
  retries: number;
  /** Attempts answered 500 (never expected: a client never causes one) and 5xx in all. */
  answered500: number;
  answered5xx: number;
  unanswered: number;
  refused: number;
  /** API or worker processes that died by themselves (restarted, as a supervisor would). */
  crashes: number;
  /** Deaths of the API or worker from the postgres.js nextWrite bug (see isDriverNextWriteCrash), restarted. */
  driverCrashes: number;
  cases: number;
  plans: number;
  lost: number;
  duplicated: number;
  mismatches: number;
  wrongState: number;
  notAppliedOnce: number;
  problems: string[];
  seconds: number;
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node child running a bin/ entry point, its last output kept. */
interface NodeChild { child: ChildProcess; lines: string[]; exited: Promise<unknown>; killing: boolean }
/** Children still running, killed if this process exits first (a test timed out, Ctrl-C). */
const children = new Set<ChildProcess>();
process.once('exit', () => { for (const c of children) c.kill('SIGKILL'); });
function spawnBin(script: string, env: NodeJS.ProcessEnv, onCrash: (p: NodeChild, code: unknown) => void): NodeChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines: string[] = [];
  const keep = (d: Buffer) => { for (const l of String(d).split('\n')) if (l) { lines.push(l); if (lines.length > 200) lines.shift(); } };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const p: NodeChild = { child, lines, exited: once(child, 'exit'), killing: false };
  child.once('exit', (code, signal) => { children.delete(child); if (!p.killing) onCrash(p, code ?? signal); });
  return p;
}

async function waitHttp(url: string, ms: number, what: string, lines?: string[]): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch { /* not yet */ }
    await sleep(200);
  }
  throw new Error(`${what} did not answer at ${url} within ${ms} ms\n${lines?.slice(-20).join('\n') ?? ''}`);
}

/** One logical request of a simulated user, retried with its key until answered. */
interface Sent { kind: string; userId: string; key: string; status: number; body: any; attempts: number }

/** The answers a careful client treats as "not answered yet": retry with the same key. */
const RETRY = (status: number) => status === 0 || status === 429 || status >= 500;

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? (() => {});
  const started = Date.now();
  const rand = prng(opts.seed);
  const dataDir = mkdtempSync(join(tmpdir(), 'doorstep-chaos-'));
  const ports = { api: await freePort(), temporal: await freePort(), temporalUi: await freePort(), postgres: await freePort() };
  const payloadKeys = generatePayloadKey('chaos1');
  writeFileSync(join(dataDir, 'payload-keys'), `${payloadKeys}\n`, { mode: 0o600 });
  const filesDir = join(dataDir, 'files');
  mkdirSync(filesDir, { recursive: true });
  const pgDir = join(dataDir, 'postgres');
  const dbUrl = `postgres://postgres:postgres@127.0.0.1:${ports.postgres}/doorstep`;
  const temporalAddress = `127.0.0.1:${ports.temporal}`;
  const api = `http://127.0.0.1:${ports.api}`;
  const common = {
    PAYLOAD_KEYS: payloadKeys, FILES_DIR: filesDir, RATE_LIMIT_PER_MINUTE: '1000000', AUTH_FAILURES_PER_MINUTE: '100000', UPDATE_TIMEOUT_MS: '8000',
    LOG_LEVEL: 'warn', METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', DEMO_DATA: 'false', SHUTDOWN_TIMEOUT_MS: '5000',
  };
  const splitEnv: NodeJS.ProcessEnv = { ...process.env, ...common, DATABASE_URL: dbUrl, TEMPORAL_ADDRESS: temporalAddress, API_PORT: String(ports.api), DATA_DIR: dataDir };
  delete splitEnv.NODE_OPTIONS;
  for (const k of Object.keys(splitEnv)) if (k.startsWith('VITEST')) delete splitEnv[k];

  const report: ChaosReport = {
    options: { ...opts, log: undefined } as ChaosReport['options'],
    faults: { 'worker-kill': 0, 'api-kill': 0, 'temporal-restart': 0, 'pg-terminate': 0, 'pg-restart': 0, 'power-cut': 0 },
    inFlightAtApiKill: 0, terminatedBackends: 0, requests: 0, retries: 0, answered500: 0, answered5xx: 0, unanswered: 0, refused: 0, crashes: 0, driverCrashes: 0,
    cases: 0, plans: 0, lost: 0, duplicated: 0, mismatches: 0, wrongState: 0, notAppliedOnce: 0, problems: [], seconds: 0,
  };
  const problem = (p: string) => { if (report.problems.length < 50) report.problems.push(p); };

  // ---- phase A: processes this driver owns ----
  let pg: EmbeddedHandle | undefined;
  let temporalServer: RunningServer | undefined;
  let apiProc: NodeChild | undefined;
  let workerProc: NodeChild | undefined;
  let dev: DevRun | undefined;
  const startTemporal = async () => {
    temporalServer = await startDevServer({ dbFile: join(dataDir, 'temporal.sqlite'), port: ports.temporal, searchAttributes: SEARCH_ATTRIBUTE_KEYS });
  };
  /** A process that died by itself: reported (never expected) and started again, as a supervisor would. */
  const crashed = (what: string, restart: () => unknown) => (p: NodeChild, code: unknown) => {
    if (isDriverNextWriteCrash(p.lines)) {
      // postgres.js 3.4.9 writes to a socket its backend's termination already closed, from a setImmediate
      // (porsager/postgres#1154, #1208; no fix released): an uncaught TypeError no code of ours can catch.
      // Counted apart and restarted, as production's supervisor does; anything else is a crash.
      report.driverCrashes += 1;
      log(`  ! ${what} died of the postgres.js nextWrite bug (porsager/postgres#1208); restarting it`);
      if (!switched) void Promise.resolve(restart()).catch(() => {});
      return;
    }
    report.crashes += 1;
    problem(`${what} exited by itself (${String(code)}): ${p.lines.slice(-8).join(' | ').slice(0, 1500)}`);
    log(`  ! ${what} exited by itself (${String(code)}); last lines:\n${p.lines.slice(-15).join('\n')}`);
    if (!switched) void Promise.resolve(restart()).catch(() => {});
  };
  const startApi = async () => {
    apiProc = spawnBin('bin/api.ts', splitEnv, crashed('the API', () => startApi()));
    await waitHttp(`${api}/healthz`, 120_000, 'the API', apiProc.lines);
  };
  const startWorker = () => { workerProc = spawnBin('bin/worker.ts', splitEnv, crashed('the worker', () => startWorker())); };
  const kill = async (p: NodeChild | undefined) => {
    if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.killing = true;
    p.child.kill('SIGKILL');
    await p.exited;
  };

  let db: Db | undefined;
  let switched = false;
  try {
    log(`data folder ${dataDir}; API ${api}; Temporal ${temporalAddress}; PostgreSQL :${ports.postgres}`);
    pg = await startEmbeddedPostgres(pgDir, ports.postgres);
    await runMigrations(dbUrl);
    await startTemporal();
    startWorker();
    await startApi();
    db = createDb(dbUrl, { max: 4 });

    // ---- people and subjects (written directly: the load is what goes over HTTP) ----
    const scope = { counties: ['640104'], departments: ['DPF'] };
    const coordinators = await Promise.all([1, 2].map(() => makeUser(db!, 'coordinator', scope)));
    const reviewer = await makeUser(db, 'reviewer', scope);
    const workers = await Promise.all(Array.from({ length: 6 }, () => makeUser(db!, 'worker', scope)));
    const adults: Array<{ id: string }> = [];
    for (let i = 0; i < opts.cases; i++) adults.push(await makeSubject(db, { county: '640104' }));
    const thisYear = Number(shanghaiDate(new Date()).slice(0, 4));
    const children: Array<{ id: string }> = [];
    for (let i = 0; i < opts.plans; i++) children.push(await makeSubject(db, { county: '640104', idNumber: uniqueIdNumber('640104', thisYear - 3) }));
    log(`${adults.length} subjects for cases, ${children.length} children for plans, ${workers.length} workers`);

    // ---- the load ----
    let inFlight = 0;
    const sent: Sent[] = [];
    const send = async (user: TestUser, kind: string, method: string, path: string, key: string, body?: unknown, form?: () => FormData): Promise<Sent> => {
      const s: Sent = { kind, userId: user.id, key, status: 0, body: undefined, attempts: 0 };
      sent.push(s);
      report.requests += 1;
      const deadline = Date.now() + 10 * 60_000;
      for (let delay = 200; ; delay = Math.min(delay * 2, 3000)) {
        s.attempts += 1;
        inFlight += 1;
        try {
          const res = await fetch(`${api}${path}`, {
            method,
            headers: { authorization: `Bearer ${user.token}`, 'idempotency-key': key, ...(body === undefined || form ? {} : { 'content-type': 'application/json' }) },
            body: form ? form() : body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(60_000),
          });
          s.status = res.status;
          const text = await res.text();
          try { s.body = text ? JSON.parse(text) : undefined; } catch { s.body = text; }
        } catch {
          s.status = 0;
        } finally {
          inFlight -= 1;
        }
        if (s.status >= 500) report.answered5xx += 1;
        if (s.status === 500) { report.answered500 += 1; problem(`500 on ${method} ${path}: ${JSON.stringify(s.body).slice(0, 200)}`); }
        if (!RETRY(s.status)) break;
        if (Date.now() > deadline) { report.unanswered += 1; problem(`${method} ${path} unanswered after ${s.attempts} attempts`); break; }
        report.retries += 1;
        await sleep(delay);
      }
      if (s.status >= 400 && !RETRY(s.status)) { report.refused += 1; problem(`${method} ${path} (${kind}) → ${s.status}: ${String(s.body?.detail ?? '').slice(0, 160)}`); }
      return s;
    };
    const ok = (s: Sent) => s.status >= 200 && s.status < 300;

    interface CaseTrack { id?: string; subjectId: string; steps: Sent[]; uploads: string[]; last?: Sent; script: string }
    interface PlanTrack { id?: string; subjectId: string; sessions: Sent[]; withdrawn?: Sent; last?: Sent }
    const caseTracks: CaseTrack[] = [];
    const planTracks: PlanTrack[] = [];
    const evidenceBytes = (kind: 'photo' | 'document' | 'signature') => kind === 'photo'
      ? { type: 'image/jpeg', name: 'visit.jpg', bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2048)]) }
      : kind === 'document' ? { type: 'application/pdf', name: 'app.pdf', bytes: Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(2048)]) }
        : { type: 'image/png', name: 'sig.png', bytes: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(2048)]) };

    const runCase = async (i: number) => {
      const r = rand();
      const script = r < 0.5 ? 'close' : r < 0.65 ? 'hold-close' : r < 0.8 ? 'cancel' : 'partial';
      const t: CaseTrack = { subjectId: adults[i].id, steps: [], uploads: [], script };
      caseTracks.push(t);
      const coordinator = coordinators[i % coordinators.length];
      const worker = workers[i % workers.length];
      const key = (step: string) => `chaos-${opts.seed}-case-${i}-${step}`;
      const open = await send(coordinator, 'open', 'POST', '/v1/cases', key('open'), { subjectId: t.subjectId, itemCode: 'DISABILITY_CERT', actionCode: 'RENEW' });
      if (!ok(open)) return;
      t.id = open.body.id;
      t.last = open;
      const step = async (user: TestUser, name: string, path: string, body: unknown) => {
        const s = await send(user, name, 'POST', `/v1/cases/${t.id}/${path}`, key(name), body);
        if (ok(s)) { t.steps.push(s); t.last = s; }
        return ok(s);
      };
      if (!(await step(coordinator, 'assign', 'assign', { assignee: worker.id }))) return;
      if (script === 'cancel') { await step(coordinator, 'cancel', 'cancel', { reason: 'moved_away', detail: '迁往外地' }); return; }
      if (!(await step(worker, 'schedule', 'schedule-visit', { scheduledAt: new Date(Date.now() + 86_400_000).toISOString() }))) return;
      if (script === 'partial') return;
      if (script === 'hold-close') {
        if (!(await step(coordinator, 'hold', 'hold', { reason: '住院治疗' }))) return;
        if (!(await step(coordinator, 'resume', 'resume', {}))) return;
      }
      const evidence: Array<{ sha256: string; kind: string }> = [];
      for (const kind of ['photo', 'document', 'signature'] as const) {
        const f = evidenceBytes(kind);
        const up = await send(worker, `upload-${kind}`, 'POST', `/v1/cases/${t.id}/evidence`, key(`upload-${kind}`), undefined, () => {
          const form = new FormData();
          form.append('file', new Blob([f.bytes], { type: f.type }), f.name);
          return form;
        });
        if (!ok(up)) return;
        t.uploads.push(up.body.sha256);
        evidence.push({ sha256: up.body.sha256, kind });
      }
      if (!(await step(worker, 'visit', 'visit-report', { outcome: 'done', evidence }))) return;
      if (!(await step(reviewer, 'review', 'review', { decision: 'approve' }))) return;
      if (!(await step(worker, 'deliver', 'deliver', { method: 'post' }))) return;
      await step(worker, 'receipt', 'confirm-receipt', {});
    };

    const runPlan = async (i: number) => {
      const t: PlanTrack = { subjectId: children[i].id, sessions: [] };
      planTracks.push(t);
      const coordinator = coordinators[i % coordinators.length];
      const worker = workers[i % workers.length];
      const key = (step: string) => `chaos-${opts.seed}-plan-${i}-${step}`;
      const today = shanghaiDate(new Date());
      const enrol = await send(coordinator, 'enrol', 'POST', '/v1/plans', key('enrol'), {
        subjectId: t.subjectId, itemCode: 'CHILD_REHAB', assessment: { parentsCannotTake: true },
        provider: { type: 'rehabilitation_institution', name: '银川市残疾儿童康复中心' }, startDate: today,
      });
      if (!ok(enrol)) return;
      t.id = enrol.body.id;
      t.last = enrol;
      const sessions = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < sessions; k++) {
        const s = await send(worker, 'session', 'POST', `/v1/plans/${t.id}/sessions`, key(`session-${k}`), { date: today, units: 60, providerStaff: `康复师${k + 1}号`, content: '上门康复训练' });
        if (!ok(s)) return;
        t.sessions.push(s);
      }
      if (rand() < 0.3) {
        const w = await send(coordinator, 'withdraw', 'POST', `/v1/plans/${t.id}/withdraw`, key('withdraw'), { reason: '家长申请退出' });
        if (ok(w)) { t.withdrawn = w; t.last = w; }
      }
    };

    const work: Array<() => Promise<void>> = [
      ...Array.from({ length: opts.cases }, (_, i) => () => runCase(i)),
      ...Array.from({ length: opts.plans }, (_, i) => () => runPlan(i)),
    ];
    // Plans spread among the cases.
    for (let i = work.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [work[i], work[j]] = [work[j], work[i]]; }
    let next = 0;
    let done = 0;
    const loadDone = Promise.all(Array.from({ length: opts.users }, async () => {
      while (next < work.length) { await work[next++](); done += 1; }
    }));

    // ---- the faults, at fixed points of the load's progress ----
    const plan: Fault[] = [];
    for (let r = 0; r < opts.rounds; r++) plan.push(...A_FAULTS);
    plan.push(...Array.from({ length: opts.powerCuts }, () => 'power-cut' as const));
    const inject = async (fault: Fault) => {
      const t0 = Date.now();
      switch (fault) {
        case 'worker-kill':
          await kill(workerProc);
          startWorker();
          break;
        case 'api-kill':
          report.inFlightAtApiKill += inFlight;
          await kill(apiProc);
          await startApi();
          break;
        case 'temporal-restart':
          temporalServer!.process.kill('SIGKILL');
          await once(temporalServer!.process, 'exit').catch(() => {});
          await startTemporal();
          break;
        case 'pg-terminate': {
          const admin = postgres(dbUrl, { max: 1, onnotice: () => {} });
          try {
            const rows = await admin`select pg_terminate_backend(pid) as t from pg_stat_activity where datname = 'doorstep' and pid <> pg_backend_pid() and backend_type = 'client backend'`;
            report.terminatedBackends += rows.filter((r) => r.t).length;
          } finally {
            await admin.end({ timeout: 1 });
          }
          break;
        }
        case 'pg-restart':
          await pg!.stop();
          pg = await startEmbeddedPostgres(pgDir, ports.postgres);
          break;
        case 'power-cut':
          if (!switched) {
            // Hand the data folder to npm run dev: phase A's processes go (as in a crash), the README's command starts.
            switched = true;
            await kill(apiProc);
            await kill(workerProc);
            temporalServer!.process.kill('SIGKILL');
            await pg!.stop();
            pg = undefined;
            dev = startDev(devEnv(dataDir, ports, { ...common, LOG_LEVEL: 'warn' }));
            await dev.ready(300_000);
            log('  now under npm run dev');
            await sleep(3000);
          }
          await dev!.powerCut();
          dev = startDev(devEnv(dataDir, ports, { ...common, LOG_LEVEL: 'warn' }));
          await dev.ready(300_000);
          break;
      }
      report.faults[fault] += 1;
      log(`  fault ${fault} at ${done}/${work.length} (${((Date.now() - t0) / 1000).toFixed(1)} s to recover)`);
    };
    for (const [n, fault] of plan.entries()) {
      const at = Math.floor(((n + 1) * work.length) / (plan.length + 1));
      while (done < at && next < work.length) await sleep(100);
      await inject(fault);
    }
    await loadDone;
    log(`load done: ${report.requests} requests, ${report.retries} retries, ${report.refused} refused`);

    // ---- the checks ----
    await closeDb(db);
    db = createDb(dbUrl, { max: 4 });
    const temporal = await connectClient({ address: temporalAddress, namespace: 'default', payloadKeys });
    try {
      report.cases = caseTracks.filter((t) => t.id).length;
      report.plans = planTracks.filter((t) => t.id).length;
      const sql = db.$client;
      /** Read model vs workflow, given time to settle (projections retrying after an outage catch up). */
      const settle = async <S>(read: () => Promise<S>, diff: (s: S) => Promise<unknown[]>): Promise<{ state?: S; diffs: unknown[] }> => {
        let last: { state?: S; diffs: unknown[] } = { diffs: ['unread'] };
        for (let attempt = 0; attempt < 40; attempt++) {
          try {
            const state = await read();
            last = { state, diffs: await diff(state) };
            if (last.diffs.length === 0) return last;
          } catch (e) {
            last = { diffs: [(e as Error).message] };
          }
          await sleep(3000);
        }
        return last;
      };
      for (const t of caseTracks) {
        if (!t.id) { report.lost += 1; problem(`a case was never opened (subject ${t.subjectId})`); continue; }
        const handle = temporal.workflow.getHandle(caseWorkflowId(t.id));
        const { state, diffs } = await settle(() => handle.query(getCaseStateQuery), (s: CaseState) => diffCase(db!, s));
        if (!state) { report.lost += 1; problem(`case ${t.id}: workflow unreadable (${String(diffs[0])})`); continue; }
        if (diffs.length > 0) { report.mismatches += diffs.length; problem(`case ${t.id}: read model differs ${JSON.stringify(diffs.slice(0, 3))}`); }
        const want = t.last!.body;
        if (state.status !== want.status?.code || state.step !== want.step?.code) {
          report.wrongState += 1;
          problem(`case ${t.id} (${t.script}): ${state.status}/${state.step}, its accepted requests imply ${want.status?.code}/${want.step?.code}`);
        }
        // Exactly once: each accepted step's update id is on one transition — its first event's type appears once
        // (a transition may append several events, each carrying the update id; applied twice, its type would repeat).
        for (const s of t.steps) {
          const mine = state.events.filter((e) => e.data?.updateId === `${s.userId}:${s.key}`);
          const n = mine.filter((e) => e.type === mine[0]?.type).length;
          if (n !== 1) { report.notAppliedOnce += 1; if (n > 1) report.duplicated += n - 1; problem(`case ${t.id}: ${s.kind} (answered ${s.status}) applied ${n} times`); }
        }
        const [counts] = await sql<{ rows: number; ledger: number; evidence: number; dupEvents: number }[]>`
          select (select count(*)::int from cases where subject_id = ${t.subjectId}) as rows,
                 (select count(*)::int from ledger_entries where source_type = 'case' and source_id = ${t.id}) as ledger,
                 (select count(*)::int from evidence_files where case_id = ${t.id}) as evidence,
                 (select count(*)::int from (select seq from case_events where case_id = ${t.id} group by seq having count(*) > 1) d) as "dupEvents"`;
        if (counts.rows !== 1) { report.duplicated += Math.max(0, counts.rows - 1); if (counts.rows === 0) report.lost += 1; problem(`subject ${t.subjectId}: ${counts.rows} case rows for one opening`); }
        if (counts.ledger > 1) { report.duplicated += counts.ledger - 1; problem(`case ${t.id}: ${counts.ledger} ledger rows`); }
        if (state.status === 'closed' && counts.ledger !== 1) { report.lost += 1; problem(`closed case ${t.id} has ${counts.ledger} ledger rows`); }
        if (counts.evidence !== new Set(t.uploads).size) { report.duplicated += Math.max(0, counts.evidence - t.uploads.length); problem(`case ${t.id}: ${counts.evidence} evidence links for ${t.uploads.length} uploads`); }
        report.duplicated += counts.dupEvents;
      }
      for (const t of planTracks) {
        if (!t.id) { report.lost += 1; problem(`a plan was never enrolled (subject ${t.subjectId})`); continue; }
        const handle = temporal.workflow.getHandle(planWorkflowId(t.id));
        const { state, diffs } = await settle(() => handle.query(getPlanStateQuery), (s: PlanState) => diffPlan(db!, s));
        if (!state) { report.lost += 1; problem(`plan ${t.id}: workflow unreadable (${String(diffs[0])})`); continue; }
        if (diffs.length > 0) { report.mismatches += diffs.length; problem(`plan ${t.id}: read model differs ${JSON.stringify(diffs.slice(0, 3))}`); }
        const wantStatus = t.withdrawn ? 'ended' : 'active';
        if (state.status !== wantStatus) { report.wrongState += 1; problem(`plan ${t.id}: ${state.status}, its accepted requests imply ${wantStatus}`); }
        const [{ n, dup }] = await sql<{ n: number; dup: number }[]>`
          select count(*)::int as n, (count(*) - count(distinct (session_date, provider_staff)))::int as dup from plan_sessions where plan_id = ${t.id}`;
        if (dup > 0) { report.duplicated += dup; problem(`plan ${t.id}: ${dup} duplicated sessions`); }
        const held = state.sessions.length;
        if (held !== t.sessions.length || n !== t.sessions.length) {
          report.notAppliedOnce += 1;
          if (n < t.sessions.length) report.lost += t.sessions.length - n;
          problem(`plan ${t.id}: ${t.sessions.length} sessions accepted, ${held} in the workflow, ${n} in the read model`);
        }
        const [{ plansForSubject }] = await sql<{ plansForSubject: number }[]>`select count(*)::int as "plansForSubject" from plans where subject_id = ${t.subjectId}`;
        if (plansForSubject !== 1) { report.duplicated += Math.max(0, plansForSubject - 1); problem(`subject ${t.subjectId}: ${plansForSubject} plans for one enrolment`); }
      }
    } finally {
      await temporal.connection.close();
    }
  } finally {
    await (db ? closeDb(db) : Promise.resolve()).catch(() => {});
    await dev?.stop().catch(() => {});
    await kill(apiProc).catch(() => {});
    await kill(workerProc).catch(() => {});
    if (temporalServer && temporalServer.process.exitCode === null) temporalServer.process.kill('SIGKILL');
    await pg?.stop().catch(() => {});
    if (!opts.keep) {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(embeddedDataDir(pgDir), { recursive: true, force: true });
    }
  }
  report.seconds = Math.round((Date.now() - started) / 1000);
  return report;
}

/** The table the README quotes. */
export function chaosTable(r: ChaosReport): string {
  const faults = Object.entries(r.faults).map(([k, v]) => `${k} ×${v}`).join(', ');
  return [
    '| faults injected | requests | retries | lost | duplicated | mismatches |',
    '|---|---|---|---|---|---|',
    `| ${faults} | ${r.requests} | ${r.retries} | ${r.lost} | ${r.duplicated} | ${r.mismatches} |`,
  ].join('\n');
}

/** Where `npm run chaos` writes its JSON (next to the bench results). */
export const chaosResultsDir = resolve(import.meta.dirname, 'results');

/** The last lines of a process that died of postgres.js's `socket.write` on a closed connection (porsager/postgres#1208). */
export function isDriverNextWriteCrash(lines: readonly string[]): boolean {
  const tail = lines.slice(-20).join('\n');
  return tail.includes('postgres/src/connection.js') && tail.includes('nextWrite') && tail.includes("reading 'write'");
}
