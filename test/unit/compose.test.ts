import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_KEYS, configSchema } from '../../config';

const root = resolve(import.meta.dirname, '..', '..');
const compose = parse(readFileSync(resolve(root, 'docker-compose.yml'), 'utf8'), { merge: true });

describe('docker-compose.yml agrees with the app configuration', () => {
  it('describes postgres, temporal, temporal-ui, api and worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'postgres', 'temporal', 'temporal-ui', 'worker']);
  });

  for (const name of ['api', 'worker']) {
    it(`${name}: every variable it sets is one the app reads, and the values pass the config schema`, () => {
      const env = compose.services[name].environment as Record<string, string>;
      const unknown = Object.keys(env).filter((k) => !(CONFIG_KEYS as string[]).includes(k));
      expect(unknown).toEqual([]);
      // Substitute the ${VAR:?…} placeholders as an operator would, then validate.
      const filled = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)
        .replace(/\$\{POSTGRES_PASSWORD[^}]*\}/g, 'secret')
        .replace(/\$\{PAYLOAD_KEYS[^}]*\}/g, `k1:${Buffer.alloc(32, 7).toString('base64')}`)
        .replace(/\$\{PUBLIC_URL:-([^}]*)\}/g, '$1')]));
      const parsed = configSchema.safeParse(filled);
      expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
      expect(parsed.data?.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(parsed.data?.DATABASE_URL).toContain('@postgres:5432/doorstep');
    });
  }

  it('the API and worker run the entry points that exist, on the same task queue', () => {
    for (const name of ['api', 'worker']) {
      const cmd = compose.services[name].command as string[];
      const entry = cmd.find((c) => c.startsWith('bin/'))!;
      expect(() => readFileSync(resolve(root, entry))).not.toThrow();
      expect(compose.services[name].environment.TEMPORAL_TASK_QUEUE).toBe('doorstep');
    }
  });

  it('the Temporal UI points at the codec endpoint the API serves and at the Temporal frontend', () => {
    const ui = compose.services['temporal-ui'].environment;
    expect(ui.TEMPORAL_ADDRESS).toBe(compose.services.api.environment.TEMPORAL_ADDRESS);
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toMatch(/\/codec$/);
  });
});
