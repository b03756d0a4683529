/** CI guard: db/schema.ts and the committed migrations agree (drizzle-kit generate would write nothing). */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const migrations = join(root, 'db', 'migrations');
// drizzle-kit takes `--out` relative to the working directory, so the copy lives inside the project (git-ignored).
const copy = join(root, '.test-data', `drift-${process.pid}`);
afterAll(() => rmSync(copy, { recursive: true, force: true }));

const files = (dir: string) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

describe('drizzle schema drift', () => {
  it('drizzle-kit generate produces no migration from db/schema.ts', () => {
    mkdirSync(join(root, '.test-data'), { recursive: true });
    rmSync(copy, { recursive: true, force: true });
    cpSync(migrations, copy, { recursive: true });
    const out = execFileSync(join(root, 'node_modules', '.bin', 'drizzle-kit'), [
      'generate', '--dialect', 'postgresql', '--schema', './db/schema.ts', '--out', relative(root, copy),
    ], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(files(copy), `db/schema.ts drifted from db/migrations: run npm run db:generate\n${out}`).toEqual(files(migrations));
    expect(readFileSync(join(copy, 'meta', '_journal.json'), 'utf8')).toBe(readFileSync(join(migrations, 'meta', '_journal.json'), 'utf8'));
  }, 60_000);
});
