/**
 * The external notification channels, each in its provider's real format:
 *
 * - WeCom (企业微信) group robot: POST the webhook URL (…/cgi-bin/webhook/send?key=…) with
 *   `{"msgtype":"markdown","markdown":{"content":…}}`; it answers `{"errcode":0,"errmsg":"ok"}`.
 * - DingTalk (钉钉) group robot with 加签: POST the webhook URL (…/robot/send?access_token=…) plus
 *   `&timestamp=<ms>&sign=<urlencode(base64(HMAC-SHA256(secret, timestamp + "\n" + secret)))>` with
 *   `{"msgtype":"markdown","markdown":{"title":…,"text":…}}`; a wrong signature is answered
 *   `{"errcode":310000,…}` with HTTP 200.
 * - SMS through {@link SmsProvider}; {@link HttpSmsProvider} posts `{to, text, messageId}` as JSON to a
 *   configured endpoint (a gateway in front of the carrier's or a cloud SMS API).
 * - Email over SMTP (nodemailer), with a Message-ID derived from the notification (a receiver can
 *   drop a repeat).
 *
 * A send never throws: it answers {@link SendResult} with the provider's answer as text, and whether a
 * retry could help (a 5xx, a timeout, a refused connection) or not (a rejected signature, a 4xx, an
 * SMTP 5xx refusal). Messages carry the title, the body (case number and masked name only) and a link.
 */
import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { NotifyConfig } from '../../config';
import { maskIdNumber, maskPhone } from '../../domain/idNumber';
import type { ExternalChannel } from '../../domain/notifications';

export type { NotifyConfig };

/** What a channel needs to send one message. */
export interface OutgoingMessage {
  /** The notification id: the idempotency key providers may use to drop a repeat. */
  id: string;
  title: string;
  body: string;
  /** Absolute link into the console. */
  url: string;
  mobile?: string | null;
  email?: string | null;
}

export interface SendResult {
  ok: boolean;
  /** The provider's answer (status and body, or the SMTP reply), kept for the admin list. Never the message. */
  answer: string;
  /** A failure that retrying cannot fix. */
  permanent: boolean;
}

/** An SMS gateway: one interface, so another provider is one more class. */
export interface SmsProvider {
  send(req: { to: string; text: string; messageId: string }): Promise<SendResult>;
}

/**
 * A provider's answer as kept and logged: at most `n` characters, and any mobile number, e-mail address
 * or ID number it echoes masked (a gateway may quote the number it refused).
 */
export function clip(s: string, n = 500): string {
  const scrubbed = s
    .replace(/\d{17}[\dXx]/g, (m) => maskIdNumber(m))
    .replace(/(?<!\d)1[3-9]\d{9}(?!\d)/g, (m) => maskPhone(m))
    .replace(/[\w.+-]+@([\w-]+\.[\w.-]+)/g, (_m, domain: string) => `***@${domain}`);
  return scrubbed.length > n ? `${scrubbed.slice(0, n)}…` : scrubbed;
}

/** Posts JSON and reads the answer as text; network errors and timeouts become a retryable result. */
async function postJson(url: string, body: unknown, timeoutMs: number, headers: Record<string, string> = {}): Promise<{ status: number; text: string } | SendResult> {
  try {
    const res = await fetch(url, {
      method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, text: await res.text() };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === 'TimeoutError' ? 'timeout' : err.cause?.code ?? err.cause?.message ?? err.message;
    return { ok: false, permanent: false, answer: `network: ${clip(String(why), 200)}` };
  }
}

/** The robots' `{errcode, errmsg}` answer: ok at errcode 0; their busy / rate-limit codes are retryable. */
function robotResult(r: { status: number; text: string } | SendResult, retryableCodes: readonly number[]): SendResult {
  if ('ok' in r) return r;
  const answer = `HTTP ${r.status} ${clip(r.text)}`;
  if (r.status >= 500 || r.status === 429) return { ok: false, permanent: false, answer };
  if (r.status < 200 || r.status >= 300) return { ok: false, permanent: true, answer };
  let code: unknown;
  try {
    code = (JSON.parse(r.text) as { errcode?: unknown }).errcode;
  } catch {
    return { ok: false, permanent: true, answer };
  }
  if (code === 0) return { ok: true, permanent: false, answer };
  return { ok: false, permanent: !retryableCodes.includes(Number(code)), answer };
}

/** WeCom group robot (markdown message). */
export async function sendWecom(c: NotifyConfig, m: OutgoingMessage): Promise<SendResult> {
  const content = `**【上门代办】${m.title}**\n${m.body}\n[查看详情](${m.url})`;
  // -1: system busy; 45009: rate limit reached.
  return robotResult(await postJson(c.wecomWebhookUrl!, { msgtype: 'markdown', markdown: { content } }, c.httpTimeoutMs), [-1, 45009]);
}

/** DingTalk's 加签: base64(HMAC-SHA256(secret, `${timestamp}\n${secret}`)), URL-encoded. */
export function dingtalkSign(secret: string, timestamp: number): string {
  return encodeURIComponent(createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64'));
}

/** DingTalk group robot (markdown message, signed request). */
export async function sendDingtalk(c: NotifyConfig, m: OutgoingMessage, now = Date.now()): Promise<SendResult> {
  const base = c.dingtalkWebhookUrl!;
  const url = `${base}${base.includes('?') ? '&' : '?'}timestamp=${now}&sign=${dingtalkSign(c.dingtalkSecret!, now)}`;
  const markdown = { title: `【上门代办】${m.title}`, text: `#### 【上门代办】${m.title}\n\n${m.body}\n\n[查看详情](${m.url})` };
  // -1: system busy; 130101: sending too fast.
  return robotResult(await postJson(url, { msgtype: 'markdown', markdown }, c.httpTimeoutMs), [-1, 130101]);
}

/** The one SMS adapter: JSON over HTTP to a configured endpoint, with a bearer token when one is set. */
export class HttpSmsProvider implements SmsProvider {
  constructor(private readonly url: string, private readonly token: string | undefined, private readonly timeoutMs: number) {}

  async send(req: { to: string; text: string; messageId: string }): Promise<SendResult> {
    const r = await postJson(this.url, req, this.timeoutMs, this.token ? { authorization: `Bearer ${this.token}` } : {});
    if ('ok' in r) return r;
    const answer = `HTTP ${r.status} ${clip(r.text)}`;
    if (r.status >= 200 && r.status < 300) return { ok: true, permanent: false, answer };
    return { ok: false, permanent: r.status < 500 && r.status !== 429 && r.status !== 408, answer };
  }
}

/** The SMS text: short, the link last. */
export function smsText(m: OutgoingMessage): string {
  return `【上门代办】${m.title}：${m.body} ${m.url}`;
}

/** Email over SMTP; an SMTP 5xx refusal is permanent, a 4xx or a connection failure retryable. */
export async function sendEmail(c: NotifyConfig, m: OutgoingMessage): Promise<SendResult> {
  const transport = nodemailer.createTransport({
    url: c.smtpUrl, connectionTimeout: c.httpTimeoutMs, greetingTimeout: c.httpTimeoutMs, socketTimeout: c.httpTimeoutMs,
  });
  try {
    const info = await transport.sendMail({
      from: c.emailFrom, to: m.email!, subject: `【上门代办】${m.title}`,
      text: `${m.body}\n\n查看详情：${m.url}\n\n（本邮件由上门代办系统自动发送）`,
      messageId: `<${m.id}@doorstep.notifications>`,
    });
    return { ok: true, permanent: false, answer: clip(String(info.response ?? 'accepted')) };
  } catch (e) {
    const err = e as Error & { responseCode?: number; response?: string; code?: string };
    const answer = clip(err.response ?? `${err.code ?? err.name}: ${err.message}`);
    return { ok: false, permanent: typeof err.responseCode === 'number' && err.responseCode >= 500, answer };
  } finally {
    transport.close();
  }
}

/** Sends one message through `channel`. */
export async function sendThrough(channel: ExternalChannel, c: NotifyConfig, m: OutgoingMessage, sms?: SmsProvider): Promise<SendResult> {
  switch (channel) {
    case 'wecom': return sendWecom(c, m);
    case 'dingtalk': return sendDingtalk(c, m);
    case 'sms': {
      const provider = sms ?? new HttpSmsProvider(c.smsUrl!, c.smsToken, c.httpTimeoutMs);
      return provider.send({ to: m.mobile!, text: smsText(m), messageId: m.id });
    }
    case 'email': return sendEmail(c, m);
  }
}
