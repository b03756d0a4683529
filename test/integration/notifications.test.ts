/**
 * Issue 19, points 2–4, through the whole stack (API, dev server, real PostgreSQL of this file's own):
 * a case assigned through the API → the outbox row written with the projection → the dispatch
 * workflow → a delivery workflow → each channel against a real local receiver (an HTTP server as the
 * WeCom and DingTalk robots and the SMS gateway, smtp-server for email); retries on a 500; bad
 * configuration listed as failed for admins with the provider's answer while the case goes on.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { notificationActivities } from '../../activities/notifications';
import { workerMetrics } from '../../activities/projectionLag';
import { notifyConfig, type Config } from '../../config';
import { createDb, type Db } from '../../db/client';
import { notificationDeliveries, notifications } from '../../db/schema';
import { notificationWorkflowId } from '../../workflows/notificationContract';
import { ensureSchedules, NOTIFICATION_SCHEDULE_IDS } from '../../temporal/schedules';
import { ownDatabase, startStack, type TestStack } from '../support/env';
import { eventually } from '../support/eventually';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { dingtalkSignatureValid, ROBOT_OK, startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from '../support/receivers';
import { freePort } from '../support/process';
import { post } from './casesSupport';

const COUNTY = '640121';
const SECRET = 'SECtest0123456789abcdef';
const PUBLIC_URL = 'https://doorstep.example.gov.cn';
const SUBJECT_NAME = '诸葛桂兰';

let own: { url: string; drop: () => Promise<void> };
let http: HttpReceiver;
let smtp: SmtpReceiver;
let good: TestStack;
let bad: TestStack;
let coordinator: TestUser;
let admin: TestUser;

/** Channel settings pointing at the local receivers (quiet hours off: quiet hours have their own test). */
function channelOverrides(c: { wecom: string; dingtalkSecret: string }): Partial<Config> {
  return {
    PUBLIC_URL, NOTIFY_WECOM_WEBHOOK_URL: c.wecom, NOTIFY_DINGTALK_WEBHOOK_URL: `${http.url}/dingtalk/robot/send?access_token=tok`,
    NOTIFY_DINGTALK_SECRET: c.dingtalkSecret, NOTIFY_SMS_URL: `${http.url}/sms`, NOTIFY_SMS_TOKEN: 'sms-token', NOTIFY_SMTP_URL: smtp.url,
    NOTIFY_EMAIL_FROM: 'doorstep@example.gov.cn', NOTIFY_QUIET_HOURS: '00:00-00:00', NOTIFY_MAX_ATTEMPTS: 3, NOTIFY_RETRY_INITIAL_MS: 1000, NOTIFY_TIMEOUT_MS: 3000,
  };
}

/** A stack whose worker delivers with `overrides`' channel settings (its activities write into this file's database). */
async function stackWith(overrides: Partial<Config>, db: Db): Promise<TestStack> {
  const full = { ...overrides, DATABASE_URL: own.url } as Config;
  return startStack(full, notificationActivities({ db, notify: notifyConfig({ ...(await import('../../config')).loadConfig({}), ...full }) }));
}

let activityDbs: Db[] = [];
beforeAll(async () => {
  own = await ownDatabase();
  http = await startHttpReceiver();
  smtp = await startSmtpReceiver((rcpt) => rcpt.startsWith('refused'));
  const dbA = createDb(own.url, { max: 4 });
  const dbB = createDb(own.url, { max: 4 });
  activityDbs = [dbA, dbB];
  good = await stackWith(channelOverrides({ wecom: `${http.url}/wecom/cgi-bin/webhook/send?key=k`, dingtalkSecret: SECRET }), dbA);
  // Bad configuration: a webhook nobody listens on, a DingTalk secret that is not the robot's.
  bad = await stackWith(channelOverrides({ wecom: `http://127.0.0.1:${await freePort()}/cgi-bin/webhook/send?key=k`, dingtalkSecret: 'SECwrong' }), dbB);
  coordinator = await makeUser(good.db, 'coordinator', { counties: [COUNTY] });
  admin = await makeUser(good.db, 'admin', { cityLevel: true });
  http.handler = (req) => {
    if (req.path.startsWith('/dingtalk')) {
      return dingtalkSignatureValid(req, SECRET) ? ROBOT_OK : { status: 200, body: { errcode: 310000, errmsg: 'sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]' } };
    }
    if (req.path === '/sms') return { status: 200, body: { code: 'OK', requestId: randomUUID() } };
    return ROBOT_OK;
  };
}, 120_000);

afterAll(async () => {
  await good?.close();
  await bad?.close();
  for (const d of activityDbs) await d.$client.end({ timeout: 5 });
  await http?.close();
  await smtp?.close();
  await own?.drop();
});

/** A worker of the case's department with these channel preferences (set through the API). */
async function staff(stack: TestStack, prefs: Record<string, unknown>): Promise<TestUser> {
  const u = await makeUser(stack.db, 'worker', { counties: [COUNTY], departments: ['JUSTICE'] });
  const res = await stack.app.inject({ method: 'PUT', url: '/v1/me/notification-preferences', headers: u.auth, payload: prefs });
  expect(res.statusCode, res.body).toBe(200);
  return u;
}

/** Opens a legal consultation case for a fresh subject and assigns it to `worker` through the API; returns the case id. */
async function assignedCase(stack: TestStack, worker: TestUser): Promise<string> {
  const subject = await makeSubject(stack.db, { county: COUNTY, name: SUBJECT_NAME });
  const opened = await post(stack, coordinator, '/v1/cases', { subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' }, `n-${randomUUID()}`);
  expect(opened.statusCode, opened.body).toBe(201);
  const id = opened.json().id as string;
  const assigned = await post(stack, coordinator, `/v1/cases/${id}/assign`, { assignee: worker.id }, `a-${randomUUID()}`);
  expect(assigned.statusCode, assigned.body).toBe(200);
  return id;
}

/** Runs the dispatch workflow on the stack's queue, then waits for the notification's delivery workflow. */
async function dispatchAndDeliver(stack: TestStack, notificationId: string): Promise<Record<string, string>> {
  await stack.client.workflow.execute('notificationDispatch', { taskQueue: stack.config.TEMPORAL_TASK_QUEUE, workflowId: `dispatch-${randomUUID()}` });
  return stack.client.workflow.getHandle(notificationWorkflowId(notificationId)).result();
}

/** The one notification of a case for a user (waits for the projection). */
async function notificationOf(stack: TestStack, caseId: string, userId: string) {
  return eventually(async () => {
    const rows = await stack.db.select().from(notifications).where(and(eq(notifications.caseId, caseId), eq(notifications.recipientId, userId)));
    return rows.length > 0 && rows;
  });
}

describe('notification delivery (issue 19 points 2–4)', () => {
  it('an assignment reaches the worker in the inbox and through each channel, in the real formats, with no more than a masked name, the case number and a link', async () => {
    const worker = await staff(good, { channels: ['wecom', 'dingtalk', 'sms', 'email'], mobile: '13912345678', email: 'worker@example.gov.cn' });
    const caseId = await assignedCase(good, worker);
    const rows = await notificationOf(good, caseId, worker.id);
    expect(rows).toHaveLength(1);
    const n = rows[0];
    expect(n.kind).toBe('assigned');
    const from = http.requests.length;
    const fromMail = smtp.messages.length;

    expect(await dispatchAndDeliver(good, n.id)).toEqual({ wecom: 'sent', dingtalk: 'sent', sms: 'sent', email: 'sent' });
    const link = `${PUBLIC_URL}/cases/${caseId}`;
    const mine = http.requests.slice(from);

    const wecom = mine.find((r) => r.path.startsWith('/wecom'))!;
    expect(wecom.query.get('key')).toBe('k');
    expect(wecom.body).toEqual({ msgtype: 'markdown', markdown: { content: expect.stringContaining(`[查看详情](${link})`) } });
    const dingtalk = mine.find((r) => r.path.startsWith('/dingtalk'))!;
    expect(dingtalk.query.get('access_token')).toBe('tok');
    expect(dingtalkSignatureValid(dingtalk, SECRET)).toBe(true);
    expect(Math.abs(Number(dingtalk.query.get('timestamp')) - Date.now())).toBeLessThan(60_000);
    expect(dingtalk.body).toMatchObject({ msgtype: 'markdown', markdown: { title: '【上门代办】有新案件分派给您', text: expect.stringContaining(link) } });
    const sms = mine.find((r) => r.path === '/sms')!;
    expect(sms.headers.authorization).toBe('Bearer sms-token');
    expect(sms.body).toEqual({ to: '13912345678', messageId: n.id, text: expect.stringContaining(link) });
    const mail = smtp.messages.slice(fromMail).find((m) => m.to.includes('worker@example.gov.cn'))!;
    expect(mail.from).toBe('doorstep@example.gov.cn');
    expect(mail.headers['message-id']).toBe(`<${n.id}@doorstep.notifications>`);
    expect(mail.text).toContain(link);

    // Every external message: the case number and the masked name — never the full name, the ID number or the subject's phone.
    const [subjectRow] = await good.db.execute<{ id_number: string; phone: string }>(
      (await import('drizzle-orm')).sql`select s.id_number, s.phone from subjects s join cases c on c.subject_id = s.id where c.id = ${caseId}`,
    ) as unknown as Array<{ id_number: string; phone: string }>;
    for (const text of [JSON.stringify(wecom.body), JSON.stringify(dingtalk.body), sms.body.text, mail.text]) {
      expect(text).toContain(caseId);
      expect(text).toContain('诸***');
      expect(text).not.toContain(SUBJECT_NAME);
      expect(text).not.toContain(subjectRow.id_number);
      expect(text).not.toContain(subjectRow.phone);
    }

    // The inbox: the notification, its deliveries, the unread count; read one, then all.
    const inbox = await good.app.inject({ url: '/v1/me/notifications', headers: worker.auth });
    expect(inbox.statusCode).toBe(200);
    expect(inbox.json()).toMatchObject({
      unreadCount: 1,
      items: [{ id: n.id, kind: { code: 'assigned', label: '新分派案件' }, link: `/cases/${caseId}`, readAt: null, caseId }],
    });
    expect(inbox.json().items[0].deliveries.map((d: { channel: { code: string }; status: { code: string } }) => `${d.channel.code}:${d.status.code}`).sort())
      .toEqual(['dingtalk:sent', 'email:sent', 'sms:sent', 'wecom:sent']);
    const read = await good.app.inject({ method: 'POST', url: `/v1/me/notifications/${n.id}/read`, headers: worker.auth });
    expect(read.statusCode).toBe(200);
    expect(read.json().readAt).not.toBeNull();
    expect((await good.app.inject({ url: '/v1/me/notifications?unread=true', headers: worker.auth })).json()).toMatchObject({ unreadCount: 0, items: [] });
    // Someone else's notification is not there for another user.
    expect((await good.app.inject({ method: 'POST', url: `/v1/me/notifications/${n.id}/read`, headers: coordinator.auth })).statusCode).toBe(404);

    // The metric: by channel and outcome, no personal data in it.
    const metrics = await workerMetrics.metrics();
    expect(metrics).toMatch(/doorstep_notification_deliveries_total\{channel="dingtalk",outcome="sent"\} [1-9]/);
    for (const secret of ['13912345678', 'worker@example.gov.cn', SUBJECT_NAME, caseId]) expect(metrics).not.toContain(secret);
  });

  it('a robot answering 500 is retried with backoff until it accepts; the delivery records its attempts', async () => {
    const worker = await staff(good, { channels: ['wecom'] });
    const caseId = await assignedCase(good, worker);
    const [n] = await notificationOf(good, caseId, worker.id);
    let failures = 0;
    const previous = http.handler;
    http.handler = (req) => {
      if (req.path.startsWith('/wecom') && JSON.stringify(req.body).includes(caseId) && failures < 2) {
        failures++;
        return { status: 500, body: { errcode: -1, errmsg: 'system busy' } };
      }
      return previous(req, undefined as never);
    };
    try {
      expect(await dispatchAndDeliver(good, n.id)).toEqual({ wecom: 'sent' });
    } finally {
      http.handler = previous;
    }
    const tries = http.requests.filter((r) => r.path.startsWith('/wecom') && JSON.stringify(r.body).includes(caseId));
    expect(tries).toHaveLength(3);
    // Exponential backoff: about 1 s before the first retry, 2 s before the second.
    expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(900);
    expect(tries[2].at - tries[1].at).toBeGreaterThan(1.5 * (tries[1].at - tries[0].at));
    const [d] = await good.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.notificationId, n.id));
    expect(d).toMatchObject({ channel: 'wecom', status: 'sent', attempts: 3 });
  });

  it('an unreachable webhook, a rejected signature and an SMTP refusal are listed for admins with the provider answer; the case goes on', async () => {
    const worker = await staff(bad, { channels: ['wecom', 'dingtalk', 'email'], email: 'refused@example.gov.cn' });
    const caseId = await assignedCase(bad, worker);
    const [n] = await notificationOf(bad, caseId, worker.id);
    expect(await dispatchAndDeliver(bad, n.id)).toEqual({ wecom: 'failed', dingtalk: 'failed', email: 'failed' });

    // The case was never held up: its next step applies at once.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const scheduled = await post(bad, worker, `/v1/cases/${caseId}/schedule-visit`, { scheduledAt: tomorrow }, `s-${randomUUID()}`);
    expect(scheduled.statusCode, scheduled.body).toBe(200);

    const list = await bad.app.inject({ url: '/v1/admin/notifications/failed?limit=200', headers: admin.auth });
    expect(list.statusCode, list.body).toBe(200);
    const mine = list.json().items.filter((i: { notificationId: string }) => i.notificationId === n.id);
    const byChannel = Object.fromEntries(mine.map((i: { channel: { code: string } }) => [i.channel.code, i]));
    expect(Object.keys(byChannel).sort()).toEqual(['dingtalk', 'email', 'wecom']);
    expect(byChannel.wecom).toMatchObject({ attempts: 3, answer: expect.stringMatching(/^network: ECONNREFUSED/), recipient: { id: worker.id }, caseId, kind: { code: 'assigned' } });
    expect(byChannel.dingtalk).toMatchObject({ attempts: 1, answer: expect.stringContaining('"errcode":310000') });
    expect(byChannel.email).toMatchObject({ attempts: 1, answer: expect.stringContaining('550') });
    // Admins only; filtered by channel.
    expect((await bad.app.inject({ url: '/v1/admin/notifications/failed', headers: worker.auth })).statusCode).toBe(403);
    const emails = (await bad.app.inject({ url: '/v1/admin/notifications/failed?channel=email&limit=200', headers: admin.auth })).json().items;
    expect(emails.every((i: { channel: { code: string } }) => i.channel.code === 'email')).toBe(true);
    // The inbox still has it.
    expect((await bad.app.inject({ url: '/v1/me/notifications', headers: worker.auth })).json().items.map((i: { id: string }) => i.id)).toContain(n.id);

    // Once the configuration is fixed (the good stack's), an admin sends it again: delivered, no longer listed.
    const retryUrl = `/v1/admin/notifications/failed/${n.id}/wecom/retry`;
    expect((await good.app.inject({ method: 'POST', url: retryUrl, headers: worker.auth })).statusCode).toBe(403);
    const retry = await good.app.inject({ method: 'POST', url: retryUrl, headers: admin.auth });
    expect(retry.statusCode, retry.body).toBe(202);
    expect(await good.client.workflow.getHandle(retry.json().workflowId).result()).toEqual({ wecom: 'sent' });
    const [d] = await good.db.select().from(notificationDeliveries).where(and(eq(notificationDeliveries.notificationId, n.id), eq(notificationDeliveries.channel, 'wecom')));
    expect(d).toMatchObject({ status: 'sent', attempts: 4 });
    const after = (await good.app.inject({ url: '/v1/admin/notifications/failed?limit=200', headers: admin.auth })).json().items;
    expect(after.filter((i: { notificationId: string }) => i.notificationId === n.id).map((i: { channel: { code: string } }) => i.channel.code).sort()).toEqual(['dingtalk', 'email']);
    // Only a failed delivery can be sent again.
    expect((await good.app.inject({ method: 'POST', url: retryUrl, headers: admin.auth })).statusCode).toBe(404);
  });

  it('preferences: only configured channels, SMS needs a mobile number and email an address (400 naming the field)', async () => {
    const u = await makeUser(good.db, 'supervisor', { counties: [COUNTY] });
    const get = await good.app.inject({ url: '/v1/me/notification-preferences', headers: u.auth });
    expect(get.json()).toMatchObject({ mobile: null, email: null, quietHours: '00:00-00:00' });
    expect(get.json().channels.map((c: { channel: { code: string }; enabled: boolean; available: boolean }) => [c.channel.code, c.enabled, c.available]))
      .toEqual([['wecom', false, true], ['dingtalk', false, true], ['sms', false, true], ['email', false, true]]);
    const noMobile = await good.app.inject({ method: 'PUT', url: '/v1/me/notification-preferences', headers: u.auth, payload: { channels: ['sms'] } });
    expect(noMobile.statusCode).toBe(400);
    expect(noMobile.json().errors).toEqual([expect.objectContaining({ path: 'body.mobile' })]);
    const badMobile = await good.app.inject({ method: 'PUT', url: '/v1/me/notification-preferences', headers: u.auth, payload: { channels: ['sms'], mobile: '12345' } });
    expect(badMobile.statusCode).toBe(400);
    expect(JSON.stringify(badMobile.json().errors)).toContain('mobile');
    const ok = await good.app.inject({ method: 'PUT', url: '/v1/me/notification-preferences', headers: u.auth, payload: { channels: ['sms', 'email'], mobile: '13800001111', email: 'lead@example.gov.cn' } });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().channels.filter((c: { enabled: boolean }) => c.enabled).map((c: { channel: { code: string } }) => c.channel.code)).toEqual(['sms', 'email']);
    // A stack with no channel configured offers none.
    const plain = await startStack({ DATABASE_URL: own.url });
    try {
      const res = await plain.app.inject({ method: 'PUT', url: '/v1/me/notification-preferences', headers: u.auth, payload: { channels: ['wecom'] } });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0]).toMatchObject({ path: 'body.channels' });
    } finally {
      await plain.close();
    }
  });

  it('the notification Schedules: dispatch every 30 s, the scan hourly, the digest daily at 08:00 Asia/Shanghai; the scan and digest run end to end', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}-`;
    const taskQueue = good.config.TEMPORAL_TASK_QUEUE;
    const ids = await ensureSchedules(good.client, { taskQueue, idPrefix: prefix, notifications: true });
    const handles = ids.filter((id) => Object.values(NOTIFICATION_SCHEDULE_IDS).some((n) => id.endsWith(n))).map((id) => good.client.schedule.getHandle(id));
    try {
      expect(handles).toHaveLength(3);
      const [dispatch, scan, digest] = await Promise.all(handles.map((h) => h.describe()));
      expect(dispatch.spec.intervals).toMatchObject([{ every: 30_000 }]);
      expect(dispatch.action).toMatchObject({ type: 'startWorkflow', workflowType: 'notificationDispatch', taskQueue });
      expect(scan.spec.intervals).toMatchObject([{ every: 3_600_000, offset: 300_000 }]);
      expect(scan.action).toMatchObject({ workflowType: 'notificationScan' });
      expect(digest.spec.timezone).toBe('Asia/Shanghai');
      expect(digest.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 8, end: 8, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] });
      expect(digest.action).toMatchObject({ workflowType: 'notificationDigest' });
      // The next digest is at 08:00 Shanghai time (00:00Z).
      expect(digest.info.nextActionTimes[0].toISOString()).toMatch(/T00:00:00\.000Z$/);
      for (const h of handles) await h.pause('test');

      // Triggered, the digest writes each supervisor's digest of the day (once).
      const lead = await makeUser(good.db, 'supervisor', { counties: [COUNTY] });
      const before = digest.info.recentActions.length;
      await handles[2].trigger();
      const run = await eventually(async () => { const d = await handles[2].describe(); return d.info.recentActions.length > before && d.info.recentActions.at(-1)!; });
      expect(await good.client.workflow.getHandle(run.action.workflow.workflowId).result()).toMatchObject({ written: expect.any(Number) });
      const mine = await good.db.select().from(notifications).where(and(eq(notifications.recipientId, lead.id), eq(notifications.kind, 'daily_digest')));
      expect(mine).toHaveLength(1);
      expect(mine[0].title).toMatch(/^每日督办摘要（\d{4}-\d{2}-\d{2}）$/);
      await handles[1].trigger();
      await eventually(async () => (await handles[1].describe()).info.recentActions.length > 0);
    } finally {
      for (const h of handles) await h.delete().catch(() => undefined);
      for (const id of ids.filter((i) => !handles.some((h) => h.scheduleId === i))) await good.client.schedule.getHandle(id).delete().catch(() => undefined);
    }
  });
});
