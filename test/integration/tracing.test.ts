/**
 * One HTTP request, one connected trace: the API's server span, the Temporal client's update span,
 * the workflow's update handler and activity scheduling, the activity run and its SQL, all under the
 * same trace id, each span's parent another span of that trace. Spans are kept by an in-memory
 * exporter; the worker is built the production way (createWorker bundles the tracing interceptors).
 */
import { randomUUID } from 'node:crypto';
import { tracing as sdk } from '@opentelemetry/sdk-node';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { inject } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import type { Db } from '../../db/client';
import { connectClient, createWorker } from '../../temporal/client';
import { startTracing, type Tracing } from '../../temporal/telemetry';
import { testDb } from '../support/env';
import { eventually } from '../support/eventually';
import { makeSubject, makeUser } from '../support/fixtures';

const exporter = new sdk.InMemorySpanExporter();
let telemetry: Tracing;
let db: Db;
let connection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let client: Client;
let app: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  telemetry = (await startTracing({ serviceName: 'doorstep-test', spanProcessor: new sdk.SimpleSpanProcessor(exporter) }))!;
  const address = inject('devServerAddress');
  const taskQueue = `trace-${randomUUID()}`;
  db = testDb();
  connection = await NativeConnection.connect({ address });
  ({ worker } = await createWorker({ address, namespace: 'default', taskQueue, activities: createActivities({ db }), connection }));
  running = worker.run();
  client = await connectClient({ address, namespace: 'default' });
  const config = { ...loadConfig({}), DATABASE_URL: inject('databaseUrl'), TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: taskQueue };
  app = await buildApp({ db, temporal: client, config });
}, 180_000);
afterAll(async () => {
  await app?.close();
  worker?.shutdown();
  await running;
  await connection?.close();
  await client?.connection.close();
  await db?.$client.end({ timeout: 5 });
  await telemetry?.shutdown();
});

describe('tracing', () => {
  it('one request yields one connected trace from the HTTP span to the activity\'s SQL', async () => {
    const coordinator = await makeUser(db, 'coordinator', { cityLevel: true });
    const assignee = await makeUser(db, 'worker', { cityLevel: true });
    const subject = await makeSubject(db, { county: '640104' });
    const opened = await app.inject({ method: 'POST', url: '/v1/cases', headers: coordinator.auth, payload: { subjectId: subject.id, itemCode: 'DISABILITY_CERT', actionCode: 'RENEW' } });
    expect(opened.statusCode).toBe(201);
    const caseId = opened.json().id as string;
    exporter.reset();

    const assigned = await app.inject({ method: 'POST', url: `/v1/cases/${caseId}/assign`, headers: coordinator.auth, payload: { assignee: assignee.id } });
    expect(assigned.statusCode).toBe(200);

    const spans = await eventually(async () => {
      const all = exporter.getFinishedSpans();
      const root = all.find((s) => s.name === 'POST /v1/cases/:id/assign');
      if (!root) return undefined;
      const trace = all.filter((s) => s.spanContext().traceId === root.spanContext().traceId);
      return trace.some((s) => s.name === 'RunActivity:projectCaseEvents') && trace.some((s) => s.name.startsWith('HandleUpdate')) ? { root, trace } : undefined;
    });
    const { root, trace } = spans;
    const byId = new Map(trace.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: sdk.ReadableSpan) => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined);

    // The request is the root; every other span of the trace hangs under another span of the trace.
    expect(root.parentSpanId).toBeUndefined();
    expect(trace.filter((s) => s !== root && !parentOf(s)).map((s) => s.name)).toEqual([]);
    expect(root.attributes['http.response.status_code']).toBe(200);
    expect(root.attributes['doorstep.request_id']).toBe(assigned.headers['x-request-id']);

    const named = (prefix: string) => trace.filter((s) => s.name.startsWith(prefix));
    const [update] = named('StartWorkflowUpdate:');
    expect(update).toBeDefined();
    expect(update.attributes['temporalWorkflowId']).toBe(`case-${caseId}`);
    const [handler] = named('HandleUpdate:');
    expect(handler).toBeDefined();
    const [activity] = named('RunActivity:projectCaseEvents');
    // The activity descends from the workflow's handler, which descends from the client's update call.
    const ancestors = (s: sdk.ReadableSpan): string[] => {
      const out: string[] = [];
      for (let p = parentOf(s); p; p = parentOf(p)) out.push(p.name);
      return out;
    };
    expect(ancestors(activity)).toEqual(expect.arrayContaining([handler.name, update.name, root.name]));
    // Its SQL: statements with placeholders, never the values.
    const sql = trace.filter((s) => parentOf(s) === activity && s.attributes['db.system'] === 'postgresql');
    expect(sql.length).toBeGreaterThan(0);
    expect(sql.some((s) => /^(insert|update)/i.test(String(s.attributes['db.statement'])))).toBe(true);
    for (const s of trace) expect(JSON.stringify(s.attributes)).not.toContain(assignee.id);
  });
});
