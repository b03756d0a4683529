/** Helpers for the serviceCase workflow tests: inputs, fake activities, polling, history recording. */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ProjectCaseEventsInput } from '../../activities/projection';
import { CATALOG_VERSION } from '../../domain/catalog';
import { CASE_WORKFLOW_TYPE, caseWorkflowId, getCaseStateQuery, type CaseEvent, type CaseInput, type CaseState } from '../../workflows/contract';
import { registerSearchAttributes, startTimeSkippingServer } from '../../temporal/devServer';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/contract';
import { testWorker } from '../support/env';
export { eventually } from '../support/eventually';
import { eventually } from '../support/eventually';

/**
 * A time-skipping server of this file's own. The shared per-worker server is not enough: workflows
 * that another test file leaves running keep timers whose workflow tasks nobody polls once that file's
 * workers stop, and the server does not skip time past pending tasks, so env.sleep() would hang.
 */
export async function ownTimeSkippingEnv(): Promise<{ env: TestWorkflowEnvironment; stop: () => Promise<void> }> {
  const server = await startTimeSkippingServer();
  await registerSearchAttributes(server.address, 'default', SEARCH_ATTRIBUTE_KEYS);
  const create = (TestWorkflowEnvironment as unknown as { create: (o: unknown) => Promise<TestWorkflowEnvironment> }).create;
  const env = await create.call(TestWorkflowEnvironment, { supportsTimeSkipping: true, server: { type: 'existing' }, address: server.address, namespace: 'default' });
  return { env, stop: async () => { await env.teardown(); await server.stop(); } };
}

/** A case input for the catalog action, with no personal data (the subject is an id). */
export function caseInput(itemCode: string, actionCode: string, extra: Partial<CaseInput> = {}): CaseInput {
  return {
    caseId: randomUUID(), subjectId: `subject-${randomUUID()}`, itemCode, actionCode, county: '640104', department: 'DPF',
    catalogVersion: CATALOG_VERSION, greenChannel: false, openedAt: '2026-09-30T02:00:00.000Z', openedBy: 'coordinator-1',
    requestHash: 'h', ...extra,
  };
}

/** What the fake activities saw: each projection batch, and each ledger write. */
export interface Recorded { projected: ProjectCaseEventsInput[]; ledger: Array<{ caseId: string; at: string }> }

/**
 * The events the read model holds after the projection's batches, applied as PostgreSQL applies them
 * (activities/projection.ts): a batch replaces its seqs and drops any later one. A local activity can
 * run in a workflow task that is never committed; the committed task writes those seqs again, so what
 * counts is the result, checked against the workflow's state by the callers. A batch never leaves a gap.
 */
export function projectedEvents(rec: Recorded): CaseEvent[] {
  let written: CaseEvent[] = [];
  for (const p of rec.projected) {
    if (p.fromSeq > written.length + 1) throw new Error(`projection gap: batch from seq ${p.fromSeq} after ${written.length}`);
    const batch = p.state.events.filter((x) => x.seq >= p.fromSeq);
    if (batch.length === 0) continue;
    written = [...written.slice(0, p.fromSeq - 1), ...batch];
  }
  return written;
}

/** Plain-function activities that remember their calls; `projectionMs` makes each projection slow (widens race windows). */
export function fakeActivities(rec: Recorded, projectionMs = 0) {
  return {
    projectCaseEvents: async (i: ProjectCaseEventsInput) => {
      if (projectionMs > 0) await new Promise((r) => setTimeout(r, projectionMs));
      rec.projected.push(i);
    },
    writeCaseLedgerEntry: async (i: { caseId: string; at: string }) => { rec.ledger.push(i); return `ledger-${i.caseId}`; },
  };
}

/** Runs `fn` against a fresh case workflow on the time-skipping server, with a worker of fake activities. */
export async function withCase(
  env: TestWorkflowEnvironment,
  input: CaseInput,
  fn: (handle: WorkflowHandle, rec: Recorded) => Promise<void>,
  opts: { projectionMs?: number } = {},
): Promise<Recorded> {
  const rec: Recorded = { projected: [], ledger: [] };
  const { worker, taskQueue } = await testWorker(env.nativeConnection, fakeActivities(rec, opts.projectionMs) as never);
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(CASE_WORKFLOW_TYPE, { taskQueue, workflowId: caseWorkflowId(input.caseId), args: [input] });
    await eventually(async () => (await handle.query(getCaseStateQuery)).events.length >= 1);
    try {
      await fn(handle, rec);
    } finally {
      // A case left running would keep timers whose workflow tasks no worker picks up once this one
      // stops, and the time-skipping server does not skip past pending work: end it — but only once
      // its projections have landed (terminating with an activity in flight leaves the server's
      // time-skipping lock held, and every later env.sleep() on it hangs).
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') {
        await eventually(async () => projectedEvents(rec).length >= (await handle.query(getCaseStateQuery)).events.length, 5_000).catch(() => undefined);
        await handle.terminate('test over');
      }
    }
  });
  return rec;
}


/** The workflow's state. */
export const stateOf = (h: WorkflowHandle): Promise<CaseState> => h.query(getCaseStateQuery);

/** The event types of a state, in order. */
export const eventTypes = (s: CaseState): string[] => s.events.map((e) => e.type);

/**
 * With RECORD_HISTORIES=1, writes the workflow's history to test/workflows/histories/<type>-<name>.json
 * (<name>.json for the frozen serviceCase type, whose histories were recorded before) for
 * the replay test (commit the file). Otherwise does nothing. The history is stored as its protobuf
 * encoding (base64) with a readable list of its event types: @temporalio/common's historyToJSON
 * fails with the protobufjs versions installed here (two copies; "type must be a Type").
 */
export async function maybeRecordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const { History, EventType } = historyTypes();
  const { type } = await handle.describe();
  const file = type === 'serviceCase' ? name : `${type}-${name}`;
  const history = History.fromObject(await handle.fetchHistory());
  const dir = resolve(import.meta.dirname, 'histories');
  mkdirSync(dir, { recursive: true });
  const doc = {
    name,
    workflowType: type,
    workflowId: handle.workflowId,
    events: (history.events ?? []).map((e) => EventType[e.eventType ?? 0]),
    historyProtobufBase64: Buffer.from(History.encode(history).finish()).toString('base64'),
  };
  writeFileSync(resolve(dir, `${file}.json`), `${JSON.stringify(doc, null, 2)}\n`);
}

/** The History message and EventType enum of @temporalio/proto (CommonJS: reached through its default export). */
export function historyTypes() {
  const { temporal } = proto;
  return { History: temporal.api.history.v1.History, EventType: temporal.api.enums.v1.EventType };
}
