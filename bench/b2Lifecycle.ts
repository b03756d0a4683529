/**
 * B2 lifecycle: simulated people drive cases from start to closed over HTTP — the coordinator opens
 * and assigns, the worker schedules the visit, uploads the visit's evidence (photo, application,
 * signature) and reports it, the reviewer approves, the worker dispatches the certificate by post
 * and confirms receipt, and the workflow writes the ledger row and closes the case. Cases closed per
 * second and the update latency (each step's HTTP request) p50/p99.
 *
 * Reference, measured in the same run: a no-op workflow (bench/workflows/noopCase.ts) started and
 * sent the same number of updates directly through the client, with the same number of cases in
 * flight. Target: at least 70% of its throughput. The dev server's own ceiling: the same no-op at
 * four times the concurrency, in updates per second.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { makeSubject, makeUser, type TestUser } from '../test/support/fixtures';
import { noopStepUpdate } from './workflows/noopCase';
import type { Benchmark } from './context';
import { call } from './http';
import { perSecond, runLoad } from './load';
import { runPhases } from './phases';
import { infoFigure, ratioFigure } from './report';
import { round, summarize } from './stats';

const COUNTY = '640104';
const ITEM = 'DISABILITY_CERT';
const ACTION = 'RENEW';
/** The workflow updates of one lifecycle: assign, scheduleVisit, visitReport, review, deliver, confirmReceipt. */
const UPDATES = 6;

/** A file body that passes the API's content sniffing, random after the magic bytes (unique per case). */
function file(kind: 'photo' | 'document' | 'signature'): { type: string; bytes: Buffer; name: string } {
  if (kind === 'photo') return { type: 'image/jpeg', name: 'visit.jpg', bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(64 * 1024)]) };
  if (kind === 'document') return { type: 'application/pdf', name: 'application.pdf', bytes: Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(32 * 1024)]) };
  return { type: 'image/png', name: 'signature.png', bytes: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(16 * 1024)]) };
}

export const b2Lifecycle: Benchmark = async (ctx) => {
  const stack = await ctx.stack();
  const scope = { counties: [COUNTY], departments: ['DPF'] };
  const coordinator = await makeUser(stack.db, 'coordinator', scope);
  const reviewer = await makeUser(stack.db, 'reviewer', scope);
  const workers: TestUser[] = await Promise.all(Array.from({ length: 8 }, () => makeUser(stack.db, 'worker', scope)));
  const subjects = await Promise.all(Array.from({ length: 50 }, () => makeSubject(stack.db, { county: COUNTY })));
  const updateLatencies: Record<string, number[]> = { api: [], noop: [] };
  const uploadLatencies: number[] = [];

  /** One timed step: its latency joins the phase's update latencies. */
  const timed = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = process.hrtime.bigint();
    const out = await fn();
    updateLatencies[phase].push(Number(process.hrtime.bigint() - t0) / 1e6);
    return out;
  };

  /** One case, start to closed, over HTTP. */
  const lifecycle = async (i: number) => {
    const api = stack.apiUrl;
    const worker = workers[i % workers.length];
    const key = (step: string) => ({ headers: { 'idempotency-key': `bench-b2-${ctx.runId}-${i}-${step}` } });
    const opened = await call(api, 'POST', '/v1/cases', coordinator.token, { subjectId: subjects[i % subjects.length].id, itemCode: ITEM, actionCode: ACTION }, { expect: [201], ...key('open') });
    const id = opened.body.id as string;
    await timed('api', () => call(api, 'POST', `/v1/cases/${id}/assign`, coordinator.token, { assignee: worker.id }, key('assign')));
    await timed('api', () => call(api, 'POST', `/v1/cases/${id}/schedule-visit`, worker.token, { scheduledAt: new Date(Date.now() + 86_400_000).toISOString() }, key('schedule')));
    const evidence: Array<{ sha256: string; kind: string }> = [];
    for (const kind of ['photo', 'document', 'signature'] as const) {
      const f = file(kind);
      const form = new FormData();
      form.append('file', new Blob([f.bytes], { type: f.type }), f.name);
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${api}/v1/cases/${id}/evidence`, { method: 'POST', headers: { authorization: `Bearer ${worker.token}` }, body: form });
      const body: any = await res.json();
      if (res.status !== 201) throw new Error(`evidence upload → ${res.status}: ${body?.detail ?? ''}`);
      uploadLatencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      evidence.push({ sha256: body.sha256 as string, kind });
    }
    await timed('api', () => call(api, 'POST', `/v1/cases/${id}/visit-report`, worker.token, { outcome: 'done', evidence }, key('visit')));
    await timed('api', () => call(api, 'POST', `/v1/cases/${id}/review`, reviewer.token, { decision: 'approve' }, key('review')));
    await timed('api', () => call(api, 'POST', `/v1/cases/${id}/deliver`, worker.token, { method: 'post' }, key('deliver')));
    const closed = await timed('api', () => call(api, 'POST', `/v1/cases/${id}/confirm-receipt`, worker.token, {}, key('receipt')));
    const status = closed.body?.status?.code ?? closed.body?.status;
    if (status !== 'closed') throw new Error(`case ${id} ended the lifecycle as ${JSON.stringify(status)}, not closed`);
  };

  /** The no-op reference: start, then the same number of updates, through the client. */
  const noop = async (phase: 'noop' | 'ceiling') => {
    const handle = await stack.temporal.workflow.start('noopCase', { taskQueue: stack.taskQueue, workflowId: `noop-${randomUUID()}`, args: [{ updates: UPDATES }] });
    for (let k = 0; k < UPDATES; k++) {
      if (phase === 'noop') await timed('noop', () => handle.executeUpdate(noopStepUpdate, { args: [{ actor: 'bench' }] }));
      else await handle.executeUpdate(noopStepUpdate, { args: [{ actor: 'bench' }] });
    }
    await handle.result();
  };

  const phases = await runPhases({
    phases: [{ name: 'api', task: lifecycle }, { name: 'noop', task: () => noop('noop') }],
    perPhase: ctx.opts.lifecycles,
    rounds: ctx.opts.rounds,
    concurrency: ctx.opts.concurrency,
    maxMs: ctx.opts.phaseMs,
    pids: stack.pids,
    log: ctx.log,
    drain: async () => 0, // every lifecycle waits for its case to close
  });
  // The dev server's ceiling: the no-op with four times as many cases in flight.
  const ceiling = await runLoad({ concurrency: ctx.opts.concurrency * 4, count: ctx.opts.lifecycles * 2, maxMs: ctx.opts.phaseMs / 2, task: () => noop('ceiling') });
  ctx.log(`  ceiling: ${ceiling.ok} no-op cases (${ceiling.ok * (UPDATES + 1)} starts+updates) in ${(ceiling.elapsedMs / 1000).toFixed(1)} s`);

  // What one lifecycle costs the worker: events projected (each an activity awaited inside an update).
  const [perCase] = await stack.db.$client<{ events: number; activities: number }[]>`
    select round(count(*)::numeric / greatest(count(distinct e.case_id), 1), 1)::float as events,
      round((count(*) + count(distinct e.case_id))::numeric / greatest(count(distinct e.case_id), 1), 1)::float as activities
    from case_events e join cases c on c.id = e.case_id where c.status = 'closed' and c.item_code = ${ITEM}`;
  const api = phases.api;
  const ref = phases.noop;
  const detail = (p: typeof api, latencies: number[]) => ({
    ok: p.ok, errors: p.errors, errorSamples: p.errorSamples, seconds: round(p.elapsedMs / 1000), casesPerSecond: round(perSecond(p), 2),
    caseLatencyMs: summarize(p.latencies), updateLatencyMs: summarize(latencies), cpuShare: p.cpu, timedOut: p.timedOut,
  });
  const apiUpd = summarize(updateLatencies.api);
  const noopUpd = summarize(updateLatencies.noop);
  return [
    ratioFigure({
      id: 'B2', name: 'cases closed/s over HTTP', value: round(perSecond(api), 2), unit: '/s',
      reference: { name: `no-op workflow, ${UPDATES} updates`, value: round(perSecond(ref), 2), unit: '/s' }, min: 0.7,
      details: {
        action: `${ITEM}/${ACTION}`, updatesPerCase: UPDATES, httpRequestsPerCase: 1 + UPDATES + 3, concurrency: ctx.opts.concurrency, rounds: ctx.opts.rounds,
        api: detail(api, updateLatencies.api), noop: detail(ref, updateLatencies.noop), evidenceUploadMs: summarize(uploadLatencies),
        eventsPerCase: perCase?.events, activitiesPerCase: perCase?.activities,
      },
    }),
    infoFigure({ id: 'B2', name: 'update latency p50 (HTTP step)', value: apiUpd.p50, unit: 'ms', reference: { name: 'no-op update p50', value: noopUpd.p50, unit: 'ms' } }),
    infoFigure({ id: 'B2', name: 'update latency p99 (HTTP step)', value: apiUpd.p99, unit: 'ms', reference: { name: 'no-op update p99', value: noopUpd.p99, unit: 'ms' } }),
    infoFigure({
      id: 'B2', name: 'dev server ceiling: no-op starts+updates/s', value: round((perSecond(ceiling) * (UPDATES + 1)), 1), unit: '/s',
      details: { concurrency: ctx.opts.concurrency * 4, cases: ceiling.ok, errors: ceiling.errors, errorSamples: ceiling.errorSamples, casesPerSecond: round(perSecond(ceiling), 2) },
    }),
  ];
};
