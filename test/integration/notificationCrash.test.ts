/**
 * Issue 19, point 2: one notification per event per recipient, even across crashes and retries. The
 * real worker (bin/worker.ts, a child process with its own task queue and this file's own database)
 * is killed (SIGKILL) at the moment the SMS gateway receives the first message — before the gateway
 * answers — and started again. Every notification is then delivered; the only repeats are the messages
 * whose answer the crash cut off, sent again under the same message id (the gateway's key to drop
 * them): delivery to a provider is at least once, and idempotent where the provider keys on the id.
 * The outbox never holds a second row for an event and recipient, and no delivery workflow starts twice.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { createDb, type Db } from '../../db/client';
import { notificationDeliveries, notifications } from '../../db/schema';
import { savePreferences, writeNotifications } from '../../db/queries/notifications';
import { NOTIFICATION_SCHEDULE_IDS } from '../../temporal/schedules';
import { notificationWorkflowId } from '../../workflows/notificationContract';
import { ownDatabase } from '../support/env';
import { makeUser } from '../support/fixtures';
import { startProcess, waitUntil, type TestProcess } from '../support/process';
import { startHttpReceiver, type HttpReceiver } from '../support/receivers';

const root = resolve(import.meta.dirname, '..', '..');
let own: { url: string; drop: () => Promise<void> };
let db: Db;
let http: HttpReceiver;
let client: Client;
let connection: Connection;
const taskQueue = `crash-${randomUUID()}`;
const procs: TestProcess[] = [];

/** The real worker process, delivering to the local gateway. */
function startWorker(): TestProcess {
  const p = startProcess(process.execPath, ['--import', 'tsx', 'bin/worker.ts'], {
    cwd: root,
    env: {
      ...process.env, DATABASE_URL: own.url, TEMPORAL_ADDRESS: inject('devServerAddress'), TEMPORAL_TASK_QUEUE: taskQueue,
      METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', LOG_LEVEL: 'info', NOTIFY_SMS_URL: `${http.url}/sms`,
      NOTIFY_QUIET_HOURS: '00:00-00:00', NOTIFY_RETRY_INITIAL_MS: '500', PUBLIC_URL: 'https://doorstep.example.gov.cn',
    },
  });
  procs.push(p);
  return p;
}

beforeAll(async () => {
  own = await ownDatabase();
  db = createDb(own.url, { max: 4 });
  http = await startHttpReceiver();
  connection = await Connection.connect({ address: inject('devServerAddress') });
  client = new Client({ connection, namespace: 'default' });
}, 60_000);

afterAll(async () => {
  for (const p of procs) await p.stop(5_000);
  // bin/worker ensures the production schedules on its queue: remove the notification ones it left pointing at this test's queue.
  for (const id of Object.values(NOTIFICATION_SCHEDULE_IDS)) await client?.schedule.getHandle(id).delete().catch(() => undefined);
  await connection?.close();
  await http?.close();
  await db?.$client.end({ timeout: 5 });
  await own?.drop();
});

describe('notifications across a worker crash', () => {
  it('a worker killed mid-delivery and restarted delivers every notification; only what the crash cut off is sent again, under its id; nothing is written or started twice', async () => {
    const worker = await makeUser(db, 'worker', { counties: ['640181'] });
    await savePreferences(db, worker.id, { channels: ['sms'], mobile: '13700001234', email: null }, new Date());
    const drafts = [1, 2, 3].map((i) => ({
      eventKey: `crash:${randomUUID()}:${i}`, kind: 'assigned' as const, audiences: [{ kind: 'user' as const, userId: worker.id }],
      title: '有新案件分派给您', body: `案件编号：crash-${i}；服务对象：张*。请尽快预约上门。`, link: `/cases/crash-${i}`, caseId: `crash-${i}`,
    }));
    expect(await db.transaction((tx) => writeNotifications(tx, drafts))).toBe(3);

    let first: TestProcess | undefined = startWorker();
    await waitUntil('the worker polls', () => first!.lines.some((l) => l.includes('worker polling')), 120_000, first);
    http.handler = (req) => {
      if (req.path === '/sms' && first) {
        // The crash: the worker dies while the gateway holds its first message, which it never answers.
        first.child.kill('SIGKILL');
        first = undefined;
        return { drop: true };
      }
      return { status: 200, body: { code: 'OK' } };
    };
    await client.workflow.start('notificationDispatch', { taskQueue, workflowId: `dispatch-${randomUUID()}` });
    await waitUntil('the first SMS reaches the gateway', () => http.requests.length > 0, 60_000);
    expect(first).toBeUndefined();

    const restartedAt = Date.now();
    const second = startWorker();
    await waitUntil('the restarted worker polls', () => second.lines.some((l) => l.includes('worker polling')), 120_000, second);
    // The dispatch (interrupted or not) runs again on the new worker: it starts no second delivery workflow.
    await client.workflow.execute('notificationDispatch', { taskQueue, workflowId: `dispatch-${randomUUID()}` });
    const ids = (await db.select({ id: notifications.id }).from(notifications).where(eq(notifications.recipientId, worker.id))).map((r) => r.id);
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(await client.workflow.getHandle(notificationWorkflowId(id)).result()).toEqual({ sms: 'sent' });

    // Messages in flight when the worker died (sent, never answered) are sent again after the restart,
    // under the same message id; nothing the new worker sent is repeated, and every notification arrived.
    const sms = http.requests.filter((r) => r.path === '/sms');
    const cutOff = sms.filter((r) => r.at < restartedAt).map((r) => r.body.messageId as string);
    const after = sms.filter((r) => r.at >= restartedAt).map((r) => r.body.messageId as string);
    expect(cutOff.length).toBeGreaterThanOrEqual(1);
    expect(new Set(after).size).toBe(after.length);
    expect([...new Set([...cutOff, ...after])].sort()).toEqual([...ids].sort());
    for (const id of cutOff) expect(after).toContain(id);
    // Each row is sent and counts its attempts: one per message that reached the gateway, plus at most
    // the one attempt the crash cut off before its message left (an attempt is counted when it begins).
    const rows = (await db.select().from(notificationDeliveries)).filter((d) => ids.includes(d.notificationId));
    expect(rows.map((d) => [d.notificationId, d.status]).sort()).toEqual(ids.map((id) => [id, 'sent']).sort());
    let interrupted = 0;
    for (const d of rows) {
      const reached = sms.filter((r) => r.body.messageId === d.notificationId).length;
      expect(d.attempts - reached, `attempts of ${d.notificationId}`).toBeGreaterThanOrEqual(0);
      expect(d.attempts - reached, `attempts of ${d.notificationId}`).toBeLessThanOrEqual(1);
      interrupted += d.attempts - reached;
    }
    // Only the first worker's attempts can have been cut off before sending, and it held three at most.
    expect(interrupted).toBeLessThanOrEqual(3 - new Set(cutOff).size);
    // One delivery workflow per notification, whatever ran twice.
    for (const id of ids) {
      const runs: string[] = [];
      for await (const w of client.workflow.list({ query: `WorkflowId = '${notificationWorkflowId(id)}'` })) runs.push(w.runId);
      expect(runs).toHaveLength(1);
    }
    // The outbox writer run again (a retried projection or scan) writes nothing.
    expect(await db.transaction((tx) => writeNotifications(tx, drafts))).toBe(0);
  }, 240_000);
});
