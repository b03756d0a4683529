/** Helpers for the case API tests: HTTP calls, evidence files, and the read-model-vs-workflow check. */
import { randomBytes } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { caseEvents, cases } from '../../db/schema';
import type { EvidenceKind } from '../../domain/vocabulary';
import type { TestStack } from '../support/env';
import type { TestUser } from '../support/fixtures';

/** A tiny file of the right type for an evidence kind (unique bytes, so each is its own content address). */
export function evidenceFile(kind: EvidenceKind): { bytes: Buffer; contentType: string; name: string } {
  const tail = randomBytes(32);
  if (kind === 'document') return { bytes: Buffer.concat([Buffer.from('%PDF-1.7\n'), tail]), contentType: 'application/pdf', name: 'doc.pdf' };
  if (kind === 'video') return { bytes: Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), tail]), contentType: 'video/mp4', name: 'v.mp4' };
  return { bytes: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), tail]), contentType: 'image/png', name: `${kind}.png` };
}

/** A multipart/form-data body with one file field. */
export function multipartBody(file: { bytes: Buffer; contentType: string; name: string }, field = 'file') {
  const boundary = `----doorstep${randomBytes(8).toString('hex')}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${file.name}"\r\nContent-Type: ${file.contentType}\r\n\r\n`;
  const payload = Buffer.concat([Buffer.from(head), file.bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** POSTs a JSON body as a user (optionally with an Idempotency-Key). */
export async function post(stack: TestStack, user: TestUser, url: string, payload: unknown = {}, key?: string) {
  return stack.app.inject({ method: 'POST', url, headers: { ...user.auth, ...(key ? { 'idempotency-key': key } : {}) }, payload: payload as object });
}

/** Uploads a file as evidence of a case; returns the response. */
export async function upload(stack: TestStack, user: TestUser, caseId: string, file: { bytes: Buffer; contentType: string; name: string }) {
  const { payload, headers } = multipartBody(file);
  return stack.app.inject({ method: 'POST', url: `/v1/cases/${caseId}/evidence`, headers: { ...user.auth, ...headers }, payload });
}

/**
 * The read model (cases row + case_events) matches the workflow's own state as GET /v1/cases/:id
 * shows it: same status, step, assignee, deadlines, flags, and the same timeline event for event.
 */
export async function expectReadModelMatches(stack: TestStack, user: TestUser, caseId: string): Promise<Record<string, any>> {
  const res = await stack.app.inject({ url: `/v1/cases/${caseId}`, headers: user.auth });
  expect(res.statusCode).toBe(200);
  const view = res.json();
  const [row] = await stack.db.select().from(cases).where(eq(cases.id, caseId));
  const events = await stack.db.select().from(caseEvents).where(eq(caseEvents.caseId, caseId)).orderBy(asc(caseEvents.seq));
  expect(row).toBeDefined();
  expect({
    status: row.status, step: row.step, assignee: row.assignee, dueAt: row.dueAt?.toISOString() ?? null,
    supplementDueAt: row.supplementDueAt?.toISOString() ?? null, overdue: row.overdue, onHold: row.onHold,
    greenChannel: row.greenChannel, escalationLevel: row.escalationLevel, lastEventSeq: row.lastEventSeq,
  }).toEqual({
    status: view.status.code, step: view.step.code, assignee: view.assignee, dueAt: view.dueAt, supplementDueAt: view.supplementDueAt,
    overdue: view.overdue, onHold: view.onHold, greenChannel: view.greenChannel, escalationLevel: view.escalationLevel,
    lastEventSeq: view.timeline.length,
  });
  expect(events.map((e) => ({ seq: e.seq, type: e.type, at: e.at.toISOString(), step: e.step })))
    .toEqual(view.timeline.map((e: { seq: number; type: string; at: string; step: string }) => ({ seq: e.seq, type: e.type, at: e.at, step: e.step })));
  return view;
}
