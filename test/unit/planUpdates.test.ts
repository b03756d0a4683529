/**
 * A plan's updates go through the same mapping as a case's (api/workflowUpdates.ts sendUpdate): whatever
 * the plan workflow answers, the client gets a 409 with the reason, or the route's answer for an ended
 * workflow — never the raw error (which would be a 500).
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../api/problem';
import { sendUpdate } from '../../api/workflowUpdates';
import { PLAN_STEP_NOT_ALLOWED, recordSessionUpdate, withdrawPlanUpdate } from '../../workflows/planContract';

const client = { withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn() } as unknown as Client;
const failingWith = (error: unknown) => ({ workflowId: 'plan-p1', executeUpdate: async () => { throw error; } }) as unknown as WorkflowHandle;
const ended = () => { throw new HttpProblem(409, 'Conflict', '服务计划已结束（退出服务），不能再登记服务'); };
const session = { actor: 'u1', date: '2026-03-02', units: 60, providerStaff: '张医生', content: '康复训练' };

async function problemOf(error: unknown, def: typeof recordSessionUpdate | typeof withdrawPlanUpdate = recordSessionUpdate) {
  const args = def === withdrawPlanUpdate ? [{ actor: 'u1', reason: '迁出' }] : [session];
  try {
    await sendUpdate(client, failingWith(error), def as typeof recordSessionUpdate, { args: args as [typeof session] }, { fallbackReason: '不能登记服务', onEnded: async () => ended() });
  } catch (e) {
    return e;
  }
  throw new Error('the update did not fail');
}

describe('plan update failures', () => {
  it('a step the plan workflow refuses is a 409 with its Chinese reason', async () => {
    const p = await problemOf(new WorkflowUpdateFailedError('rejected', ApplicationFailure.create({ type: PLAN_STEP_NOT_ALLOWED, message: '服务日期 2026-03-09 晚于今天（2026-03-02），不能登记未来的服务' })));
    expect(p).toBeInstanceOf(HttpProblem);
    expect(p).toMatchObject({ status: 409, detail: '服务日期 2026-03-09 晚于今天（2026-03-02），不能登记未来的服务' });
  });

  it('any other failure of the update is a 409 too, not a 500', async () => {
    const withCause = await problemOf(new WorkflowUpdateFailedError('failed', ApplicationFailure.create({ type: 'Error', message: '本期已截止' })), withdrawPlanUpdate);
    expect(withCause).toMatchObject({ status: 409, detail: '本期已截止' });
    const bare = await problemOf(new WorkflowUpdateFailedError('failed', undefined));
    expect(bare).toMatchObject({ status: 409, detail: '不能登记服务' });
  });

  it('a plan whose workflow has ended answers what the route says', async () => {
    const p = await problemOf(new WorkflowNotFoundError('gone', 'plan-p1', undefined));
    expect(p).toMatchObject({ status: 409, detail: '服务计划已结束（退出服务），不能再登记服务' });
  });
});
