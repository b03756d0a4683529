/**
 * serviceCase: one service item for one person, from assignment to ledger.
 * (Foundation slice: opens the case and projects it; the full lifecycle builds on this.)
 */
import { condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  cancelCaseUpdate, getCaseStateQuery, SA, type CaseEvent, type CaseInput, type CaseState,
} from './contract';

const { projectCase } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '1 minute' },
});

export async function serviceCase(input: CaseInput): Promise<CaseState> {
  const state: CaseState = {
    input,
    status: 'open',
    step: 'assignment',
    greenChannel: input.greenChannel,
    onHold: false,
    overdue: false,
    escalationLevel: 0,
    events: [],
  };

  /** Appends an event and projects it into the read model. */
  async function record(type: string, actor: string | undefined, data?: Record<string, unknown>): Promise<void> {
    const event: CaseEvent = { seq: state.events.length + 1, type, at: new Date().toISOString(), actor, step: state.step, data };
    state.events.push(event);
    await projectCase({ event, state });
  }

  setHandler(getCaseStateQuery, () => state);
  setHandler(cancelCaseUpdate, async ({ actor, reason }) => {
    state.status = 'cancelled';
    await record('cancelled', actor, { reason });
    return state;
  }, {
    validator: (_req) => {
      if (state.status !== 'open') throw new Error(`case is ${state.status}`);
    },
  });

  upsertSearchAttributes([
    { key: SA.county, value: input.county },
    { key: SA.department, value: input.department },
    { key: SA.item, value: input.itemCode },
    { key: SA.step, value: state.step },
    { key: SA.greenChannel, value: input.greenChannel },
    { key: SA.overdue, value: false },
  ]);
  await record('opened', input.openedBy, { surveyId: input.surveyId });
  await condition(() => state.status !== 'open');
  return state;
}
