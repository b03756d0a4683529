/**
 * The S3 evidence store (EVIDENCE_STORE=s3) against a real S3-protocol server (moto, test/support/moto.ts):
 * upload, download, dedupe (the same bytes are one object) and a missing object (a clear 404, not a 500),
 * through the API as a user would use it, with the bucket looked at directly.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { evidenceFiles } from '../../db/schema';
import { evidenceStorageFor } from '../../api/services/evidenceStorage';
import { startStack, type TestStack } from '../support/env';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { startMoto, type Moto } from '../support/moto';
import { evidenceFile, post, upload } from './casesSupport';

const COUNTY = '640104'; // not a county the supervision test seeds
const BUCKET = 'doorstep-evidence-test';
let moto: Moto;
let stack: TestStack;
let coordinator: TestUser;
let outsider: TestUser;

beforeAll(async () => {
  moto = await startMoto();
  await moto.createBucket(BUCKET);
  stack = await startStack({
    EVIDENCE_STORE: 's3', S3_ENDPOINT: moto.endpoint, S3_BUCKET: BUCKET, S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: moto.credentials.accessKeyId, S3_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey, S3_FORCE_PATH_STYLE: true,
  });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: [COUNTY] });
  outsider = await makeUser(stack.db, 'coordinator', { counties: ['640105'] });
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await moto?.stop();
});

async function openCase(): Promise<string> {
  const subject = await makeSubject(stack.db, { county: COUNTY });
  const res = await post(stack, coordinator, '/v1/cases', { subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

const keyOf = (sha: string) => `${sha.slice(0, 2)}/${sha}`;
const objectsUnder = async (sha: string) =>
  (await moto.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: keyOf(sha) }))).Contents ?? [];

describe('evidence in an S3-compatible bucket', () => {
  it('an upload becomes one object at its content address, and downloads back byte for byte to people in scope', async () => {
    const id = await openCase();
    const file = evidenceFile('photo');
    const sha = createHash('sha256').update(file.bytes).digest('hex');
    const res = await upload(stack, coordinator, id, file);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ sha256: sha, size: file.bytes.length, contentType: 'image/png' });

    const head = await moto.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: keyOf(sha) }));
    expect(head.ContentLength).toBe(file.bytes.length);
    expect(head.ContentType).toBe('image/png');

    const got = await stack.app.inject({ url: `/v1/cases/${id}/evidence/${sha}`, headers: coordinator.auth });
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(got.rawPayload, file.bytes)).toBe(0);
    // The bucket is no way around the case's scope.
    expect((await stack.app.inject({ url: `/v1/cases/${id}/evidence/${sha}`, headers: outsider.auth })).statusCode).toBe(404);
    // Nothing is left behind in the folder uploads are received in.
    const tmp = evidenceStorageFor(stack.config).tmpDir;
    expect(readdirSync(tmp).filter((f) => !f.startsWith('.'))).toEqual([]);
  });

  it('the same bytes uploaded twice and to another case are stored as one object, linked to both cases', async () => {
    const [a, b] = [await openCase(), await openCase()];
    const file = evidenceFile('document');
    const sha = createHash('sha256').update(file.bytes).digest('hex');
    for (const id of [a, a, b]) expect((await upload(stack, coordinator, id, file)).statusCode).toBe(201);
    const objects = await objectsUnder(sha);
    expect(objects.map((o) => o.Key)).toEqual([keyOf(sha)]);
    const links = await stack.db.select().from(evidenceFiles).where(eq(evidenceFiles.sha256, sha));
    expect(links.map((l) => l.caseId).sort()).toEqual([a, b].sort());
    for (const id of [a, b]) {
      const got = await stack.app.inject({ url: `/v1/cases/${id}/evidence/${sha}`, headers: coordinator.auth });
      expect(got.statusCode).toBe(200);
      expect(Buffer.compare(got.rawPayload, file.bytes)).toBe(0);
    }
  });

  it('a file recorded for the case whose object is gone from the bucket is a 404 problem saying so, never a 500', async () => {
    const id = await openCase();
    const file = evidenceFile('video');
    const sha = createHash('sha256').update(file.bytes).digest('hex');
    expect((await upload(stack, coordinator, id, file)).statusCode).toBe(201);
    await moto.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: keyOf(sha) }));
    expect(await objectsUnder(sha)).toEqual([]);
    const [row] = await stack.db.select().from(evidenceFiles).where(and(eq(evidenceFiles.caseId, id), eq(evidenceFiles.sha256, sha)));
    expect(row).toBeDefined();

    const got = await stack.app.inject({ url: `/v1/cases/${id}/evidence/${sha}`, headers: coordinator.auth });
    expect(got.statusCode).toBe(404);
    expect(got.headers['content-type']).toContain('application/problem+json');
    expect(got.json().detail).toContain('文件缺失');
    // A sha256 the case never had is the ordinary 404.
    const never = await stack.app.inject({ url: `/v1/cases/${id}/evidence/${'0'.repeat(64)}`, headers: coordinator.auth });
    expect(never.statusCode).toBe(404);
    expect(never.json().detail).not.toContain('文件缺失');
  });
});
