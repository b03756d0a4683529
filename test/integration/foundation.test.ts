import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, caseEvents } from '../../db/schema';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';
import { eventually } from '../support/eventually';

let stack: TestStack;
let coordinator: TestUser;
beforeAll(async () => {
  stack = await startStack();
  coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
});
afterAll(async () => { await stack?.close(); });


describe('the thin slice: HTTP → Temporal dev server → PostgreSQL', () => {
  it('health and readiness answer', async () => {
    expect((await stack.app.inject('/healthz')).statusCode).toBe(200);
    // Ready once the stack's worker has polled its task queue (a moment after it starts).
    const ready = await eventually(async () => { const r = await stack.app.inject('/readyz'); return r.statusCode === 200 && r; });
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { postgres: true, temporal: true, workflowWorker: true, activityWorker: true } });
  });

  it('serves the OpenAPI document and its UI at /docs', async () => {
    const ui = await stack.app.inject('/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
    const spec = await stack.app.inject('/docs/json');
    expect(spec.statusCode).toBe(200);
    expect(Object.keys(spec.json().paths)).toEqual(expect.arrayContaining(['/v1/cases', '/v1/cases/{id}']));
  });

  it('POST /v1/cases starts a workflow whose first activity writes the case; GET shows it', async () => {
    const subject = await makeSubject(stack.db, { county: '640104' });
    const res = await stack.app.inject({
      method: 'POST', url: '/v1/cases', headers: coordinator.auth,
      payload: { subjectId: subject.id, itemCode: 'DISABILITY_CERT', actionCode: 'RENEW' },
    });
    expect(res.statusCode).toBe(201);
    const id = res.json().id as string;
    expect(res.headers.location).toBe(`/v1/cases/${id}`);

    const row = await eventually(async () => (await stack.db.select().from(cases).where(eq(cases.id, id)))[0]);
    expect(row).toMatchObject({ subjectId: subject.id, itemCode: 'DISABILITY_CERT', county: '640104', department: 'DPF', status: 'open' });
    const events = await stack.db.select().from(caseEvents).where(eq(caseEvents.caseId, id));
    expect(events.map((e) => e.type)).toEqual(['opened']);

    const got = await stack.app.inject({ url: `/v1/cases/${id}`, headers: coordinator.auth });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({
      id, status: { code: 'open', label: '办理中' }, county: { code: '640104', label: '兴庆区' },
      department: { code: 'DPF', label: '残联' }, readModel: { lastEventSeq: 1 },
    });
  });

  it('the same Idempotency-Key starts one workflow only; reused with another body it is a 422', async () => {
    const subject = await makeSubject(stack.db);
    const headers = { ...coordinator.auth, 'idempotency-key': `key-${subject.id}` };
    const payload = { subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' };
    const first = await stack.app.inject({ method: 'POST', url: '/v1/cases', headers, payload });
    const second = await stack.app.inject({ method: 'POST', url: '/v1/cases', headers, payload });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(200);
    expect(second.json().id).toBe(first.json().id);
    const third = await stack.app.inject({ method: 'POST', url: '/v1/cases', headers, payload: { ...payload, greenChannel: true } });
    expect(third.statusCode).toBe(422);
    expect(third.headers['content-type']).toContain('application/problem+json');
    expect(third.json().detail).toContain('POST /v1/cases');
  });

  it('invalid bodies get problem+json 400 naming the field', async () => {
    const res = await stack.app.inject({ method: 'POST', url: '/v1/cases', headers: coordinator.auth, payload: { itemCode: 42 } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body.status).toBe(400);
    expect(body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['body.subjectId', 'body.itemCode']));
  });

  it('an unknown catalog action is a 400 on the action field, not a 500', async () => {
    const subject = await makeSubject(stack.db);
    const res = await stack.app.inject({ method: 'POST', url: '/v1/cases', headers: coordinator.auth, payload: { subjectId: subject.id, itemCode: 'DISABILITY_CERT', actionCode: 'NOPE' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('body.actionCode');
  });

  it('no token is 401; a case outside the scope is 404', async () => {
    expect((await stack.app.inject({ url: '/v1/cases/x' })).statusCode).toBe(401);
    const other = await makeUser(stack.db, 'coordinator', { counties: ['640181'] });
    const subject = await makeSubject(stack.db, { county: '640104' });
    const res = await stack.app.inject({ method: 'POST', url: '/v1/cases', headers: coordinator.auth, payload: { subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'MEDIATION' } });
    const hidden = await stack.app.inject({ url: `/v1/cases/${res.json().id}`, headers: other.auth });
    expect(hidden.statusCode).toBe(404);
  });
});
