/** What /healthz, /readyz and the codec endpoint (/codec/decode, /codec/encode) answer. */
import { z } from 'zod';

export const liveness = z.object({ status: z.literal('ok') });
export const readiness = z.object({
  status: z.enum(['ready', 'not ready']),
  /** workflowWorker / activityWorker: some worker polled the task queue for that kind of task lately. */
  checks: z.object({ postgres: z.boolean(), temporal: z.boolean(), workflowWorker: z.boolean(), activityWorker: z.boolean() }),
});

/** Temporal's codec server protocol: payloads as base64 metadata and data. */
export const codecPayloads = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })),
});
