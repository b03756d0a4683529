/** The notification activities, as createActivities spreads them in (see delivery.ts and scan.ts). */
import type { Db } from '../../db/client';
import type { ExternalChannel } from '../../domain/notifications';
import type { NotifyConfig, SmsProvider } from './channels';
import { deliverNotification, dispatchNotifications, failNotificationDelivery, holdNotificationDelivery } from './delivery';
import { scanNotifications, writeDigests } from './scan';

export function notificationActivities(deps: { db: Db; notify?: NotifyConfig; sms?: SmsProvider }) {
  return {
    /** Hands new outbox rows to notificationDelivery workflows. */
    dispatchNotifications: (input: { limit?: number }) => dispatchNotifications(deps, input),
    /** One delivery attempt on one channel. */
    deliverNotification: (input: { notificationId: string; channel: ExternalChannel }) => deliverNotification(deps, input),
    /** Records an SMS held for the quiet hours. */
    holdNotificationDelivery: (input: { notificationId: string; channel: ExternalChannel; until: string }) => holdNotificationDelivery(deps, input),
    /** Records a delivery given up after its last attempt. */
    failNotificationDelivery: (input: { notificationId: string; channel: ExternalChannel; answer: string }) => failNotificationDelivery(deps, input),
    /** Writes the time-based notifications due at `at`. */
    scanNotifications: (input: { at: string }) => scanNotifications(deps.db, input),
    /** Writes the supervisors' daily digest of `at`'s day. */
    writeDigests: (input: { at: string }) => writeDigests(deps.db, input),
  };
}
