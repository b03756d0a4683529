/**
 * Log capture for tests: a pino destination that keeps every line. The Temporal runtime of each test
 * process logs into {@link runtimeLogs} (installed by test/setup.ts, warnings echoed to stderr as the
 * SDK's default logger did); a test may lower {@link runtimeLogger}'s level to capture everything.
 */
import { createServer } from 'node:net';
import { createLogger } from '../../logger';

/** A pino destination that keeps each line (and echoes warnings and errors to stderr when asked). */
export class LogCapture {
  readonly lines: string[] = [];
  /** Lines at this pino level or above are echoed to stderr (a test expecting failures may raise it). */
  constructor(public echoFromLevel = Infinity) {}
  write(line: string): void {
    this.lines.push(line);
    if ((JSON.parse(line) as { level: number }).level >= this.echoFromLevel) process.stderr.write(line);
  }
  /** The captured lines, parsed. */
  records(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

/** What the Temporal runtime of this test process logs (workflows, activities, the SDK). */
export const runtimeLogs = new LogCapture(40);
export const runtimeLogger = createLogger({ level: 'warn', name: 'test-worker', destination: runtimeLogs });

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The port of this test process's Temporal SDK metrics (Prometheus), set by test/setup.ts. */
export const temporalMetrics = { port: 0 };
