/**
 * `npm run dev` as a child in a process group of its own, on ports and a data folder of the caller's,
 * so that a test (or the chaos suite) can cut its power: SIGKILL to the whole group, as a power cut
 * kills every process at once, then the same command again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

export interface DevPorts { api: number; temporal: number; temporalUi: number; postgres: number }

export interface DevRun {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | string>;
  /** Resolves once it printed that it is running; rejects if it exits first or after `ms`. */
  ready: (ms?: number) => Promise<void>;
  /** SIGKILL to the whole process group (npm, node, the Temporal dev server, PostgreSQL). */
  powerCut: () => Promise<void>;
  /** Ctrl-C: a clean stop of everything. */
  stop: () => Promise<void>;
}

/** The environment `npm run dev` gets: the data folder and ports given, no DATABASE_URL (embedded PostgreSQL). */
export function devEnv(dataDir: string, ports: DevPorts, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir, API_PORT: String(ports.api), TEMPORAL_PORT: String(ports.temporal), TEMPORAL_UI_PORT: String(ports.temporalUi),
    EMBEDDED_POSTGRES_PORT: String(ports.postgres), METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', LOG_LEVEL: 'warn', ...extra,
  };
  for (const key of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'NODE_OPTIONS']) if (!(key in extra)) delete env[key];
  return env;
}

/** Starts `npm run dev` (the README's run command) in its own process group. */
export function startDev(env: NodeJS.ProcessEnv): DevRun {
  const child = spawn('npm', ['run', 'dev'], { cwd: PROJECT_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let onLine: (() => void) | undefined;
  const keep = (d: Buffer) => {
    for (const line of String(d).split('\n')) if (line) lines.push(line);
    onLine?.();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const groupAlive = () => {
    try {
      process.kill(-child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  return {
    child, lines, exited,
    ready: (ms = 180_000) => new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`npm run dev not ready within ${ms} ms:\n${lines.slice(-30).join('\n')}`)), ms);
      const check = () => {
        if (lines.some((l) => l.includes('is running'))) { clearTimeout(timer); onLine = undefined; ok(); }
      };
      onLine = check;
      check();
      void exited.then((code) => { clearTimeout(timer); fail(new Error(`npm run dev exited (${code}) before it was ready:\n${lines.slice(-30).join('\n')}`)); });
    }),
    powerCut: async () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch { /* already gone */ }
      await exited;
      // Every process of the group gone (PostgreSQL's backends take a moment).
      for (let i = 0; i < 100 && groupAlive(); i++) await new Promise((r) => setTimeout(r, 100));
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, 'SIGINT');
        } catch { /* gone */ }
        const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 30_000);
        await exited;
        clearTimeout(timer);
      }
      for (let i = 0; i < 100 && groupAlive(); i++) await new Promise((r) => setTimeout(r, 100));
    },
  };
}
