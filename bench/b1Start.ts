/**
 * B1 start: cases started per second through POST /v1/cases (bearer auth, zod validation, the subject
 * lookup, the workflow start, and the `opened` update that openCase awaits so that the case is in
 * the read model when the 201 arrives), against client.workflow.start of the same workflow with the
 * same input called directly. A third phase, direct start + the same `opened` update, is reported
 * for diagnosis: it separates the API's own cost from the cost of the read-your-writes wait.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { requestHash } from '../api/services/openCase';
import { HOLIDAY_CALENDAR } from '../domain/calendar';
import { CATALOG_VERSION } from '../domain/catalog';
import { CASE_WORKFLOW_TYPE, caseStartSearchAttributes, caseWorkflowId, openedUpdate, type CaseInput } from '../workflows/contract';
import { makeSubject, makeUser } from '../test/support/fixtures';
import type { Benchmark } from './context';
import { call } from './http';
import { perSecond } from './load';
import { runPhases } from './phases';
import { infoFigure, ratioFigure } from './report';
import { round, summarize } from './stats';

const ITEM = 'LEGAL_AID';
const ACTION = 'CONSULTATION';
const DEPARTMENT = 'JUSTICE';
const COUNTY = '640104';

export const b1Start: Benchmark = async (ctx) => {
  const stack = await ctx.stack();
  const coordinator = await makeUser(stack.db, 'coordinator', { counties: [COUNTY], departments: [] });
  const subjects = await Promise.all(Array.from({ length: 50 }, () => makeSubject(stack.db, { county: COUNTY })));
  const subjectOf = (i: number) => subjects[i % subjects.length];
  let started = 0;

  /** The input openCase builds for the same request. */
  const directInput = (i: number): CaseInput => {
    const s = subjectOf(i);
    return {
      caseId: randomUUID(), subjectId: s.id, itemCode: ITEM, actionCode: ACTION, county: s.county, department: DEPARTMENT,
      catalogVersion: CATALOG_VERSION, greenChannel: false, openedAt: new Date().toISOString(), openedBy: coordinator.id,
      requestHash: requestHash({ subjectId: s.id, itemCode: ITEM, actionCode: ACTION, greenChannel: false }),
      calendar: HOLIDAY_CALENDAR.map((y) => ({ ...y, holidays: [...y.holidays], makeUpWorkdays: [...y.makeUpWorkdays] })),
    };
  };
  const startDirect = async (input: CaseInput) => {
    const handle = await stack.temporal.workflow.start(CASE_WORKFLOW_TYPE, {
      taskQueue: stack.taskQueue,
      workflowId: caseWorkflowId(input.caseId),
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: caseStartSearchAttributes(input),
    });
    started++;
    return handle;
  };

  const phases = await runPhases({
    phases: [
      {
        name: 'api',
        task: async (i) => {
          const s = subjectOf(i);
          const res = await call(stack.apiUrl, 'POST', '/v1/cases', coordinator.token, { subjectId: s.id, itemCode: ITEM, actionCode: ACTION }, {
            expect: [201], headers: { 'idempotency-key': `bench-b1-${ctx.runId}-${i}` },
          });
          if (!res.body?.id) throw new Error('POST /v1/cases answered without an id');
          started++;
        },
      },
      { name: 'direct', task: async (i) => { await startDirect(directInput(i)); } },
      { name: 'direct+opened', task: async (i) => { await (await startDirect(directInput(i))).executeUpdate(openedUpdate, { args: [] }); } },
    ],
    perPhase: ctx.opts.starts,
    rounds: ctx.opts.rounds,
    concurrency: ctx.opts.concurrency,
    maxMs: ctx.opts.phaseMs,
    pids: stack.pids,
    log: ctx.log,
    drain: async () => {
      // Every started case has projected its opening (its row exists in the read model).
      const t0 = Date.now();
      let n = 0;
      while (Date.now() - t0 < 60_000) {
        [{ n }] = await stack.db.execute<{ n: number }>(sql`select count(*)::int as n from cases`);
        if (n >= started) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (n < started) ctx.log(`  drain: ${n} of ${started} started cases projected after 60 s`);
      return Date.now() - t0;
    },
  });

  const api = phases.api;
  const direct = phases.direct;
  const dq = phases['direct+opened'];
  const detail = (p: typeof api) => ({
    ok: p.ok, errors: p.errors, errorSamples: p.errorSamples, seconds: round(p.elapsedMs / 1000), perSecond: round(perSecond(p)),
    latencyMs: summarize(p.latencies), cpuShare: p.cpu, drainMs: p.drainMs, timedOut: p.timedOut,
  });
  const common = { concurrency: ctx.opts.concurrency, rounds: ctx.opts.rounds, action: `${ITEM}/${ACTION}` };
  return [
    ratioFigure({
      id: 'B1', name: 'cases started/s via POST /v1/cases', value: round(perSecond(api)), unit: '/s',
      reference: { name: 'client.workflow.start', value: round(perSecond(direct)), unit: '/s' }, min: 0.8,
      details: { ...common, api: detail(api), direct: detail(direct), directPlusOpened: detail(dq) },
    }),
    infoFigure({
      id: 'B1', name: 'POST /v1/cases latency p50', value: summarize(api.latencies).p50, unit: 'ms',
      reference: { name: 'direct p50', value: summarize(direct.latencies).p50, unit: 'ms' },
    }),
    infoFigure({
      id: 'B1', name: 'POST /v1/cases latency p99', value: summarize(api.latencies).p99, unit: 'ms',
      reference: { name: 'direct p99', value: summarize(direct.latencies).p99, unit: 'ms' },
    }),
    infoFigure({
      id: 'B1', name: 'direct start + opened update/s (diagnostic)', value: round(perSecond(dq)), unit: '/s',
      reference: { name: 'client.workflow.start', value: round(perSecond(direct)), unit: '/s' },
      ratio: round(perSecond(dq) / perSecond(direct), 3),
    }),
  ];
};
