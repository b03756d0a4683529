/**
 * Graceful shutdown of a process (bin/api, bin/worker, bin/dev). On SIGTERM or SIGINT the `stop` steps
 * run once, in order: the HTTP server stops accepting and lets in-flight requests finish, the worker
 * finishes its tasks, connections close. When they have not finished within SHUTDOWN_TIMEOUT_MS the
 * process exits with status 1 anyway (an orchestrator must never wait on a hung drain); otherwise 0.
 */
import type { Logger } from '../logger';

export interface ShutdownOptions {
  logger: Logger;
  /** The bound on the whole drain (SHUTDOWN_TIMEOUT_MS). */
  timeoutMs: number;
  /** Runs once, on the first signal (or the first call of the returned function). */
  stop: () => Promise<void>;
  signals?: NodeJS.Signals[];
}

/** Installs the signal handlers; returns `shutdown(code)` for the process's own fatal paths. */
export function installShutdown(opts: ShutdownOptions): (code?: number) => Promise<never> {
  let stopping: Promise<never> | undefined;
  const shutdown = (code = 0): Promise<never> => (stopping ??= (async () => {
    const started = Date.now();
    opts.logger.info({ timeoutMs: opts.timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      opts.logger.error({ timeoutMs: opts.timeoutMs }, 'shutdown did not finish within the bound; exiting');
      process.exit(1);
    }, opts.timeoutMs);
    let status = code;
    try {
      await opts.stop();
    } catch (err) {
      opts.logger.error({ err }, 'shutdown step failed');
      status = status || 1;
    }
    clearTimeout(timer);
    opts.logger.info({ durationMs: Date.now() - started }, 'stopped');
    process.exit(status);
  })());
  // A second signal while draining changes nothing: the bound already holds.
  for (const sig of opts.signals ?? (['SIGINT', 'SIGTERM'] as const)) process.on(sig, () => void shutdown(0));
  return shutdown;
}
