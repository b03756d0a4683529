/**
 * B2's reference: a workflow that takes `updates` updates and does nothing else (no activity, no
 * timer, no search attribute), then completes. It measures what Temporal itself costs for the same
 * number of round trips as a real case's lifecycle. Bench-only: never registered in production.
 */
import { allHandlersFinished, condition, defineUpdate, setHandler } from '@temporalio/workflow';

/** One step of the no-op lifecycle: answers the number of steps taken so far. */
export const noopStepUpdate = defineUpdate<number, [{ actor: string }]>('noopStep');

export interface NoopCaseInput { updates: number }

export async function noopCase(input: NoopCaseInput): Promise<number> {
  let taken = 0;
  setHandler(noopStepUpdate, () => ++taken);
  await condition(() => taken >= input.updates);
  await condition(allHandlersFinished);
  return taken;
}
