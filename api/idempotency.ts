/** The Idempotency-Key header: a retried request carries the same key and gets the first answer. */
import { z } from 'zod';
import { badRequest } from './problem';

const idempotencyKey = z.string().min(8).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces, 8-200 characters');

/** Reads and validates the Idempotency-Key header (undefined when absent). */
export function readIdempotencyKey(headers: Record<string, unknown>): string | undefined {
  const raw = headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const parsed = idempotencyKey.safeParse(raw);
  if (!parsed.success) throw badRequest('Idempotency-Key 无效', [{ path: 'headers.idempotency-key', message: parsed.error.issues[0].message }]);
  return parsed.data;
}
