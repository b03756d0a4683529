/**
 * PostgreSQL refuses connections for a while in the middle of a lifecycle (a proxy in front of it is
 * cut: open connections die, new ones are refused). Meanwhile a step is sent: the workflow applies it
 * and its projection retries with backoff; HTTP requests answer 503, never 500 or a hang. Once the
 * database is back, the projection lands, the step answers, the case completes, and its read model
 * (row and timeline) equals the workflow's own state: every event once, in order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { oneOffActions } from '../../domain/catalog';
import { caseEvents, cases } from '../../db/schema';
import { caseWorkflowId, getCaseStateQuery, scheduleVisitUpdate, type CaseState } from '../../workflows/contract';
import { startStack, testDb, type TestStack } from '../support/env';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { runtimeLogs } from '../support/logs';
import { tcpProxy, type TcpProxy } from '../support/tcpProxy';
import { evidenceFile, multipartBody } from './casesSupport';

const COUNTY = '640105';
let proxy: TcpProxy;
let stack: TestStack;
let filesDir: string;
let coordinator: TestUser;
let reviewer: TestUser;
let worker: TestUser;
let subjectId: string;
const direct = testDb();

beforeAll(async () => {
  runtimeLogs.echoFromLevel = Infinity; // the activity failures during the outage are on purpose
  const target = new URL(inject('databaseUrl'));
  proxy = await tcpProxy(target.hostname, Number(target.port || 5432));
  filesDir = mkdtempSync(join(tmpdir(), 'doorstep-outage-'));
  stack = await startStack({ DATABASE_URL: proxy.url(inject('databaseUrl')), FILES_DIR: filesDir, UPDATE_TIMEOUT_MS: 3000 });
  coordinator = await makeUser(direct, 'coordinator', { counties: [COUNTY] });
  reviewer = await makeUser(direct, 'reviewer', { counties: [COUNTY] });
  subjectId = (await makeSubject(direct, { county: COUNTY })).id;
}, 60_000);
afterAll(async () => {
  await proxy?.up().catch(() => undefined);
  await stack?.close();
  await proxy?.close();
  await direct.$client.end({ timeout: 5 });
  rmSync(filesDir, { recursive: true, force: true });
  runtimeLogs.echoFromLevel = 40;
});

const post = (user: TestUser, url: string, payload: object) => stack.app.inject({ method: 'POST', url, headers: user.auth, payload });

describe('PostgreSQL outage in the middle of a lifecycle', () => {
  it('the step applied during the outage is projected once the database is back; the case completes with its read model equal to its state', { timeout: 120_000 }, async () => {
    const { item, action } = oneOffActions().find((a) => a.action.needsCertificate && a.action.deliveryMethods.includes('express'))!;
    worker = await makeUser(direct, 'worker', { counties: [COUNTY], departments: [action.implementing] });
    const opened = await post(coordinator, '/v1/cases', { subjectId, itemCode: item.code, actionCode: action.code });
    expect(opened.statusCode).toBe(201);
    const id = opened.json().id as string;
    expect((await post(coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id })).statusCode).toBe(200);
    const handle = stack.client.workflow.getHandle(caseWorkflowId(id));

    await proxy.down();
    // HTTP during the outage: a clear 503, quickly.
    const t0 = Date.now();
    const during = await post(worker, `/v1/cases/${id}/schedule-visit`, { scheduledAt: new Date(Date.now() + 86_400_000).toISOString() });
    expect(during.statusCode).toBe(503);
    expect(during.headers['content-type']).toContain('application/problem+json');
    expect(Date.now() - t0).toBeLessThan(15_000);
    // The same step sent as the API would (its update): the workflow applies it; its projection waits for the database.
    const scheduledAt = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const pending = handle.executeUpdate(scheduleVisitUpdate, { args: [{ actor: worker.id, actorRole: 'worker', scheduledAt }], updateId: 'outage-step' });
    let answered = false;
    void pending.then(() => { answered = true; }, () => { answered = true; });
    await new Promise((r) => setTimeout(r, 4000));
    expect(answered).toBe(false); // it answers only once its projection is written
    const inWorkflow = await handle.query(getCaseStateQuery);
    expect(inWorkflow.events.at(-1)!.type).toBe('visit_scheduled');
    await proxy.up();

    const afterOutage = await pending;
    expect(afterOutage.visits[0].scheduledAt).toBe(scheduledAt);
    const [row] = await direct.select().from(cases).where(eq(cases.id, id));
    expect((row.state as CaseState).events.length).toBe(afterOutage.events.length);

    // The rest of the lifecycle, over HTTP.
    const evidence = [];
    for (const req of action.evidence) {
      const { payload, headers } = multipartBody(evidenceFile(req.kinds[0]));
      const res = await stack.app.inject({ method: 'POST', url: `/v1/cases/${id}/evidence`, headers: { ...worker.auth, ...headers }, payload });
      expect(res.statusCode).toBe(201);
      evidence.push({ sha256: res.json().sha256 as string, kind: req.kinds[0] });
    }
    expect((await post(worker, `/v1/cases/${id}/visit-report`, { outcome: 'done', evidence })).statusCode).toBe(200);
    expect((await post(reviewer, `/v1/cases/${id}/review`, { decision: 'approve' })).statusCode).toBe(200);
    expect((await post(worker, `/v1/cases/${id}/deliver`, { method: 'express', trackingNumber: 'SF1234567890' })).statusCode).toBe(200);
    const closed = await post(worker, `/v1/cases/${id}/confirm-receipt`, {});
    expect(closed.statusCode).toBe(200);
    expect(closed.json().status.code).toBe('closed');

    // The read model equals the workflow's state: the row's snapshot, and the timeline once each, in order.
    const final = await handle.result() as CaseState;
    const [finalRow] = await direct.select().from(cases).where(eq(cases.id, id));
    expect(finalRow.state).toEqual(final);
    expect(finalRow.status).toBe('closed');
    const timeline = await direct.select({ seq: caseEvents.seq, type: caseEvents.type }).from(caseEvents).where(eq(caseEvents.caseId, id)).orderBy(asc(caseEvents.seq));
    expect(timeline).toEqual(final.events.map((e) => ({ seq: e.seq, type: e.type })));
    expect(timeline.filter((e) => e.type === 'visit_scheduled')).toHaveLength(1);
  });
});
