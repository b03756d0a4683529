/**
 * The import workflow on the time-skipping server with the real activities on PostgreSQL: a commit
 * that crashes in the middle resumes where it stopped and writes each row once; an import left
 * uncommitted expires; an unreadable file fails the import with its reason.
 */
import { createHash, randomUUID } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { readHeaders } from '../../api/import/spreadsheet';
import type { Db } from '../../db/client';
import { auditLog, subjectImports, subjects } from '../../db/schema';
import { commitImportUpdate, importWorkflowId, type SubjectImportInput } from '../../workflows/subjectImportContract';
import { testDb, testWorker } from '../support/env';
import { eventually } from '../support/eventually';
import { makeUser } from '../support/fixtures';
import { rosterRow, rosterXlsx } from '../support/roster';
import { ownTimeSkippingEnv } from './caseSupport';

let env: TestWorkflowEnvironment;
let db: Db;
// Its own time-skipping server: the 30-day expiry must not wait on workflows another file left on the shared one.
let stopEnv: () => Promise<void>;
beforeAll(async () => { ({ env, stop: stopEnv } = await ownTimeSkippingEnv()); db = testDb(); });
afterAll(async () => { await stopEnv?.(); await db?.$client.end({ timeout: 5 }); });

/** Stores an uploaded file as the API does, and returns the import id. */
async function storeImport(bytes: Buffer, userId: string): Promise<string> {
  const id = randomUUID();
  await db.insert(subjectImports).values({
    id, status: 'validating', fileName: 'roster.xlsx', format: 'xlsx', sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length,
    file: bytes, createdBy: userId, scope: { cityLevel: false, counties: ['640104'] }, mapping: await readHeaders(bytes, 'xlsx'),
  });
  return id;
}

const status = async (id: string) => (await db.select().from(subjectImports).where(eq(subjectImports.id, id)))[0];

describe('subjectImport workflow', () => {
  it('resumes a commit that crashed mid-way, writing each row once', async () => {
    const user = await makeUser(db, 'coordinator', { counties: ['640104'] });
    const rows = Array.from({ length: 25 }, (_, i) => rosterRow({ 姓名: `对象${'甲乙丙丁戊己庚辛壬癸'[i % 10]}` }));
    const importId = await storeImport(await rosterXlsx(rows), user.id);
    const real = createActivities({ db });
    const calls: string[] = [];
    let crashedAfterWrite = false;
    let crashedBeforeWrite = false;
    const activities = {
      ...real,
      async commitImportChunk(input: Parameters<typeof real.commitImportChunk>[0]) {
        calls.push(`${input.from}-${input.to}`);
        // Rows 12..21: the worker dies after the chunk's transaction committed, before Temporal heard of it.
        if (input.from === 12 && !crashedAfterWrite) {
          crashedAfterWrite = true;
          await real.commitImportChunk(input);
          throw ApplicationFailure.retryable('worker crashed after writing');
        }
        // Rows 22..31: the worker dies in the middle of the chunk (its transaction never commits).
        if (input.from === 22 && !crashedBeforeWrite) {
          crashedBeforeWrite = true;
          throw ApplicationFailure.retryable('worker crashed mid-chunk');
        }
        return real.commitImportChunk(input);
      },
    };
    const { worker, taskQueue } = await testWorker(env.nativeConnection, activities);
    await worker.runUntil(async () => {
      const input: SubjectImportInput = { importId, chunkRows: 10 };
      const handle = await env.client.workflow.start('subjectImport', { taskQueue, workflowId: importWorkflowId(importId), args: [input] });
      await eventually(async () => (await status(importId)).status === 'validated', 20_000, 100);
      expect((await status(importId)).counts).toEqual({ create: 25, update: 0, unchanged: 0, rejected: 0 });
      await handle.executeUpdate(commitImportUpdate, { args: [{ by: user.id }] });
      expect(await handle.result()).toEqual({ phase: 'committed' });
    });
    // Header on row 1: data rows 2..26 in chunks 2-11, 12-21, 22-31; the first chunk ran once.
    expect(calls).toEqual(['2-11', '12-21', '12-21', '22-31', '22-31']);
    const written = await db.select().from(subjects).where(inArray(subjects.idNumber, rows.map((r) => String(r.身份证号码))));
    expect(written).toHaveLength(25);
    const audits = await db.select({ n: sql<number>`count(*)::int`, rows: sql<number>`count(distinct ${auditLog.detail}->>'rowNumber')::int` })
      .from(auditLog).where(sql`${auditLog.detail}->>'importId' = ${importId}`);
    expect(audits[0]).toEqual({ n: 25, rows: 25 });
    expect(await status(importId)).toMatchObject({ status: 'committed', rowsCommitted: 25, counts: { create: 25, update: 0, unchanged: 0, rejected: 0 } });
  });

  it('expires an import that is never committed (30 days), writing nothing', async () => {
    const user = await makeUser(db, 'coordinator', { counties: ['640104'] });
    const row = rosterRow();
    const importId = await storeImport(await rosterXlsx([row]), user.id);
    const { worker, taskQueue } = await testWorker(env.nativeConnection, createActivities({ db }));
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('subjectImport', { taskQueue, workflowId: importWorkflowId(importId), args: [{ importId }] });
      expect(await handle.result()).toEqual({ phase: 'expired' });
    });
    expect(await db.select().from(subjects).where(eq(subjects.idNumber, String(row.身份证号码)))).toHaveLength(0);
  });

  it('fails an import whose file cannot be read, with the reason', async () => {
    const user = await makeUser(db, 'coordinator', { counties: ['640104'] });
    const good = await rosterXlsx([rosterRow()]);
    const importId = await storeImport(good, user.id);
    // The stored bytes go bad after the upload's checks (a truncated write): the worker cannot read them.
    await db.update(subjectImports).set({ file: good.subarray(0, 200) }).where(eq(subjectImports.id, importId));
    const { worker, taskQueue } = await testWorker(env.nativeConnection, createActivities({ db }));
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('subjectImport', { taskQueue, workflowId: importWorkflowId(importId), args: [{ importId }] });
      expect(await handle.result()).toEqual({ phase: 'failed' });
    });
    const s = await status(importId);
    expect(s.status).toBe('failed');
    expect(s.error).toContain('XLSX');
  });
});
