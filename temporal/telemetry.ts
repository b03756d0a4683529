/**
 * Telemetry of the Temporal side and the trace pipeline shared by every process.
 *
 * - {@link installTemporalRuntime}: Temporal's runtime logger routed into the one pino logger (workflow
 *   and activity lines carry workflowId, runId and, for cases, caseId), and the SDK's own metrics
 *   (workflow task latency, activity failures, pollers, slots) on a Prometheus endpoint of their own.
 *   It must run before the process opens any NativeConnection.
 * - {@link startTracing}: OpenTelemetry. Spans are exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is
 *   set; otherwise no tracer is installed and nothing is sent. Tests pass their own span processor.
 * - {@link clientInterceptors} / {@link workerTelemetryOptions}: the Temporal OpenTelemetry interceptors, so
 *   one trace runs from the HTTP request through the start/update call, the workflow and the activity
 *   to its SQL (db/tracing.ts). Only added while tracing is on.
 */
import { createRequire } from 'node:module';
import type { resources, tracing } from '@opentelemetry/sdk-node';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
// Types only at load time: the worker package (and its native core) loads when a runtime is installed.
import type { Runtime, WorkerOptions } from '@temporalio/worker';
import type { Logger } from '../logger';
import { instrumentPostgres } from '../db/tracing';
import { caseWorkflowId } from '../workflows/contract';

/** Temporal's runtime logger over pino; a case workflow's id (`case-<id>`) also gives the line its caseId. */
export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly logger: Logger) {}

  log(level: LogLevel, message: string, meta: LogMetadata = {}): void {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(meta)) if (LOGGED_META.has(k)) fields[k] = v;
    const caseId = typeof meta.workflowId === 'string' ? caseIdOf(meta.workflowId) : undefined;
    if (caseId) fields.caseId = caseId;
    if (meta.error !== undefined) fields.err = meta.error;
    if (meta.failure !== undefined) fields.err = meta.failure;
    this.logger[PINO_LEVEL[level]](fields, message);
  }
  trace(message: string, meta?: LogMetadata): void { this.log('TRACE', message, meta); }
  debug(message: string, meta?: LogMetadata): void { this.log('DEBUG', message, meta); }
  info(message: string, meta?: LogMetadata): void { this.log('INFO', message, meta); }
  warn(message: string, meta?: LogMetadata): void { this.log('WARN', message, meta); }
  error(message: string, meta?: LogMetadata): void { this.log('ERROR', message, meta); }
}

const CASE_PREFIX = caseWorkflowId('');
const caseIdOf = (workflowId: string) => (workflowId.startsWith(CASE_PREFIX) ? workflowId.slice(CASE_PREFIX.length) : undefined);

const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The SDK metadata a line keeps: identifiers and types only. Arguments, results and search attributes
 * (which could carry what a person sent) are never among them.
 */
const LOGGED_META = new Set([
  'sdkComponent', 'namespace', 'taskQueue', 'workflowId', 'runId', 'workflowType', 'activityId', 'activityType',
  'attempt', 'isLocal', 'durationMs', 'updateId', 'updateName', 'signalName', 'queryType', 'workerId', 'buildId', 'target',
]);

const TEMPORAL_LEVEL: Record<string, LogLevel> = { fatal: 'ERROR', error: 'ERROR', warn: 'WARN', info: 'INFO', debug: 'DEBUG', trace: 'TRACE', silent: 'ERROR' };

/**
 * Installs the Temporal runtime of this process: its logger (native Core lines forwarded too, at the
 * logger's level or WARN, whichever is higher) and, when `metricsAddress` is given (`host:port`), the
 * SDK's Prometheus exporter serving `/metrics` there.
 */
export function installTemporalRuntime(opts: { logger: Logger; metricsAddress?: string; shutdownSignals?: NodeJS.Signals[] }): Runtime {
  const level = TEMPORAL_LEVEL[opts.logger.level] ?? 'INFO';
  const coreLevel: LogLevel = level === 'ERROR' ? 'ERROR' : 'WARN';
  const { Runtime } = createRequire(import.meta.url)('@temporalio/worker') as typeof import('@temporalio/worker');
  return Runtime.install({
    logger: new PinoTemporalLogger(opts.logger),
    ...(opts.shutdownSignals ? { shutdownSignals: opts.shutdownSignals } : {}),
    telemetryOptions: {
      logging: { filter: { core: coreLevel, other: coreLevel }, forward: {} },
      ...(opts.metricsAddress ? { metrics: { prometheus: { bindAddress: opts.metricsAddress, useSecondsForDurations: true } } } : {}),
    },
  });
}

/** The trace pipeline of a process while tracing is on. */
export interface Tracing {
  processor: tracing.SpanProcessor;
  resource: resources.Resource;
  shutdown: () => Promise<void>;
}

let active: Tracing | undefined;

/**
 * Starts OpenTelemetry for this process when an OTLP endpoint is configured (or a test passes its own
 * span processor); returns undefined, and installs (or even loads) nothing, when neither is.
 */
export async function startTracing(opts: { serviceName: string; otlpEndpoint?: string; spanProcessor?: tracing.SpanProcessor }): Promise<Tracing | undefined> {
  if (active) return active;
  if (!opts.spanProcessor && !opts.otlpEndpoint) return undefined;
  const { NodeSDK, resources, tracing } = await import('@opentelemetry/sdk-node');
  const processor = opts.spanProcessor ?? new tracing.BatchSpanProcessor(await otlpExporter(opts.otlpEndpoint!));
  const resource = new resources.Resource({ 'service.name': opts.serviceName });
  const sdk = new NodeSDK({ resource, spanProcessors: [processor], instrumentations: [], autoDetectResources: false });
  sdk.start();
  instrumentPostgres();
  active = {
    processor, resource,
    shutdown: async () => {
      active = undefined;
      await sdk.shutdown();
    },
  };
  return active;
}

/** The OTLP/HTTP trace exporter (`<endpoint>/v1/traces`, like the OTel SDK's own reading of the variable). */
async function otlpExporter(endpoint: string): Promise<tracing.SpanExporter> {
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  return new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` });
}

/** Whether tracing is on in this process. */
export function tracingActive(): boolean {
  return active !== undefined;
}

/** The workflow client's interceptors: the start/update spans, their context sent in the headers. */
export function clientInterceptors(): { workflow: WorkflowClientInterceptor[] } | undefined {
  return active ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined;
}

/**
 * The worker's telemetry options: activity lines carry their workflow's run id (the SDK gives only the
 * workflow id); while tracing is on, workflows (spans exported through a sink) and activities are traced.
 */
export function workerTelemetryOptions(): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const runIdOnLines = (ctx: ActivityContext) => ({
    outbound: { getLogAttributes: (input: Record<string, unknown>, next: (i: Record<string, unknown>) => Record<string, unknown>) => next({ ...(ctx.info.workflowExecution ? { runId: ctx.info.workflowExecution.runId } : {}), ...input }) },
  });
  if (!active) return { interceptors: { activity: [runIdOnLines] } };
  return {
    interceptors: {
      workflowModules: [WORKFLOW_INTERCEPTORS],
      activity: [
        runIdOnLines,
        (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(active.processor, active.resource) },
  };
}

/** The interceptors-opentelemetry workflow module (bundled into the workflow code when tracing is on). */
export const WORKFLOW_INTERCEPTORS = createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');
