/**
 * Per-test-process setup: the Temporal runtime, as bin/worker installs it (logger routed into pino,
 * SDK metrics on a Prometheus port), with the lines kept by test/support/logs.ts and warnings shown.
 */
import { installTemporalRuntime } from '../temporal/telemetry';
import { freePort, runtimeLogger, temporalMetrics } from './support/logs';

temporalMetrics.port = await freePort();
try {
  installTemporalRuntime({ logger: runtimeLogger, metricsAddress: `127.0.0.1:${temporalMetrics.port}` });
} catch {
  // Already installed in this process.
}
