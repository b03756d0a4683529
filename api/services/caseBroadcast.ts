/**
 * Sends what running cases must pick up to every running case on this deployment's task queue, as a
 * signal of the case workflow (workflows/caseEngine.ts):
 * - the calendar in force (setCalendar: the open deadline is recomputed with it), when an admin enters a year;
 * - the step-deadline rule in force (setPolicy: a passed deadline escalates only while the rule is
 *   enforced), when an admin changes `deadlines.steps`.
 * Open cases are found through Temporal visibility, in pages, and signalled a batch at a time; a case
 * that ended meanwhile is skipped. Each signal carries the whole thing (the calendar; the rule with its
 * version), so sending it twice is harmless: a failed broadcast is completed by saving again.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import type { HolidayYear } from '../../domain/calendar';
import { CASE_WORKFLOW_TYPE, setCalendarSignal, setPolicySignal, type StepDeadlineRule } from '../../workflows/contract';

/** Signals sent at once. */
const BATCH = 25;

export interface BroadcastResult { signalled: number; failed: number }

/** Sends `signal(arg)` to every running case on the task queue. */
async function broadcast<A>(temporal: Client, taskQueue: string, signal: SignalDefinition<[A]>, arg: A): Promise<BroadcastResult> {
  const query = `WorkflowType = '${CASE_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replace(/'/g, "''")}'`;
  let signalled = 0;
  let failed = 0;
  let batch: string[] = [];
  const flush = async () => {
    const results = await Promise.allSettled(batch.map((id) => temporal.workflow.getHandle(id).signal(signal, arg)));
    for (const r of results) {
      if (r.status === 'fulfilled') signalled++;
      else if (!(r.reason instanceof WorkflowNotFoundError)) failed++;
    }
    batch = [];
  };
  for await (const wf of temporal.workflow.list({ query })) {
    batch.push(wf.workflowId);
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length) await flush();
  return { signalled, failed };
}

/** The calendar in force, to every running case. */
export function broadcastCalendar(temporal: Client, taskQueue: string, calendar: HolidayYear[]): Promise<BroadcastResult> {
  return broadcast(temporal, taskQueue, setCalendarSignal, { calendar });
}

/** The step-deadline rule in force (its version, enforced or advisory), to every running case. */
export function broadcastStepDeadlineRule(temporal: Client, taskQueue: string, stepDeadlines: StepDeadlineRule): Promise<BroadcastResult> {
  return broadcast(temporal, taskQueue, setPolicySignal, { stepDeadlines });
}
