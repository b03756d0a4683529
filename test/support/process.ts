/** Child processes for tests: spawned with their output kept, waited for, stopped; and a free port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

export interface TestProcess {
  child: ChildProcess;
  /** Every line it printed (stdout and stderr), for assertions and for failure messages. */
  lines: string[];
  /** Resolves with the exit code (or the signal's name) once it has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop: (graceMs?: number) => Promise<void>;
}

export function startProcess(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): TestProcess {
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (d: Buffer) => { for (const line of String(d).split('\n')) if (line) lines.push(line); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(kill);
  };
  return { child, lines, exited, stop };
}

/** Polls `check` until it is true; fails after `ms`, or at once if `proc` exits, with its last lines. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, ms: number, proc?: TestProcess): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (proc && proc.child.exitCode !== null) throw new Error(`${what}: the process exited with ${proc.child.exitCode}\n${proc.lines.slice(-30).join('\n')}`);
    if (await Promise.resolve().then(check).catch(() => false)) return;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms\n${proc?.lines.slice(-30).join('\n') ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
