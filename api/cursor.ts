/**
 * The one cursor of every keyset-paginated list: base64url of a JSON array holding the sort key of a
 * page's last row. Decoding is strict, because a cursor comes back from the client: each part must
 * have the kind the list declares, instants must be real ones PostgreSQL can hold, and anything else
 * (garbage base64, wrong types, a date like +275760-09-13) is a 400 problem on `querystring.cursor`,
 * never a query that fails with a 500.
 */
import { badRequest } from './problem';

/** The kinds of part a cursor may hold. */
export interface CursorKinds {
  /** An instant as `Date.toISOString()` writes it, years 1000–9999. */
  instant: Date;
  /** An instant or null (e.g. a case with no due time). */
  instantOrNull: Date | null;
  /** A timestamptz in PostgreSQL's text form (`2026-01-02 03:04:05.123456+00`), kept as text for microsecond precision. */
  pgTimestamp: string;
  /** A row id or other key text (1–200 characters). */
  key: string;
  bool: boolean;
  /** A non-negative integer (e.g. a ledger serial number). */
  count: number;
}
export type CursorKind = keyof CursorKinds;
type Decoded<K extends readonly CursorKind[]> = { -readonly [I in keyof K]: CursorKinds[K[I]] };

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PG_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?\+00$/;

/** A real instant in `Date.toISOString()` form, or undefined. */
function instant(v: unknown): Date | undefined {
  if (typeof v !== 'string' || !ISO_INSTANT.test(v)) return undefined;
  const d = new Date(v);
  return !Number.isNaN(d.getTime()) && d.toISOString() === v && d.getUTCFullYear() >= 1000 ? d : undefined;
}

/** A real instant in PostgreSQL's UTC text form (2025-13-45 is refused, not sent to a ::timestamptz cast), or undefined. */
function pgTimestamp(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = PG_TIMESTAMP.exec(v);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const dt = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const real = y >= 1000 && dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d
    && dt.getUTCHours() === h && dt.getUTCMinutes() === mi && dt.getUTCSeconds() === s;
  return real ? v : undefined;
}

const NOT_PARSED = Symbol('not parsed');
const PARSERS: { [K in CursorKind]: (v: unknown) => CursorKinds[K] | typeof NOT_PARSED } = {
  instant: (v) => instant(v) ?? NOT_PARSED,
  instantOrNull: (v) => (v === null ? null : instant(v) ?? NOT_PARSED),
  pgTimestamp: (v) => pgTimestamp(v) ?? NOT_PARSED,
  key: (v) => (typeof v === 'string' && v.length >= 1 && v.length <= 200 ? v : NOT_PARSED),
  bool: (v) => (typeof v === 'boolean' ? v : NOT_PARSED),
  count: (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : NOT_PARSED),
};

const invalidCursor = () =>
  badRequest('分页游标无效 The cursor is not valid', [{ path: 'querystring.cursor', message: '分页游标无效，请使用上一页返回的 nextCursor' }]);

/** The cursor of a row whose sort key is `parts` (instants as ISO strings). */
export function encodeCursor(parts: ReadonlyArray<Date | string | number | boolean | null>): string {
  return Buffer.from(JSON.stringify(parts.map((p) => (p instanceof Date ? p.toISOString() : p)))).toString('base64url');
}

/** The sort key in `raw`, each part of the kind `kinds` names; a 400 problem on querystring.cursor otherwise. */
export function decodeCursor<const K extends readonly CursorKind[]>(raw: string, kinds: K): Decoded<K> {
  if (!/^[A-Za-z0-9_-]{1,1000}$/.test(raw)) throw invalidCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== kinds.length) throw invalidCursor();
  return kinds.map((kind, i) => {
    const v = PARSERS[kind](parsed[i]);
    if (v === NOT_PARSED) throw invalidCursor();
    return v;
  }) as Decoded<K>;
}
