/** api/cursor: the one cursor of every list round-trips its keys and refuses anything it did not make. */
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../api/cursor';
import { HttpProblem } from '../../api/problem';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function refused(raw: string, kinds: Parameters<typeof decodeCursor>[1]) {
  try {
    decodeCursor(raw, kinds);
  } catch (e) {
    expect(e).toBeInstanceOf(HttpProblem);
    const p = e as HttpProblem;
    expect(p.status).toBe(400);
    return p;
  }
  throw new Error(`cursor ${raw} was accepted`);
}

describe('api/cursor', () => {
  it('round-trips instants, nulls, keys, booleans and counts', () => {
    const at = new Date('2026-03-04T05:06:07.089Z');
    const [green, due, id] = decodeCursor(encodeCursor([true, at, 'case-1']), ['bool', 'instantOrNull', 'key']);
    expect(green).toBe(true);
    expect(due?.toISOString()).toBe(at.toISOString());
    expect(id).toBe('case-1');
    expect(decodeCursor(encodeCursor([false, null, 'x']), ['bool', 'instantOrNull', 'key'])).toEqual([false, null, 'x']);
    expect(decodeCursor(encodeCursor([42]), ['count'])).toEqual([42]);
    expect(decodeCursor(encodeCursor(['2026-01-02 03:04:05.123456+00', 'x']), ['pgTimestamp', 'key'])).toEqual(['2026-01-02 03:04:05.123456+00', 'x']);
  });

  it('answers 400 on querystring.cursor for garbage, wrong shapes, wrong types and impossible instants', () => {
    const cases: Array<[string, Parameters<typeof decodeCursor>[1]]> = [
      ['not base64 !', ['instant', 'key']],
      ['', ['instant', 'key']],
      [Buffer.from('{not json').toString('base64url'), ['instant', 'key']],
      [b64({ t: '2026-01-01T00:00:00.000Z', i: 'x' }), ['instant', 'key']],
      [b64(['2026-01-01T00:00:00.000Z']), ['instant', 'key']],
      [b64(['2026-01-01T00:00:00.000Z', 'x', 'y']), ['instant', 'key']],
      [b64(['+275760-09-13T00:00:00Z', 'x']), ['instant', 'key']],
      [b64(['+275760-09-13T00:00:00.000Z', 'x']), ['instant', 'key']],
      [b64(['2026-02-30T00:00:00.000Z', 'x']), ['instant', 'key']],
      [b64(['2026-01-01', 'x']), ['instant', 'key']],
      [b64([1767225600000, 'x']), ['instant', 'key']],
      [b64(['2026-01-01T00:00:00.000Z', 7]), ['instant', 'key']],
      [b64(['2026-01-01T00:00:00.000Z', '']), ['instant', 'key']],
      [b64(['2026-01-01T00:00:00.000Z', 'x'.repeat(201)]), ['instant', 'key']],
      [b64(['true', null, 'x']), ['bool', 'instantOrNull', 'key']],
      [b64([-1]), ['count']],
      [b64([1.5]), ['count']],
      [b64(['3']), ['count']],
      [b64(['2025-13-45 00:00:00+00', 'x']), ['pgTimestamp', 'key']],
      [b64(['2025-01-01 24:00:00+00', 'x']), ['pgTimestamp', 'key']],
    ];
    for (const [raw, kinds] of cases) {
      const p = refused(raw, kinds);
      expect(p.errors?.[0]?.path, raw).toBe('querystring.cursor');
    }
  });
});
