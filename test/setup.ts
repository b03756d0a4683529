/** Per-worker test setup: keep the Temporal SDK's own logging to warnings. */
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Already installed in this worker.
}
