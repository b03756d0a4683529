/**
 * The notification workflows (domain/notifications.ts says who gets what):
 *
 * - notificationDispatch (Schedule, every 30 s): hands the outbox's new rows to delivery workflows;
 * - notificationDelivery (one per notification, id `notification-<id>`): each chosen channel at once
 *   and in parallel — SMS after the quiet hours when it is night in Asia/Shanghai — with retries and
 *   exponential backoff; a channel that keeps failing is marked failed with the provider's answer for
 *   the admins, and the workflow ends normally (a case is never held up by a notification);
 * - notificationScan (Schedule, hourly): the time-based notifications (visits tomorrow, steps and
 *   supplements due within a working day, quarterly tables due or late);
 * - notificationDigest (Schedule, daily 08:00): the supervisors' daily digest.
 *
 * Times are workflow time (the Schedule's fire time), passed to the activities, so a retry does the same.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { parseQuietHours, quietHoursEnd } from '../domain/notifications';
import type { NotificationDeliveryInput } from './notificationContract';

type Activities = ReturnType<typeof createActivities>;

const short = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Dispatches the outbox's new notifications (in pages, until none is left). */
export async function notificationDispatch(): Promise<{ dispatched: number; started: number }> {
  const total = { dispatched: 0, started: 0 };
  for (let page = 0; page < 50; page++) {
    const r = await short.dispatchNotifications({ limit: 200 });
    total.dispatched += r.dispatched;
    total.started += r.started;
    if (r.dispatched < 200) break;
  }
  return total;
}

/** Delivers one notification to each of its channels; never fails (failures are recorded for the admins). */
export async function notificationDelivery(input: NotificationDeliveryInput): Promise<Record<string, 'sent' | 'failed'>> {
  const send = proxyActivities<Activities>({
    // One HTTP request or SMTP session; a worker that dies mid-attempt stops heartbeating and the attempt is retried.
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: input.retryInitialMs, backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: input.maxAttempts },
  });
  const quiet = parseQuietHours(input.quietHours);
  const outcome: Record<string, 'sent' | 'failed'> = {};
  await Promise.all(input.channels.map(async (channel) => {
    const { notificationId } = input;
    if (channel === 'sms') {
      const now = new Date(); // workflow time
      const until = quietHoursEnd(now, quiet);
      if (until) {
        await short.holdNotificationDelivery({ notificationId, channel, until: until.toISOString() });
        await sleep(until.getTime() - now.getTime());
      }
    }
    try {
      await send.deliverNotification({ notificationId, channel });
      outcome[channel] = 'sent';
    } catch (e) {
      const cause = e instanceof ActivityFailure ? e.cause : e;
      const answer = cause instanceof ApplicationFailure || cause instanceof Error ? cause.message : String(cause);
      await short.failNotificationDelivery({ notificationId, channel, answer });
      outcome[channel] = 'failed';
    }
  }));
  return outcome;
}

/** Writes the time-based notifications due now. */
export async function notificationScan(): Promise<{ written: number }> {
  return short.scanNotifications({ at: new Date().toISOString() });
}

/** Writes the supervisors' daily digest. */
export async function notificationDigest(): Promise<{ written: number }> {
  return short.writeDigests({ at: new Date().toISOString() });
}
