/** Response schemas of the notification routes (api/routes/notifications.ts). */
import { z } from 'zod';
import { DELIVERY_STATUSES, EXTERNAL_CHANNELS, NOTIFICATION_KINDS } from '../../domain/notifications';
import { instant, labelledOf, nextCursor } from './common';

/** One notification in the inbox. */
export const notificationView = z.object({
  id: z.string(),
  kind: labelledOf(NOTIFICATION_KINDS),
  title: z.string(),
  body: z.string(),
  link: z.string().describe('控制台路径 Console path, e.g. /cases/<id>'),
  caseId: z.string().nullable(),
  planId: z.string().nullable(),
  createdAt: instant,
  readAt: instant.nullable(),
  deliveries: z.array(z.object({ channel: labelledOf(EXTERNAL_CHANNELS), status: labelledOf(DELIVERY_STATUSES), attempts: z.number().int() })),
});

export const inboxPage = z.object({ items: z.array(notificationView), unreadCount: z.number().int(), nextCursor });

export const markAllReadResult = z.object({ marked: z.number().int(), unreadCount: z.number().int() });

export const preferencesView = z.object({
  channels: z.array(z.object({
    channel: labelledOf(EXTERNAL_CHANNELS),
    enabled: z.boolean(),
    available: z.boolean().describe('本系统是否已配置此渠道 Whether the channel is configured'),
  })),
  mobile: z.string().nullable(),
  email: z.string().nullable(),
  quietHours: z.string().describe('短信免打扰时段（北京时间）Quiet hours for SMS, Asia/Shanghai'),
});

export const failedDeliveryList = z.object({
  items: z.array(z.object({
    notificationId: z.string(),
    channel: labelledOf(EXTERNAL_CHANNELS),
    kind: labelledOf(NOTIFICATION_KINDS),
    recipient: z.object({ id: z.string(), name: z.string() }),
    caseId: z.string().nullable(),
    planId: z.string().nullable(),
    attempts: z.number().int(),
    answer: z.string().nullable().describe('服务商最后一次应答 The provider’s last answer'),
    lastAttemptAt: instant.nullable(),
    failedAt: instant,
  })),
  nextCursor,
});
