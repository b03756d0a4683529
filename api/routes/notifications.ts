/**
 * Notifications (issue 19): each user's in-app inbox and channel preferences, and the admins' list of
 * failed external deliveries (with the provider's answer), which they may send again once fixed. Who gets what: domain/notifications.ts.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { inArray } from 'drizzle-orm';
import { z } from 'zod';
import { availableChannels, notifyConfig } from '../../config';
import { notificationDeliveries } from '../../db/schema';
import {
  failedDeliveries, inbox, markAllRead, markRead, preferencesOf, reopenFailedDelivery, savePreferences, unreadCount, type NotificationRow,
} from '../../db/queries/notifications';
import {
  CHANNEL_LABELS, DELIVERY_STATUS_LABELS, EXTERNAL_CHANNELS, NOTIFICATION_KIND_LABELS, type DeliveryStatus, type ExternalChannel,
} from '../../domain/notifications';
import { labelOf } from '../../domain/vocabulary';
import { NOTIFICATION_DELIVERY_WORKFLOW, notificationWorkflowId, type NotificationDeliveryInput } from '../../workflows/notificationContract';
import type { AppDeps } from '../types';
import { currentUser, requireRole } from '../auth';
import { decodeCursor, encodeCursor } from '../cursor';
import { badRequest, notFound } from '../problem';
import { problemResponses } from '../schemas/common';
import { failedDeliveryList, inboxPage, markAllReadResult, notificationView, preferencesView } from '../schemas/notifications';

const pageQuery = {
  cursor: z.string().min(1).max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};

const preferencesBody = z.object({
  channels: z.array(z.enum(EXTERNAL_CHANNELS)).max(EXTERNAL_CHANNELS.length),
  mobile: z.string().trim().regex(/^1[3-9]\d{9}$/, '请填写11位手机号码').nullable().optional(),
  email: z.email('请填写有效的电子邮箱').max(200).nullable().optional(),
}).strict();

const retryResult = z.object({ notificationId: z.string(), channel: z.string(), workflowId: z.string() });

export async function notificationRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const quietHours = deps.config.NOTIFY_QUIET_HOURS;
  const available = availableChannels(notifyConfig(deps.config));

  /** The inbox rows with their external deliveries. */
  async function present(rows: NotificationRow[]) {
    const ds = rows.length
      ? await deps.db.select().from(notificationDeliveries).where(inArray(notificationDeliveries.notificationId, rows.map((n) => n.id)))
      : [];
    return rows.map((n) => ({
      id: n.id, kind: labelOf(n.kind, NOTIFICATION_KIND_LABELS), title: n.title, body: n.body, link: n.link,
      caseId: n.caseId, planId: n.planId, createdAt: n.createdAt.toISOString(), readAt: n.readAt?.toISOString() ?? null,
      deliveries: ds.filter((d) => d.notificationId === n.id).map((d) => ({
        channel: labelOf(d.channel as ExternalChannel, CHANNEL_LABELS), status: labelOf(d.status as DeliveryStatus, DELIVERY_STATUS_LABELS), attempts: d.attempts,
      })),
    }));
  }

  r.get('/me/notifications', {
    schema: {
      tags: ['notifications'], summary: '我的站内通知（最新在前）与未读数',
      querystring: z.object({ unread: z.enum(['true', 'false']).optional(), ...pageQuery }).strict(),
      response: { 200: inboxPage, ...problemResponses },
    },
  }, async (request) => {
    const user = currentUser(request);
    const q = request.query;
    const after = q.cursor ? decodeCursor(q.cursor, ['instant', 'key']) : undefined;
    const rows = await inbox(deps.db, user.id, { unreadOnly: q.unread === 'true', limit: q.limit + 1, after: after && [after[0], after[1]] });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: await present(page),
      unreadCount: await unreadCount(deps.db, user.id),
      nextCursor: rows.length > q.limit && last ? encodeCursor([last.createdAt, last.id]) : null,
    };
  });

  r.post('/me/notifications/:id/read', {
    schema: {
      tags: ['notifications'], summary: '标记一条通知为已读',
      params: z.object({ id: z.string().min(1).max(64) }),
      response: { 200: notificationView, ...problemResponses },
    },
  }, async (request) => {
    const user = currentUser(request);
    const row = await markRead(deps.db, user.id, request.params.id, deps.now());
    if (!row) throw notFound('通知');
    return (await present([row]))[0];
  });

  r.post('/me/notifications/read-all', {
    schema: { tags: ['notifications'], summary: '全部标记为已读', response: { 200: markAllReadResult, ...problemResponses } },
  }, async (request) => {
    const user = currentUser(request);
    const marked = await markAllRead(deps.db, user.id, deps.now());
    return { marked, unreadCount: await unreadCount(deps.db, user.id) };
  });

  /** The preferences as the console shows them: every channel, whether it is on and configured. */
  const presentPreferences = (p: Awaited<ReturnType<typeof preferencesOf>>) => ({
    channels: EXTERNAL_CHANNELS.map((ch) => ({ channel: labelOf(ch, CHANNEL_LABELS), enabled: p.channels.includes(ch), available: available.includes(ch) })),
    mobile: p.mobile, email: p.email, quietHours,
  });

  r.get('/me/notification-preferences', {
    schema: { tags: ['notifications'], summary: '我的通知渠道设置（站内通知始终接收）', response: { 200: preferencesView, ...problemResponses } },
  }, async (request) => presentPreferences(await preferencesOf(deps.db, currentUser(request).id)));

  r.put('/me/notification-preferences', {
    schema: {
      tags: ['notifications'], summary: '设置我的通知渠道（企业微信、钉钉、短信、电子邮件）与接收地址',
      body: preferencesBody, response: { 200: preferencesView, ...problemResponses },
    },
  }, async (request) => {
    const user = currentUser(request);
    const current = await preferencesOf(deps.db, user.id);
    const b = request.body;
    const next = {
      channels: [...new Set(b.channels)],
      mobile: b.mobile === undefined ? current.mobile : b.mobile,
      email: b.email === undefined ? current.email : b.email,
    };
    const errors = [
      ...next.channels.filter((ch) => !available.includes(ch)).map((ch) => ({ path: 'body.channels', message: `本系统未配置“${CHANNEL_LABELS[ch]}”渠道` })),
      ...(next.channels.includes('sms') && !next.mobile ? [{ path: 'body.mobile', message: '开启短信通知须填写手机号码' }] : []),
      ...(next.channels.includes('email') && !next.email ? [{ path: 'body.email', message: '开启邮件通知须填写电子邮箱' }] : []),
    ];
    if (errors.length) throw badRequest('通知设置无效', errors);
    await savePreferences(deps.db, user.id, next, deps.now());
    return presentPreferences(next);
  });

  r.get('/admin/notifications/failed', {
    schema: {
      tags: ['notifications'], summary: '发送失败的外部通知（网络不通、签名被拒、邮件服务器拒收等），含服务商应答与尝试次数',
      querystring: z.object({ channel: z.enum(EXTERNAL_CHANNELS).optional(), ...pageQuery }).strict(),
      response: { 200: failedDeliveryList, ...problemResponses },
    },
    preHandler: requireRole('admin'),
  }, async (request) => {
    const user = currentUser(request);
    const q = request.query;
    const after = q.cursor ? decodeCursor(q.cursor, ['instant', 'key', 'key']) : undefined;
    const rows = await failedDeliveries(deps.db, user, q.limit + 1, after && [after[0], after[1], after[2]], q.channel);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map((f) => ({
        notificationId: f.notificationId, channel: labelOf(f.channel, CHANNEL_LABELS), kind: labelOf(f.kind, NOTIFICATION_KIND_LABELS),
        recipient: { id: f.recipientId, name: f.recipientName ?? f.recipientId }, caseId: f.caseId, planId: f.planId,
        attempts: f.attempts, answer: f.lastAnswer, lastAttemptAt: f.lastAttemptAt?.toISOString() ?? null, failedAt: f.failedAt.toISOString(),
      })),
      nextCursor: rows.length > q.limit && last ? encodeCursor([last.failedAt, last.notificationId, last.channel]) : null,
    };
  });

  r.post('/admin/notifications/failed/:notificationId/:channel/retry', {
    schema: {
      tags: ['notifications'], summary: '重新发送一条发送失败的外部通知（例如修正配置之后）',
      params: z.object({ notificationId: z.string().min(1).max(64), channel: z.enum(EXTERNAL_CHANNELS) }),
      response: { 202: retryResult, ...problemResponses },
    },
    preHandler: requireRole('admin'),
  }, async (request, reply) => {
    const user = currentUser(request);
    const { notificationId, channel } = request.params;
    const reopened = await reopenFailedDelivery(deps.db, user, notificationId, channel, deps.now());
    if (!reopened) throw notFound('发送失败的通知');
    const config = notifyConfig(deps.config);
    const input: NotificationDeliveryInput = {
      notificationId, channels: [channel], quietHours: config.quietHours, maxAttempts: config.maxAttempts, retryInitialMs: config.retryInitialMs,
    };
    // A retry is a workflow of its own, named by the attempts made so far: a repeated request starts it once.
    const workflowId = `${notificationWorkflowId(notificationId)}-${channel}-retry-${reopened.attempts}`;
    try {
      await deps.temporal.workflow.start(NOTIFICATION_DELIVERY_WORKFLOW, {
        workflowId, taskQueue: deps.config.TEMPORAL_TASK_QUEUE, args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (e) {
      if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
    }
    return reply.status(202).send({ notificationId, channel, workflowId });
  });
}
