/**
 * What a power cut leaves behind, found and cleared before `npm run dev` starts again: which process
 * holds a TCP port (Linux /proc; elsewhere unknown), whether a pid is alive and what it runs, and
 * stopping a leftover process of ours (an orphaned PostgreSQL or Temporal dev server whose parent died).
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcessInfo { pid: number; command: string }

/** Whether `pid` is a live process (a zombie counts as dead). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists, owned by another user.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** The command line of `pid` (arguments joined by spaces), or undefined when unknown. */
export function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}

/** Socket inodes listening on `port` (IPv4 and IPv6), from /proc/net. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A: LISTEN
      if (Number.parseInt(cols[1].split(':').at(-1)!, 16) === port) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** The process listening on `port` on this machine, when /proc can tell (undefined: free, or not knowable). */
export function portOwner(port: number): ProcessInfo | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1])) return { pid: Number(entry), command: commandOf(Number(entry)) ?? '?' };
    }
  }
  return { pid: 0, command: '(another user’s process)' };
}

/** Sends SIGTERM (or `signal`), waits up to `graceMs` for the process to end, then SIGKILL; resolves once it is gone. */
export async function stopProcess(pid: number, graceMs = 15_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const gone = async (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (!isAlive(pid)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return !isAlive(pid);
  };
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  if (await gone(graceMs)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await gone(5000);
}

/** Thrown when a restart cannot recover by itself: the message says what to do. */
export class RecoveryError extends Error {}

/**
 * Makes sure `port` is free for `what`. A listener whose command line `ours` recognises (a leftover of
 * an earlier run on the same data folder) is stopped; anyone else's is a {@link RecoveryError} saying
 * who holds it and which variable moves us elsewhere.
 */
export async function freePortFor(port: number, what: string, envVar: string, ours: (command: string) => boolean, log: (msg: string) => void): Promise<void> {
  const owner = portOwner(port);
  // Our own listener (the Temporal runtime binds its metrics port as soon as it is installed) is no leftover.
  if (!owner || owner.pid === process.pid) return;
  if (owner.pid > 0 && ours(owner.command)) {
    log(`${what}: port ${port} is held by a leftover process of an earlier run (pid ${owner.pid}); stopping it`);
    await stopProcess(owner.pid);
    if (!portOwner(port)) return;
  }
  throw new RecoveryError(
    `${what}: port ${port} is in use by ${owner.pid > 0 ? `pid ${owner.pid} (${owner.command.slice(0, 160)})` : 'another process'}. `
    + `Stop that process (kill ${owner.pid > 0 ? owner.pid : '<pid>'}), or start on another port: ${envVar}=<port> npm run dev`,
  );
}
