/**
 * Sends the calendar in force to every running case on this deployment's task queue through the
 * case workflow's setCalendar signal (workflows/caseEngine.ts recomputes the open deadline with it).
 * Open cases are found through Temporal visibility, in pages, and signalled a batch at a time; a
 * case that ended meanwhile is skipped. The signal carries the whole calendar, so sending it twice
 * is harmless: a failed broadcast is completed by saving the same year again.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { HolidayYear } from '../../domain/calendar';
import { CASE_WORKFLOW_TYPE, setCalendarSignal } from '../../workflows/contract';

/** Signals sent at once. */
const BATCH = 25;

export async function broadcastCalendar(temporal: Client, taskQueue: string, calendar: HolidayYear[]): Promise<{ signalled: number; failed: number }> {
  const query = `WorkflowType = '${CASE_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replace(/'/g, "''")}'`;
  let signalled = 0;
  let failed = 0;
  let batch: string[] = [];
  const flush = async () => {
    const results = await Promise.allSettled(batch.map((id) => temporal.workflow.getHandle(id).signal(setCalendarSignal, { calendar })));
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
