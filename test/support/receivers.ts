/**
 * Real local receivers for the notification channels: an HTTP server standing in for the WeCom and
 * DingTalk robots and the SMS gateway (each request recorded, answered by a handler the test sets),
 * and an SMTP server (smtp-server) that records or refuses messages.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { SMTPServer } from 'smtp-server';

export interface ReceivedRequest { path: string; query: URLSearchParams; headers: IncomingMessage['headers']; body: any; text: string; at: number }

/** What a handler answers: a status and a JSON body; `drop` closes the connection without answering. */
export type Answer = { status: number; body: unknown } | { drop: true };

export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** The answer per request (default: WeCom/DingTalk-style success). */
  handler: (req: ReceivedRequest, res: ServerResponse) => Answer | Promise<Answer>;
  close: () => Promise<void>;
}

export const ROBOT_OK: Answer = { status: 200, body: { errcode: 0, errmsg: 'ok' } };

/** An HTTP receiver on 127.0.0.1 (a free port). */
export async function startHttpReceiver(): Promise<HttpReceiver> {
  const r: HttpReceiver = {
    url: '', requests: [], handler: () => ROBOT_OK,
    close: async () => { server.closeAllConnections(); server.close(); await once(server, 'close'); },
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const u = new URL(req.url ?? '/', 'http://x');
    let body: unknown;
    try { body = JSON.parse(text); } catch { body = undefined; }
    const rec: ReceivedRequest = { path: u.pathname, query: u.searchParams, headers: req.headers, body, text, at: Date.now() };
    r.requests.push(rec);
    const answer = await r.handler(rec, res);
    if ('drop' in answer) {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  r.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return r;
}

/** Whether a DingTalk request carries a valid 加签 for `secret` (as DingTalk checks it). */
export function dingtalkSignatureValid(req: ReceivedRequest, secret: string): boolean {
  const ts = req.query.get('timestamp');
  const sign = req.query.get('sign');
  if (!ts || !sign) return false;
  const expected = createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64');
  return sign === expected;
}

export interface ReceivedMail { from: string; to: string[]; raw: string; headers: Record<string, string>; text: string }

export interface SmtpReceiver { url: string; messages: ReceivedMail[]; close: () => Promise<void> }

/** Decodes the text part of a simple nodemailer message (quoted-printable or base64, UTF-8). */
function decodeBody(raw: string): { headers: Record<string, string>; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const body = raw.slice(split + 4);
  const enc = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  let text = body;
  if (enc === 'base64') text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => `%${h}`);
    text = decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
  }
  return { headers, text };
}

/** An SMTP server without authentication on 127.0.0.1; recipients for which `refuse` is true get 550. */
export async function startSmtpReceiver(refuse: (rcpt: string) => boolean = () => false): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onRcptTo(address, _session, cb) {
      if (refuse(address.address)) {
        const err = Object.assign(new Error('5.7.1 Recipient address rejected: policy'), { responseCode: 550 });
        cb(err);
        return;
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((a) => a.address), raw, ...decodeBody(raw),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { url: `smtp://127.0.0.1:${port}`, messages, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
