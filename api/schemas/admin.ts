/** What /v1/admin answers: the reconciliation's runs and findings, and the schedules' health. */
import { z } from 'zod';
import { instant, labelled } from './common';

export const reconciliationRun = z.object({
  id: z.string(),
  trigger: z.enum(['cli', 'schedule', 'api']),
  repair: z.boolean(),
  days: z.number().int(),
  startedAt: instant,
  finishedAt: instant.nullable(),
  casesChecked: z.number().int(),
  plansChecked: z.number().int(),
  findings: z.number().int(),
  repaired: z.number().int(),
  error: z.string().nullable(),
});

export const reconciliationView = z.object({
  asOf: instant,
  runs: z.array(reconciliationRun),
  /** The differences the latest run found, in the caller's scope. */
  findings: z.array(z.object({
    runId: z.string(),
    kind: z.enum(['case', 'plan']),
    id: z.string(),
    county: labelled.nullable(),
    department: labelled.nullable(),
    field: z.string(),
    readModel: z.string().nullable(),
    workflow: z.string().nullable(),
    repaired: z.boolean(),
    foundAt: instant,
  })),
});

export const scheduleList = z.object({
  asOf: instant,
  items: z.array(z.object({
    schedule: z.string(),
    exists: z.boolean(),
    paused: z.boolean(),
    lastRun: instant.nullable(),
    lastRunStatus: z.string().nullable(),
    nextRun: instant.nullable(),
    missedRuns: z.number().int(),
    problems: z.array(z.string()),
  })),
});
