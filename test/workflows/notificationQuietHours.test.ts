/**
 * Issue 19, point 2: quiet hours in Asia/Shanghai — no SMS at night; it is held until morning, while
 * email goes at once. The delivery workflow runs on a time-skipping server of this file's own (its
 * clock is the real now, so the quiet window is set around it), with the real activities delivering to
 * a local SMS gateway and smtp-server, and a PostgreSQL database of this file's own.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { and, eq } from 'drizzle-orm';
import { createActivities } from '../../activities';
import { DEFAULT_NOTIFY_CONFIG } from '../../activities/notifications/delivery';
import { createDb, type Db } from '../../db/client';
import { notificationDeliveries, notifications } from '../../db/schema';
import { savePreferences, writeNotifications } from '../../db/queries/notifications';
import { parseQuietHours, quietHoursEnd } from '../../domain/notifications';
import { notificationWorkflowId } from '../../workflows/notificationContract';
import { ownDatabase, testWorker } from '../support/env';
import { makeUser } from '../support/fixtures';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from '../support/receivers';
import { eventually, ownTimeSkippingEnv } from './caseSupport';

const MIN = 60_000;
let env: TestWorkflowEnvironment;
let stopEnv: () => Promise<void>;
let own: { url: string; drop: () => Promise<void> };
let db: Db;
let http: HttpReceiver;
let smtp: SmtpReceiver;

beforeAll(async () => {
  ({ env, stop: stopEnv } = await ownTimeSkippingEnv());
  own = await ownDatabase();
  db = createDb(own.url, { max: 4 });
  http = await startHttpReceiver();
  http.handler = () => ({ status: 200, body: { code: 'OK' } });
  smtp = await startSmtpReceiver();
}, 60_000);

afterAll(async () => {
  await stopEnv?.();
  await http?.close();
  await smtp?.close();
  await db?.$client.end({ timeout: 5 });
  await own?.drop();
});

/** 'HH:mm' of the Asia/Shanghai minute of the day `m` (wrapping). */
const hhmm = (m: number) => { const x = ((m % 1440) + 1440) % 1440; return `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`; };

describe('quiet hours', () => {
  it('an SMS due in the quiet hours is held until they end; the email goes at once', async () => {
    const now = new Date(await env.currentTimeMs());
    const minute = Math.floor(((now.getTime() + 8 * 3_600_000) % 86_400_000) / MIN);
    // "Night" around the server's now: from an hour ago to two hours ahead (Asia/Shanghai).
    const quietHours = `${hhmm(minute - 60)}-${hhmm(minute + 120)}`;
    const morning = quietHoursEnd(now, parseQuietHours(quietHours))!;
    expect(morning.getTime() - now.getTime()).toBeGreaterThan(119 * MIN);

    const user = await makeUser(db, 'supervisor', { counties: ['640105'] });
    await savePreferences(db, user.id, { channels: ['sms', 'email'], mobile: '13600002222', email: 'lead@example.gov.cn' }, new Date());
    await db.transaction((tx) => writeNotifications(tx, [{
      eventKey: `quiet:${randomUUID()}`, kind: 'overdue', audiences: [{ kind: 'user', userId: user.id }], title: '案件超期', body: '案件编号：q-1；服务对象：王*。', link: '/cases/q-1',
    }]));
    const [n] = await db.select().from(notifications).where(eq(notifications.recipientId, user.id));

    const notify = { ...DEFAULT_NOTIFY_CONFIG, smsUrl: `${http.url}/sms`, smtpUrl: smtp.url, quietHours, retryInitialMs: 1000 };
    const { worker, taskQueue } = await testWorker(env.nativeConnection, createActivities({ db, notify }));
    await worker.runUntil(async () => {
      await env.client.workflow.execute('notificationDispatch', { taskQueue, workflowId: `dispatch-${randomUUID()}` });
      const delivery = env.client.workflow.getHandle(notificationWorkflowId(n.id));
      const status = async (channel: 'sms' | 'email') => (await db.select().from(notificationDeliveries)
        .where(and(eq(notificationDeliveries.notificationId, n.id), eq(notificationDeliveries.channel, channel))))[0];

      // The email is sent now; the SMS is held, saying until when.
      await eventually(async () => (await status('email')).status === 'sent');
      const held = await eventually(async () => { const s = await status('sms'); return s.status === 'held' && s; });
      expect(held.heldUntil?.toISOString()).toBe(morning.toISOString());
      expect(http.requests).toHaveLength(0);

      // A minute before the quiet hours end: still nothing. Past their end: the SMS goes.
      await env.sleep(morning.getTime() - (await env.currentTimeMs()) - MIN);
      expect(http.requests).toHaveLength(0);
      await env.sleep(2 * MIN);
      expect(await delivery.result()).toEqual({ sms: 'sent', email: 'sent' });
      expect(http.requests).toHaveLength(1);
      expect(http.requests[0].body).toMatchObject({ to: '13600002222', messageId: n.id });
      expect((await status('sms')).status).toBe('sent');
      expect(smtp.messages.filter((m) => m.to.includes('lead@example.gov.cn'))).toHaveLength(1);
    });
  }, 120_000);
});
