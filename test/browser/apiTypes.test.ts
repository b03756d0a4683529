/**
 * The console's API types (web/src/api/schema.d.ts) are generated from the OpenAPI document the API
 * serves; this fails when a route changed and `npm run web:api-types` was not run, so the console and
 * the API cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateApiTypes, SCHEMA_PATH } from '../../web/scripts/apiTypes';

describe('the console\'s generated API types', () => {
  it('match the OpenAPI document the API serves now (run `npm run web:api-types` when this fails)', async () => {
    const committed = readFileSync(SCHEMA_PATH, 'utf8');
    const current = await generateApiTypes();
    expect(committed === current, 'web/src/api/schema.d.ts is stale: run `npm run web:api-types`').toBe(true);
    // The typed client covers what the console calls.
    for (const path of ['/v1/auth/login', '/v1/me', '/v1/cases/{id}', '/v1/cases/{id}/visit-report', '/v1/surveys', '/v1/subjects']) {
      expect(current).toContain(`"${path}": {`);
    }
  });
});
