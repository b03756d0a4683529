/**
 * The Idempotency-Key header: a retried request carries the same key and gets the first answer; the
 * same key sent with a different request (another body, another path) is refused with 422 and why.
 *
 * Every mutating request that carries a key is recorded in `idempotency_keys` (per user) before its
 * handler runs, with a fingerprint of its method, path and canonical JSON body. A request that was
 * refused (4xx: nothing applied) releases its key, so a corrected request may use it again; a 2xx or
 * 5xx (perhaps applied) keeps it. What a retry gets back is the route's business (cases and plans start
 * once, steps apply once: their workflow ids and update ids derive from the key).
 */
import { createHash } from 'node:crypto';
import { and, eq, isNull, or, sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import type { Db } from '../db/client';
import { canonicalJson } from '../domain/canonicalJson';
import { idempotencyKeys } from '../db/schema';
import { badRequest, HttpProblem } from './problem';

const idempotencyKey = z.string().min(8).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces, 8-200 characters');

/** Reads and validates the Idempotency-Key header (undefined when absent). */
export function readIdempotencyKey(headers: Record<string, unknown>): string | undefined {
  const raw = headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const parsed = idempotencyKey.safeParse(raw);
  if (!parsed.success) throw badRequest('Idempotency-Key 无效', [{ path: 'headers.idempotency-key', message: parsed.error.issues[0].message }]);
  return parsed.data;
}

/** The fingerprint of a request: method, path with query, canonical body (a multipart upload's body is not read here). */
export function requestFingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${url}\n${canonicalJson(body ?? null)}`).digest('hex');
}

/** 422: the key was first used for another request. */
export function keyReused(first: { method: string; path: string; createdAt: Date }): HttpProblem {
  const detail = `该 Idempotency-Key 已于 ${first.createdAt.toISOString()} 用于另一请求（${first.method} ${first.path}），同一键只能用于重试完全相同的请求；新的请求请使用新的 Idempotency-Key`;
  return new HttpProblem(422, '幂等键与请求不符 Unprocessable Content', detail, [{ path: 'headers.idempotency-key', message: 'already used for a different request', code: 'idempotency_key_reused' }]);
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The Idempotency-Key record this request holds (set by {@link idempotencyPlugin}); `retry`: an earlier
     * attempt of this very request was recorded (its answer may have been lost: a route may answer it again).
     */
    idempotency?: { key: string; hash: string; retry: boolean };
  }
}

/** Records each mutating request's key before its handler, refuses a key reused for another request (422), and releases it after a 4xx. */
export const idempotencyPlugin = fp(async (app: FastifyInstance, opts: { db: Db }) => {
  const { db } = opts;
  app.addHook('preHandler', async (request: FastifyRequest) => {
    if (!MUTATING.has(request.method) || !request.user) return;
    const key = readIdempotencyKey(request.headers);
    if (!key) return;
    const path = request.url.split('?')[0];
    let hash: string;
    try {
      hash = requestFingerprint(request.method, request.url, request.body);
    } catch (err) {
      // Only a body nested past the stack's depth gets here (a route without a body schema took it as it came).
      if (!(err instanceof RangeError)) throw err;
      throw badRequest('请求体嵌套层级过深，无法处理', [{ path: 'body', message: 'nested too deeply' }]);
    }
    const userId = request.user.id;
    const inserted = await db.insert(idempotencyKeys).values({ userId, key, method: request.method, path, requestHash: hash })
      .onConflictDoNothing().returning({ key: idempotencyKeys.key });
    let retry = false;
    if (inserted.length === 0) {
      const [first] = await db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key))).limit(1);
      // Released between our insert and this read: a refused first attempt; this request goes ahead unrecorded.
      if (first && first.requestHash !== hash) throw keyReused(first);
      retry = Boolean(first);
    }
    request.idempotency = { key, hash, retry };
  });
  // Before the answer leaves (onSend): a client that got its 4xx and retries at once finds the key free.
  app.addHook('onSend', async (request, reply, payload) => {
    const held = request.idempotency;
    if (!held || !request.user) return payload;
    const status = reply.statusCode;
    const mine = and(eq(idempotencyKeys.userId, request.user.id), eq(idempotencyKeys.key, held.key), eq(idempotencyKeys.requestHash, held.hash));
    try {
      if (status >= 400 && status < 500) {
        // Refused, nothing applied: the key is free again, unless an earlier attempt was answered.
        await db.delete(idempotencyKeys).where(and(mine, isNull(idempotencyKeys.status)));
      } else {
        await db.update(idempotencyKeys).set({ status }).where(and(mine, or(isNull(idempotencyKeys.status), sql`${idempotencyKeys.status} >= 500`)));
      }
    } catch (err) {
      request.log.warn({ err, status }, 'could not record the Idempotency-Key outcome');
    }
    return payload;
  });
}, { name: 'doorstep-idempotency', dependencies: ['doorstep-auth'] });
