/**
 * The contract of notification delivery between the dispatching activity and the workflows:
 * workflow type and id, and the delivery input. The workflow knows the notification by id only
 * (its text and the recipient's addresses stay in PostgreSQL).
 */
import type { ExternalChannel } from '../domain/notifications';

/** The workflow type that delivers one notification to its external channels (workflows/notifications.ts). */
export const NOTIFICATION_DELIVERY_WORKFLOW = 'notificationDelivery';

/** Workflow id of a notification's delivery: deterministic, so a dispatch run twice starts it once. */
export const notificationWorkflowId = (notificationId: string): string => `notification-${notificationId}`;

export interface NotificationDeliveryInput {
  notificationId: string;
  channels: ExternalChannel[];
  /** 'HH:mm-HH:mm' in Asia/Shanghai (domain/notifications parseQuietHours): SMS waits until they end. */
  quietHours: string;
  /** Attempts per channel before the delivery is marked failed. */
  maxAttempts: number;
  /** Delay before the first retry (ms); it doubles each time, up to 10 minutes. */
  retryInitialMs: number;
}
