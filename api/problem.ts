/**
 * Errors as application/problem+json (RFC 9457). Every error a client can cause maps to a 4xx with
 * the field and the reason; anything else is a 500 whose details stay in the log.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';

export interface FieldError { path: string; message: string; code?: string }

/** An error that becomes a problem+json response with this status. */
export class HttpProblem extends Error {
  constructor(
    public readonly status: number,
    public readonly title: string,
    public readonly detail?: string,
    public readonly errors?: FieldError[],
    public readonly extra?: Record<string, unknown>,
  ) {
    super(detail ?? title);
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) => new HttpProblem(400, '请求参数无效 Bad Request', detail, errors);
export const unauthorized = (detail = '需要有效的访问令牌 A valid bearer token is required') => new HttpProblem(401, '未认证 Unauthorized', detail);
export const forbidden = (detail = '当前角色无权执行此操作 Your role may not do this') => new HttpProblem(403, '无权限 Forbidden', detail);
export const notFound = (what = '资源') => new HttpProblem(404, '未找到 Not Found', `${what}不存在或不在您的权限范围内`);
export const conflict = (detail: string, extra?: Record<string, unknown>) => new HttpProblem(409, '当前状态不允许此操作 Conflict', detail, undefined, extra);

const TYPE_BASE = 'https://doorstep.example/problems/';

function send(reply: FastifyReply, status: number, body: Record<string, unknown>) {
  // A 503 is temporary: tell clients when to try again (with the same Idempotency-Key).
  if (status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '30');
  return reply.status(status).type('application/problem+json').send({ type: `${TYPE_BASE}${status}`, status, ...body });
}

/** Turns zod issues into field errors with dotted paths. */
export function zodFieldErrors(err: ZodError, prefix?: string): FieldError[] {
  return err.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.'),
    message: i.message,
    code: i.code,
  }));
}

/**
 * PostgreSQL unreachable, restarting or refusing connections (postgres.js connection errors, and the
 * server's own "shutting down / cannot connect now / too many clients" codes): temporary, a 503.
 */
const DB_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', '57P01', '57P02', '57P03', '53300']);
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && DB_UNAVAILABLE.has(e.code)) return true;
  }
  return false;
}

/**
 * Registers the one error handler and the 404 handler; `fallback` may answer a not-found request first
 * (the console's client-side routes, api/console.ts), returning undefined when it does not.
 */
export function registerErrorHandler(app: FastifyInstance, fallback?: (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined): void {
  app.setErrorHandler((error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpProblem) {
      return send(reply, error.status, { title: error.title, detail: error.detail, ...(error.errors ? { errors: error.errors } : {}), ...(error.extra ?? {}) });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = (error as { validationContext?: string }).validationContext ?? 'body';
      const errors = error.validation.map((v) => {
        const path = [where, ...String(v.instancePath ?? '').split('/').filter(Boolean)].join('.');
        return { path, message: v.message ?? 'invalid', code: (v.params as { issue?: { code?: string } })?.issue?.code };
      });
      return send(reply, 400, { title: '请求参数无效 Bad Request', detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors });
    }
    if (error instanceof ZodError) {
      const errors = zodFieldErrors(error);
      return send(reply, 400, { title: '请求参数无效 Bad Request', detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors });
    }
    const fe = error as FastifyError;
    const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: bad JSON, wrong content type, body too large, rate limit.
      return send(reply, status, { title: fe.code ?? 'Bad Request', detail: fe.message });
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ code: (error as { code?: string }).code, path: request.url.split('?')[0], method: request.method }, 'database unavailable');
      return send(reply, 503, { title: '暂时无法处理 Service Unavailable', detail: '数据库暂时不可用，此操作未生效，请稍后用同一 Idempotency-Key 重试' });
    }
    request.log.error({ err: error, path: request.url.split('?')[0], method: request.method }, 'unhandled error');
    return send(reply, 500, { title: '服务器内部错误 Internal Server Error', detail: `请求编号 ${request.id}` });
  });
  app.setNotFoundHandler((request, reply) => fallback?.(request, reply)
    ?? send(reply, 404, { title: '未找到 Not Found', detail: `${request.method} ${request.url.split('?')[0]} 不存在` }));
}
