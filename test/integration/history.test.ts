import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporal } from '@temporalio/proto';
import { and, eq } from 'drizzle-orm';
import { MAX_PAYLOADS } from '../../api/routes/codec';
import { auditLog } from '../../db/schema';
import { generatePayloadKey } from '../../temporal/codec';
import { caseWorkflowId, getCaseStateQuery } from '../../workflows/contract';
import { makeSubject, makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';

const PAYLOAD_KEYS = `${generatePayloadKey('k2')},${generatePayloadKey('k1')}`;

/** The raw bytes of a workflow's history as the server holds them (no data converter involved). */
async function rawHistory(stack: TestStack, workflowId: string): Promise<Buffer> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const res = await stack.client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default', execution: { workflowId }, nextPageToken,
    });
    events.push(...(res.history?.events ?? []));
    nextPageToken = res.nextPageToken?.length ? res.nextPageToken : undefined;
  } while (nextPageToken);
  return Buffer.from(temporal.api.history.v1.History.encode({ events }).finish());
}

/** Opens a case whose notes carry an ID number, waits until its workflow has run a task, returns its id. */
async function openCaseWithIdInNotes(stack: TestStack, who: TestUser, idNumber: string): Promise<string> {
  const subject = await makeSubject(stack.db, { county: '640104' });
  const res = await stack.app.inject({
    method: 'POST', url: '/v1/cases', headers: who.auth,
    payload: { subjectId: subject.id, itemCode: 'DISABILITY_CERT', actionCode: 'RENEW', notes: `家属来电，身份证号 ${idNumber}，电话 13912345678` },
  });
  expect(res.statusCode).toBe(201);
  const id = res.json().id as string;
  const handle = stack.client.workflow.getHandle(caseWorkflowId(id));
  await expect.poll(async () => (await handle.query(getCaseStateQuery)).input.caseId, { timeout: 15_000 }).toBe(id);
  return id;
}

describe('the workflow history holds no personal data in plain text (payload codec)', () => {
  let stack: TestStack;
  let coordinator: TestUser;
  beforeAll(async () => {
    stack = await startStack({ PAYLOAD_KEYS });
    coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
  });
  afterAll(async () => { await stack?.close(); });

  it('the raw history does not contain the ID number; the decoded state does', async () => {
    const idNumber = uniqueIdNumber('640104');
    const id = await openCaseWithIdInNotes(stack, coordinator, idNumber);
    const raw = await rawHistory(stack, caseWorkflowId(id));
    expect(raw.length).toBeGreaterThan(200);
    expect(raw.includes(Buffer.from(idNumber))).toBe(false);
    expect(raw.includes(Buffer.from('13912345678'))).toBe(false);
    expect(raw.includes(Buffer.from('binary/encrypted'))).toBe(true);
    expect(raw.includes(Buffer.from('k2'))).toBe(true);

    // Through the data converter (the API's client), the state reads in full.
    const state = await stack.client.workflow.getHandle(caseWorkflowId(id)).query(getCaseStateQuery);
    expect(state.input.notes).toContain(idNumber);
    const viaApi = await stack.app.inject({ url: `/v1/cases/${id}`, headers: coordinator.auth });
    expect(viaApi.statusCode).toBe(200);
    expect(viaApi.json()).toMatchObject({ id, status: { code: 'open' } });
  });

  it('the codec endpoint decodes the history for a role that may see personal data, and audits it', async () => {
    const idNumber = uniqueIdNumber('640104');
    const id = await openCaseWithIdInNotes(stack, coordinator, idNumber);
    const history = await stack.client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: caseWorkflowId(id) } });
    const started = history.history!.events![0].workflowExecutionStartedEventAttributes!;
    const payloads = started.input!.payloads!.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(p.data ?? []).toString('base64'),
    }));
    const body = { payloads };

    expect((await stack.app.inject({ method: 'POST', url: '/codec/decode', payload: body })).statusCode).toBe(401);
    const supervisor = await makeUser(stack.db, 'supervisor', { cityLevel: true });
    expect((await stack.app.inject({ method: 'POST', url: '/codec/decode', headers: supervisor.auth, payload: body })).statusCode).toBe(403);

    const res = await stack.app.inject({ method: 'POST', url: '/codec/decode', headers: { ...coordinator.auth, 'x-namespace': 'default' }, payload: body });
    expect(res.statusCode).toBe(200);
    const decoded = res.json().payloads as Array<{ metadata: Record<string, string>; data: string }>;
    expect(Buffer.from(decoded[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded[0].data, 'base64').toString()).notes).toContain(idNumber);

    const audit = await stack.app.inject({ url: `/v1/audit?userId=${coordinator.id}&action=codec.decode`, headers: (await makeUser(stack.db, 'admin', { cityLevel: true })).auth });
    expect(audit.json().items[0]).toMatchObject({ action: 'codec.decode', userId: coordinator.id, detail: { namespace: 'default', count: 1, workflowIds: [caseWorkflowId(id)] } });

    // And encode: what the UI sends (e.g. a signal typed in the UI) comes back encrypted with the first key.
    const plain = { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify({ idNumber })).toString('base64') }] };
    const enc = await stack.app.inject({ method: 'POST', url: '/codec/encode', headers: coordinator.auth, payload: plain });
    expect(enc.statusCode).toBe(200);
    const encrypted = enc.json().payloads[0];
    expect(Buffer.from(encrypted.metadata['encryption-key-id'], 'base64').toString()).toBe('k2');
    expect(Buffer.from(encrypted.data, 'base64').includes(Buffer.from(idNumber))).toBe(false);

    // Garbage is a 400 naming the payload, never a 500.
    const tampered = { payloads: [{ ...payloads[0], data: Buffer.from('not really ciphertext at all').toString('base64') }] };
    const bad = await stack.app.inject({ method: 'POST', url: '/codec/decode', headers: coordinator.auth, payload: tampered });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('body.payloads.0');
  });
});

describe('the codec endpoint decodes by scope, in bounded batches, and audits the workflow ids', () => {
  let stack: TestStack;
  let coordinator: TestUser;
  beforeAll(async () => {
    stack = await startStack({ PAYLOAD_KEYS });
    coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
  });
  afterAll(async () => { await stack?.close(); });

  /** The start input payload of a case's history, as the Temporal UI sends it to the codec endpoint. */
  async function startPayload(caseId: string) {
    const history = await stack.client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: caseWorkflowId(caseId) } });
    const p = history.history!.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
    return {
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(p.data ?? []).toString('base64'),
    };
  }
  const encoding = (p: { metadata: Record<string, string> }) => Buffer.from(p.metadata.encoding, 'base64').toString();
  const decode = (who: TestUser, payloads: unknown[]) => stack.app.inject({ method: 'POST', url: '/codec/decode', headers: who.auth, payload: { payloads } });

  it('decrypts only the cases in the caller\'s scope; workers one workflow at a time', async () => {
    const a = await startPayload(await openCaseWithIdInNotes(stack, coordinator, uniqueIdNumber('640104')));
    const bId = await openCaseWithIdInNotes(stack, coordinator, uniqueIdNumber('640104'));
    const b = await startPayload(bId);
    expect(Buffer.from(a.metadata['workflow-id'], 'base64').toString()).toMatch(/^case-/);

    const elsewhere = await makeUser(stack.db, 'coordinator', { counties: ['640181'] });
    const withheld = await decode(elsewhere, [a]);
    expect(withheld.statusCode).toBe(200);
    expect(encoding(withheld.json().payloads[0])).toBe('binary/encrypted');

    const both = await decode(coordinator, [a, b]);
    expect(both.json().payloads.map(encoding)).toEqual(['json/plain', 'json/plain']);

    const worker = await makeUser(stack.db, 'worker', { counties: ['640104'] });
    expect((await decode(worker, [a, b])).statusCode).toBe(403);
    expect((await decode(worker, [b, b])).statusCode).toBe(200);

    // A payload relabelled to another workflow no longer authenticates.
    const relabelled = { ...a, metadata: { ...a.metadata, 'workflow-id': b.metadata['workflow-id'] } };
    expect((await decode(coordinator, [relabelled])).statusCode).toBe(400);

    const [entry] = await stack.db.select().from(auditLog).where(and(eq(auditLog.userId, worker.id), eq(auditLog.action, 'codec.decode')));
    expect(entry.detail).toMatchObject({ workflowIds: [caseWorkflowId(bId)], count: 1, withheld: 0 });
  });

  it('refuses more than MAX_PAYLOADS payloads in one request', async () => {
    const res = await decode(coordinator, Array.from({ length: MAX_PAYLOADS + 1 }, () => ({ data: '' })));
    expect(res.statusCode).toBe(400);
  });
});

describe('control: without payload keys the same check finds the ID number', () => {
  let stack: TestStack;
  beforeAll(async () => { stack = await startStack({ PAYLOAD_KEYS: undefined }); });
  afterAll(async () => { await stack?.close(); });

  it('plain history contains the ID number (so the test above can fail)', async () => {
    const coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
    const idNumber = uniqueIdNumber('640104');
    const id = await openCaseWithIdInNotes(stack, coordinator, idNumber);
    expect((await rawHistory(stack, caseWorkflowId(id))).includes(Buffer.from(idNumber))).toBe(true);
  });
});
