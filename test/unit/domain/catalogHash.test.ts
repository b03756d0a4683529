/** CI guard: a released catalog version's content never changes (its deadlines belong to running cases). */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../domain/catalog';
import { CATALOG_CONTENT_HASHES, CATALOGS } from '../../../domain/caseFlow';

/** JSON with object keys sorted and undefined members left out: the same content always hashes the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
const contentHash = (c: unknown) => createHash('sha256').update(canonical(c)).digest('hex');

describe('catalog content hashes', () => {
  it('every catalog version has a stored hash, and only those', () => {
    expect(Object.keys(CATALOG_CONTENT_HASHES).sort()).toEqual(Object.keys(CATALOGS).sort());
  });

  it.each(Object.keys(CATALOGS))('catalog %s still has the content it was released with', (version) => {
    expect(contentHash(CATALOGS[version]), `catalog ${version} changed: put the change in a new CATALOG_VERSION`).toBe(CATALOG_CONTENT_HASHES[version]);
  });

  it('a changed deadline changes the hash', () => {
    const edited = structuredClone(CATALOG);
    edited.items[0].actions[0].steps[0].deadlineWorkingDays += 1;
    expect(contentHash(edited)).not.toBe(contentHash(CATALOG));
  });
});
