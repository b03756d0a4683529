/**
 * The application's configuration, read from the environment once and validated.
 * bin/dev, bin/api, bin/worker and docker-compose.yml all speak these same variable names;
 * test/unit/compose.test.ts checks that docker-compose.yml sets no variable this schema does not know.
 */
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const configSchema = z.object({
  /** PostgreSQL connection string; when unset, bin/dev starts an embedded PostgreSQL in DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  /** Where bin/dev keeps the embedded PostgreSQL data and the Temporal dev server's SQLite file. */
  DATA_DIR: z.string().default('.data'),
  /** Port of the embedded PostgreSQL that bin/dev starts when DATABASE_URL is unset. */
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  /** host:port of the Temporal frontend; when unset, bin/dev starts the Temporal CLI dev server. */
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('doorstep'),
  /** Path of the `temporal` CLI (dev server); default: .tools/venv/bin/temporal, provisioned by bin/setup. */
  TEMPORAL_CLI_PATH: z.string().optional(),
  /** Path of the time-skipping test server; default: .tools/venv/bin/temporal-test-server. */
  TEMPORAL_TEST_SERVER_PATH: z.string().optional(),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPORAL_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  /** The Temporal Web UI address shown to users (links only). */
  TEMPORAL_UI_URL: z.string().optional(),
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /**
   * Which proxies' X-Forwarded-For to believe for the client address (rate limits, auth-failure limits):
   * `true` (any: only when the API is reachable through the proxy alone, as in docker-compose.yml) or a
   * comma-separated list of addresses/CIDRs. Unset: none.
   */
  TRUST_PROXY: z.string().optional(),
  /** Public base URL of the API (links in responses, Location headers). */
  PUBLIC_URL: z.string().optional(),
  /** Payload encryption keys: `keyId:base64key[,keyId:base64key...]`; the first encrypts, all decrypt. */
  PAYLOAD_KEYS: z.string().optional(),
  /** Comma-separated origins allowed by CORS; CORS is off when unset. */
  CORS_ORIGINS: z.string().optional(),
  /** Requests per minute per token (or per IP without one). */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  /** Failed authentications (no, unknown, expired or revoked token) per minute per client address before 429. */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().positive().default(30),
  /** The built browser console (web/, `npm run web:build`), served at `/`; default: web/dist of this checkout (or of the production build). */
  CONSOLE_DIR: z.string().optional(),
  /** Console sessions end after this many idle minutes (sliding) ... */
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(30),
  /** ... and at the latest this many hours after login. */
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().min(1).max(7 * 24).default(12),
  /** Records one user may see unmasked (ID numbers, phones; decoded workflows) in any 24 hours. */
  UNMASK_QUOTA_PER_DAY: z.coerce.number().int().positive().default(200),
  /** Exact ID-number searches one user may make per hour. */
  ID_SEARCH_PER_HOUR: z.coerce.number().int().positive().default(30),
  /** Largest accepted request body in bytes (JSON). Uploads have their own limit. */
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /**
   * Slow clients: a request whose headers are not all in within HEADERS_TIMEOUT_MS, or whose whole body
   * is not in within REQUEST_TIMEOUT_MS (uploads included: 50 MiB at ~4 Mbit/s fits), is cut off (408 and
   * the socket closed), so connections trickling bytes cannot pile up. Checked every second.
   */
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(120_000),
  /** Largest accepted evidence upload in bytes. */
  UPLOAD_LIMIT_BYTES: z.coerce.number().int().positive().default(50 * 1024 * 1024),
  /** Largest accepted roster file (subject import, XLSX or CSV) in bytes. */
  /** How long a step waits for its workflow's answer before a 503 (the update may still apply: retry with the same Idempotency-Key). */
  UPDATE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(20_000),
  IMPORT_LIMIT_BYTES: z.coerce.number().int().positive().default(30 * 1024 * 1024),
  /** Where uploaded evidence files are stored, content-addressed. */
  FILES_DIR: z.string().optional(),
  /** Where evidence files live: `local` (FILES_DIR, one machine) or `s3` (an S3-compatible bucket: MinIO, AWS S3...). */
  EVIDENCE_STORE: z.enum(['local', 's3']).default('local'),
  /** The S3 endpoint URL (e.g. http://minio:9000); unset means AWS S3 of S3_REGION. */
  S3_ENDPOINT: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  /** The bucket holding the evidence files (required with EVIDENCE_STORE=s3). */
  S3_BUCKET: z.string().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** Path-style addressing (`endpoint/bucket/key`), as MinIO and most S3-compatible servers want. */
  S3_FORCE_PATH_STYLE: bool.default(true),
  /**
   * /readyz counts a worker as polling when it polled the task queue this recently. Temporal long-polls
   * for up to a minute, so an idle, healthy worker can look a minute old: keep this above that.
   */
  READY_POLLER_MAX_AGE_MS: z.coerce.number().int().positive().default(90_000),
  /** The bound on a graceful shutdown (drain in-flight requests, let the worker finish its tasks); past it the process exits with status 1. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(25_000),
  /**
   * Where the metrics listeners bind: the API's /metrics (METRICS_PORT) and the worker's Temporal SDK
   * /metrics (TEMPORAL_METRICS_PORT). Never the public port: scrape them from the monitoring network.
   */
  METRICS_HOST: z.string().default('127.0.0.1'),
  /** Port of the API's /metrics (HTTP and business metrics); 0 turns the listener off. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Port of the worker's /metrics (the Temporal SDK's Prometheus exporter); 0 turns it off. */
  TEMPORAL_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
  /** OTLP/HTTP collector base URL (e.g. http://otel-collector:4318); traces are sent only when it is set. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Notifications (README "Notifications"). The external channels a user may choose are those configured
   * here; the in-app inbox always works. Links in messages start with PUBLIC_URL (default: the API's address).
   */
  /** WeCom (企业微信) group robot webhook URL (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…). */
  NOTIFY_WECOM_WEBHOOK_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  /** DingTalk (钉钉) group robot webhook URL (https://oapi.dingtalk.com/robot/send?access_token=…) and its 加签 secret (SEC…). */
  NOTIFY_DINGTALK_WEBHOOK_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  NOTIFY_DINGTALK_SECRET: z.string().optional(),
  /** The SMS gateway endpoint (JSON `{to, text, messageId}` is POSTed to it) and its bearer token. */
  NOTIFY_SMS_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  NOTIFY_SMS_TOKEN: z.string().optional(),
  /** SMTP server for email (smtp://user:pass@host:587 or smtps://…:465), and the sender address. */
  NOTIFY_SMTP_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  NOTIFY_EMAIL_FROM: z.string().default('上门代办 <doorstep@localhost>'),
  /** Quiet hours in Asia/Shanghai (HH:mm-HH:mm): SMS is held until they end. Equal times: none. */
  NOTIFY_QUIET_HOURS: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'HH:mm-HH:mm, e.g. 21:00-08:00').default('21:00-08:00'),
  /** Attempts per external delivery before it is listed as failed, and the first retry's delay (doubling, at most 10 minutes). */
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
  NOTIFY_RETRY_INITIAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  /** Timeout of one webhook, SMS or SMTP exchange. */
  NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
  /** Load the demo data (users, subjects, cases) on start when the database has none. */
  DEMO_DATA: bool.default(false),
});

export type Config = z.infer<typeof configSchema>;

/** Where notifications go: the channels' settings (activities/notifications/channels.ts uses them). */
export interface NotifyConfig {
  /** Base of the links in messages (the console's address). */
  publicUrl: string;
  wecomWebhookUrl?: string;
  dingtalkWebhookUrl?: string;
  dingtalkSecret?: string;
  smsUrl?: string;
  smsToken?: string;
  smtpUrl?: string;
  emailFrom: string;
  /** 'HH:mm-HH:mm' in Asia/Shanghai: SMS waits until they end. */
  quietHours: string;
  /** Attempts per delivery before it is marked failed, and the first retry's delay (it doubles, up to 10 minutes). */
  maxAttempts: number;
  retryInitialMs: number;
  httpTimeoutMs: number;
}

/** The external channels configured (those a user may choose); a channel without its settings is unavailable. */
export function availableChannels(c: NotifyConfig): Array<'wecom' | 'dingtalk' | 'sms' | 'email'> {
  const out: Array<'wecom' | 'dingtalk' | 'sms' | 'email'> = [];
  if (c.wecomWebhookUrl) out.push('wecom');
  if (c.dingtalkWebhookUrl && c.dingtalkSecret) out.push('dingtalk');
  if (c.smsUrl) out.push('sms');
  if (c.smtpUrl) out.push('email');
  return out;
}

/** The notification settings from the configuration. */
export function notifyConfig(c: Config): NotifyConfig {
  return {
    publicUrl: c.PUBLIC_URL ?? `http://${c.API_HOST}:${c.API_PORT}`,
    wecomWebhookUrl: c.NOTIFY_WECOM_WEBHOOK_URL,
    dingtalkWebhookUrl: c.NOTIFY_DINGTALK_WEBHOOK_URL,
    dingtalkSecret: c.NOTIFY_DINGTALK_SECRET,
    smsUrl: c.NOTIFY_SMS_URL,
    smsToken: c.NOTIFY_SMS_TOKEN,
    smtpUrl: c.NOTIFY_SMTP_URL,
    emailFrom: c.NOTIFY_EMAIL_FROM,
    quietHours: c.NOTIFY_QUIET_HOURS,
    maxAttempts: c.NOTIFY_MAX_ATTEMPTS,
    retryInitialMs: c.NOTIFY_RETRY_INITIAL_MS,
    httpTimeoutMs: c.NOTIFY_TIMEOUT_MS,
  };
}

/** Reads and validates the configuration; exits with a readable message on a bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The variable names the application reads (used by the docker-compose agreement test). */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof Config)[];
