/**
 * The one logger: pino, JSON lines, used by the API (Fastify's request logger), the worker (Temporal's
 * runtime logger is routed into it, see temporal/telemetry.ts) and bin/dev.
 *
 * No personal data: request lines carry the method, the route template and the path without its query
 * string (searches put ID numbers and names in the query); bodies and headers are never logged; errors
 * keep their type, code, message and stack but not the fields a database error adds (`parameters`,
 * `query`, `detail`), which can hold the values a statement carried. Every line inside a traced span
 * carries its `traceId`, which ties the API's request lines to the worker's lines of the same request.
 */
import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

export type Logger = PinoLogger;

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Which process writes (`api`, `worker`, `dev`); every line carries it. */
  name?: string;
  /** Where lines go (default: stdout). Tests pass a capturing stream. */
  destination?: DestinationStream;
}

/** A request as Fastify hands it to the serializer. */
interface LoggedRequest { method?: string; url?: string; routeOptions?: { url?: string }; ip?: string }

/** Serializers that keep personal data out of every line. */
export const safeSerializers = {
  req: (req: LoggedRequest) => ({ method: req.method, route: req.routeOptions?.url, path: pathOnly(req.url) }),
  res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
  err: (err: unknown) => safeError(err),
};

/** Creates the process logger. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino({
    level: opts.level ?? 'info',
    base: { service: opts.name ?? 'doorstep' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: safeSerializers,
    // Defence in depth: should a caller ever log a request's headers, the token is not written.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.authorization'], censor: '[redacted]' },
    mixin: () => {
      const span = trace.getActiveSpan();
      return span ? { traceId: span.spanContext().traceId } : {};
    },
  }, opts.destination);
}

/** A URL's path without its query string. */
export function pathOnly(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** An error's type, code, message and stack (and its cause, likewise); nothing a statement carried. */
export function safeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as Error & { code?: unknown; statusCode?: unknown; cause?: unknown };
  return {
    type: e.constructor?.name ?? 'Error',
    message: e.message,
    ...(typeof e.code === 'string' || typeof e.code === 'number' ? { code: e.code } : {}),
    ...(typeof e.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
    stack: e.stack,
    ...(e.cause !== undefined && depth < 3 ? { cause: safeError(e.cause, depth + 1) } : {}),
  };
}
