/**
 * Backup and restore (issue 12, point 4): a backup taken mid-work (the stack running: an online copy),
 * checked by its manifest's checksums, restored into a new data folder and database, serves the same
 * cases as at the backup (not the work done after it), their evidence, and the cases continue.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcile } from '../../activities/reconcile';
import { backup, restore, RESTORED_MARKER, verifyBackup } from '../../bin/backup';
import { generatePayloadKey } from '../../temporal/codec';
import { startDevServer, type RunningServer } from '../../temporal/devServer';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/contract';
import { ownDatabase, startStack, type TestStack } from '../support/env';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { evidenceFile, post, upload } from './casesSupport';

const root = mkdtempSync(join(tmpdir(), 'doorstep-backup-'));
const dirs = { a: join(root, 'a'), b: join(root, 'b'), backup: join(root, 'backup') };
const payloadKeys = generatePayloadKey('bk1');
const taskQueue = `backup-${Date.now()}`;
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  rmSync(root, { recursive: true, force: true });
}, 60_000);

/** A whole stack on its own Temporal dev server (SQLite file under `dataDir`) and database. */
async function stackOn(dataDir: string, databaseUrl: string): Promise<{ stack: TestStack; server: RunningServer }> {
  mkdirSync(dataDir, { recursive: true });
  const server = await startDevServer({ dbFile: join(dataDir, 'temporal.sqlite'), searchAttributes: SEARCH_ATTRIBUTE_KEYS });
  cleanups.push(server.stop);
  const stack = await startStack({
    DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: taskQueue, PAYLOAD_KEYS: payloadKeys,
    DATA_DIR: dataDir, FILES_DIR: join(dataDir, 'files'),
  });
  cleanups.push(() => stack.close());
  return { stack, server };
}

let coordinator: TestUser;
let worker: TestUser;

describe('backup and restore of the embedded default', () => {
  const atBackup = new Map<string, Record<string, unknown>>();
  const caseIds: string[] = [];
  let photo: { sha256: string; bytes: Buffer } | undefined;
  let dbB: Awaited<ReturnType<typeof ownDatabase>>;

  beforeAll(async () => {
    // Each stage says when it ends, so that a stage that hangs under a loaded run is named in the output.
    const t0 = Date.now();
    const stage = (what: string) => console.log(`backup test: ${what} after ${Date.now() - t0} ms`);
    const dbA = await ownDatabase();
    dbB = await ownDatabase();
    cleanups.push(dbA.drop, dbB.drop);
    const { stack, server } = await stackOn(dirs.a, dbA.url);
    stage('stack A started');
    writeFileSync(join(dirs.a, 'payload-keys'), `${payloadKeys}\n`);
    coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640105'] });
    worker = await makeUser(stack.db, 'worker', { counties: ['640105'], departments: ['JUSTICE'] });
    for (let i = 0; i < 5; i++) {
      const subject = await makeSubject(stack.db, { county: '640105' });
      const res = await post(stack, coordinator, '/v1/cases', { subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' });
      expect(res.statusCode).toBe(201);
      caseIds.push(res.json().id);
    }
    expect((await post(stack, coordinator, `/v1/cases/${caseIds[0]}/assign`, { assignee: worker.id })).statusCode).toBe(200);
    expect((await post(stack, coordinator, `/v1/cases/${caseIds[1]}/hold`, { reason: '住院治疗' })).statusCode).toBe(200);
    const file = evidenceFile('photo');
    const up = await upload(stack, worker, caseIds[0], file);
    expect(up.statusCode).toBe(201);
    photo = { sha256: up.json().sha256, bytes: file.bytes };
    for (const id of caseIds) atBackup.set(id, (await stack.app.inject({ url: `/v1/cases/${id}`, headers: coordinator.auth })).json());
    stage('five cases opened and worked');

    // Online: the dev server and the database are serving while the copy is taken.
    const manifest = await backup({ databaseUrl: dbA.url, sqliteFile: join(dirs.a, 'temporal.sqlite'), filesDir: join(dirs.a, 'files'), payloadKeysFile: join(dirs.a, 'payload-keys') }, dirs.backup, (m) => stage(`backup: ${m}`));
    expect(manifest.postgres.find((t) => t.table === 'cases')?.rows).toBe(5);
    expect(manifest.evidence.files).toBe(1);
    stage('backup taken');

    // Work after the backup is not in it.
    expect((await post(stack, coordinator, `/v1/cases/${caseIds[2]}/hold`, { reason: '外出' })).statusCode).toBe(200);
    await stack.close();
    await server.stop();
    stage('stack A stopped');
    cleanups.length = 0;
    cleanups.push(dbA.drop, dbB.drop);
  }, 240_000);

  it('refuses a damaged copy, naming the file', async () => {
    const copy = join(root, 'damaged');
    rmSync(copy, { recursive: true, force: true });
    cpSync(dirs.backup, copy, { recursive: true });
    writeFileSync(join(copy, 'postgres', 'cases.copy'), 'tampered\n');
    await expect(verifyBackup(copy)).rejects.toThrow('backup file postgres/cases.copy does not match its checksum');
    expect(readFileSync(join(dirs.backup, 'SHA256SUMS'), 'utf8')).toMatch(/^[0-9a-f]{64} {2}temporal\.sqlite$/m);
  });

  it('restored into a new data folder and database, serves the same cases, their evidence, and they continue', async () => {
    await restore(dirs.backup, {
      databaseUrl: dbB.url, sqliteFile: join(dirs.b, 'temporal.sqlite'), filesDir: join(dirs.b, 'files'), payloadKeysFile: join(dirs.b, 'payload-keys'),
    });
    expect(readFileSync(join(dirs.b, 'payload-keys'), 'utf8').trim()).toBe(payloadKeys);
    expect(JSON.parse(readFileSync(join(dirs.b, RESTORED_MARKER), 'utf8'))).toMatchObject({ from: dirs.backup });
    // A second restore onto it is refused: not a clean machine.
    await expect(restore(dirs.backup, { databaseUrl: dbB.url, sqliteFile: join(dirs.b, 'temporal.sqlite'), filesDir: join(dirs.b, 'files') })).rejects.toThrow(/exists/);

    const { stack } = await stackOn(dirs.b, dbB.url);
    // What bin/dev does after a restore: the read model is brought level with the workflows.
    const report = await reconcile(stack.db, stack.client, { repair: true, days: 7, trigger: 'cli', taskQueue, settleMs: 200 });
    expect(report.findings.filter((f) => !f.repaired)).toEqual([]);
    for (const id of caseIds) {
      const res = await stack.app.inject({ url: `/v1/cases/${id}`, headers: coordinator.auth });
      expect(res.statusCode).toBe(200);
      const { readModel: _now, ...view } = res.json();
      const { readModel: _then, ...before } = atBackup.get(id)!;
      expect(view).toEqual(before);
    }
    // Case 3's hold came after the backup: it is not there.
    expect(atBackup.get(caseIds[2])).toMatchObject({ onHold: false });
    const evidence = await stack.app.inject({ url: `/v1/cases/${caseIds[0]}/evidence/${photo!.sha256}`, headers: coordinator.auth });
    expect(evidence.statusCode).toBe(200);
    expect(Buffer.compare(evidence.rawPayload, photo!.bytes)).toBe(0);

    // And they continue: steps apply, workers' and coordinators' tokens still work.
    expect((await post(stack, coordinator, `/v1/cases/${caseIds[1]}/resume`, {})).statusCode).toBe(200);
    const scheduled = await post(stack, worker, `/v1/cases/${caseIds[0]}/schedule-visit`, { scheduledAt: new Date(Date.now() + 86_400_000).toISOString() });
    expect(scheduled.statusCode).toBe(200);
    expect(scheduled.json().step.code).toBe('visit');
    const opened = await post(stack, coordinator, '/v1/cases', { subjectId: (atBackup.get(caseIds[4]) as { subjectId: string }).subjectId, itemCode: 'LEGAL_AID', actionCode: 'MEDIATION' });
    expect(opened.statusCode).toBe(201);
  }, 240_000);
});
