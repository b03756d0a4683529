/**
 * Delivery of the outbox (the notifications table) to the external channels, as activities of the
 * notificationDispatch and notificationDelivery workflows (workflows/notifications.ts):
 *
 * - dispatch: takes notifications not dispatched yet, plans one delivery row per channel the recipient
 *   chose (and that is configured and has an address), starts one notificationDelivery workflow per
 *   notification (workflow id `notification-<id>`, duplicates rejected, so a dispatch run twice starts
 *   it once), then marks the notification dispatched;
 * - deliver: one attempt on one channel; the row records each attempt and the provider's answer; an
 *   attempt on a delivery already sent does nothing (a retry after a crash sends nothing twice that
 *   was recorded as sent);
 * - hold / fail: quiet hours, and the last failed attempt (the admin list shows it).
 *
 * Logs and metric labels carry ids, channels and outcomes only — never a name, a phone or an address.
 */
import { activityInfo, ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { Counter } from 'prom-client';
import type { Db } from '../../db/client';
import { notificationDeliveries, notifications } from '../../db/schema';
import { preferencesOf } from '../../db/queries/notifications';
import { CHANNEL_LABELS, type ExternalChannel } from '../../domain/notifications';
import { workerMetrics } from '../projectionLag';
import { availableChannels, type NotifyConfig } from '../../config';
import { sendThrough, type SmsProvider } from './channels';
import type { NotificationDeliveryInput } from '../../workflows/notificationContract';
import { NOTIFICATION_DELIVERY_WORKFLOW, notificationWorkflowId } from '../../workflows/notificationContract';

const deliveries = new Counter({
  name: 'doorstep_notification_deliveries_total',
  help: '通知外发 External notification delivery attempts by channel and outcome (sent, error: will retry, failed: given up, held: quiet hours)',
  labelNames: ['channel', 'outcome'] as const,
  registers: [workerMetrics],
});

/** The notification settings when none are configured: no external channel, the default quiet hours. */
export const DEFAULT_NOTIFY_CONFIG: NotifyConfig = {
  publicUrl: 'http://127.0.0.1:3000', emailFrom: 'doorstep@localhost', quietHours: '21:00-08:00',
  maxAttempts: 6, retryInitialMs: 10_000, httpTimeoutMs: 10_000,
};

export interface DeliveryDeps { db: Db; notify?: NotifyConfig; sms?: SmsProvider; now?: () => Date }

const channelsWanted = (prefs: { channels: ExternalChannel[]; mobile: string | null; email: string | null }, available: ExternalChannel[]) =>
  prefs.channels.filter((ch) => available.includes(ch) && (ch !== 'sms' || prefs.mobile) && (ch !== 'email' || prefs.email));

/** Hands up to `limit` undispatched notifications to delivery workflows; returns how many were dispatched and how many started a workflow. */
export async function dispatchNotifications(deps: DeliveryDeps, input: { limit?: number } = {}): Promise<{ dispatched: number; started: number }> {
  const config = deps.notify ?? DEFAULT_NOTIFY_CONFIG;
  const available = availableChannels(config);
  const now = deps.now ?? (() => new Date());
  const pending = await deps.db.select({ id: notifications.id, recipientId: notifications.recipientId }).from(notifications)
    .where(isNull(notifications.dispatchedAt)).orderBy(notifications.createdAt).limit(input.limit ?? 200);
  let started = 0;
  for (const n of pending) {
    const channels = channelsWanted(await preferencesOf(deps.db, n.recipientId), available);
    if (channels.length) {
      await deps.db.insert(notificationDeliveries).values(channels.map((channel) => ({ notificationId: n.id, channel, status: 'pending' as const })))
        .onConflictDoNothing();
      const workflowInput: NotificationDeliveryInput = {
        notificationId: n.id, channels, quietHours: config.quietHours, maxAttempts: config.maxAttempts, retryInitialMs: config.retryInitialMs,
      };
      try {
        await Context.current().client.workflow.start(NOTIFICATION_DELIVERY_WORKFLOW, {
          workflowId: notificationWorkflowId(n.id), taskQueue: activityInfo().taskQueue, args: [workflowInput],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
        started++;
      } catch (e) {
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      }
    }
    await deps.db.update(notifications).set({ dispatchedAt: now() }).where(eq(notifications.id, n.id));
  }
  return { dispatched: pending.length, started };
}

/**
 * One attempt to deliver a notification through a channel. Throws (to be retried by the workflow's
 * retry policy) when it failed; non-retryable when retrying cannot help.
 */
export async function deliverNotification(deps: DeliveryDeps, input: { notificationId: string; channel: ExternalChannel }): Promise<{ status: 'sent' | 'already_sent' }> {
  const config = deps.notify ?? DEFAULT_NOTIFY_CONFIG;
  const now = deps.now ?? (() => new Date());
  const key = and(eq(notificationDeliveries.notificationId, input.notificationId), eq(notificationDeliveries.channel, input.channel));
  const [row] = await deps.db.select({ status: notificationDeliveries.status, n: notifications }).from(notificationDeliveries)
    .innerJoin(notifications, eq(notifications.id, notificationDeliveries.notificationId)).where(key).limit(1);
  if (!row) throw ApplicationFailure.nonRetryable(`no delivery ${input.notificationId}/${input.channel}`, 'NoSuchDelivery');
  if (row.status === 'sent') return { status: 'already_sent' };
  if (!availableChannels(config).includes(input.channel)) throw ApplicationFailure.nonRetryable(`渠道“${CHANNEL_LABELS[input.channel]}”未配置`, 'ChannelNotConfigured');
  const prefs = await preferencesOf(deps.db, row.n.recipientId);
  if ((input.channel === 'sms' && !prefs.mobile) || (input.channel === 'email' && !prefs.email)) {
    throw ApplicationFailure.nonRetryable(input.channel === 'sms' ? '接收人未设置手机号' : '接收人未设置电子邮箱', 'NoAddress');
  }
  await deps.db.update(notificationDeliveries)
    .set({ attempts: sql`${notificationDeliveries.attempts} + 1`, lastAttemptAt: now(), updatedAt: now() }).where(key);
  const beat = setInterval(() => Context.current().heartbeat(), 1000);
  let result;
  try {
    result = await sendThrough(input.channel, config, {
      id: row.n.id, title: row.n.title, body: row.n.body, url: `${config.publicUrl.replace(/\/$/, '')}${row.n.link}`,
      mobile: prefs.mobile, email: prefs.email,
    }, deps.sms);
  } finally {
    clearInterval(beat);
  }
  if (result.ok) {
    await deps.db.update(notificationDeliveries).set({ status: 'sent', sentAt: now(), lastAnswer: result.answer, updatedAt: now() }).where(key);
    deliveries.inc({ channel: input.channel, outcome: 'sent' });
    return { status: 'sent' };
  }
  await deps.db.update(notificationDeliveries).set({ status: 'retrying', lastAnswer: result.answer, updatedAt: now() }).where(key);
  deliveries.inc({ channel: input.channel, outcome: 'error' });
  Context.current().log.warn('notification delivery attempt failed', { notificationId: input.notificationId, channel: input.channel, permanent: result.permanent });
  throw ApplicationFailure.create({ message: result.answer, type: 'DeliveryRejected', nonRetryable: result.permanent });
}

/** Records that an SMS waits for the quiet hours to end. */
export async function holdNotificationDelivery(deps: DeliveryDeps, input: { notificationId: string; channel: ExternalChannel; until: string }): Promise<void> {
  await deps.db.update(notificationDeliveries).set({ status: 'held', heldUntil: new Date(input.until), updatedAt: new Date() })
    .where(and(eq(notificationDeliveries.notificationId, input.notificationId), eq(notificationDeliveries.channel, input.channel), inArray(notificationDeliveries.status, ['pending', 'held'])));
  deliveries.inc({ channel: input.channel, outcome: 'held' });
}

/** Marks a delivery failed after its last attempt (the provider's last answer stays on the row). */
export async function failNotificationDelivery(deps: DeliveryDeps, input: { notificationId: string; channel: ExternalChannel; answer: string }): Promise<void> {
  const now = (deps.now ?? (() => new Date()))();
  await deps.db.update(notificationDeliveries)
    .set({ status: 'failed', failedAt: now, updatedAt: now, lastAnswer: sql`coalesce(${notificationDeliveries.lastAnswer}, ${input.answer})` })
    .where(and(eq(notificationDeliveries.notificationId, input.notificationId), eq(notificationDeliveries.channel, input.channel), sql`${notificationDeliveries.status} <> 'sent'`));
  deliveries.inc({ channel: input.channel, outcome: 'failed' });
}
