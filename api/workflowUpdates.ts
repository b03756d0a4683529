/**
 * The one way the API sends an update to a case or plan workflow, and the one mapping from an update's
 * failure to a problem:
 * - rejected by the workflow (a step not allowed now) → 409 with the workflow's Chinese reason;
 *   a worker acting on a case not assigned to them → 403;
 * - the workflow has ended (not found) → what the caller says (`onEnded`: a 409, or the first answer
 *   again for a retry of the request that ended it; 404 when there was never such a workflow);
 * - no answer within {@link UPDATE_DEADLINE_MS} (the workflow's task is failing, or its projection is
 *   waiting for the database) → 503 with a Chinese detail and Retry-After, never a 500 or a hang.
 */
import {
  WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client, type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { PLAN_STEP_NOT_ALLOWED } from '../workflows/planContract';
import { NOT_ASSIGNEE, STEP_NOT_ALLOWED } from '../workflows/contract';
import { conflict, forbidden, HttpProblem } from './problem';

/** How long an HTTP step waits for its update before answering 503. */
export const UPDATE_DEADLINE_MS = 20_000;

/** 503: the workflow did not answer in time. */
export const unavailable = (detail: string) => new HttpProblem(503, '暂时无法处理 Service Unavailable', detail);

const isNotFound = (e: unknown) => e instanceof WorkflowNotFoundError || (e as Error | undefined)?.name === 'WorkflowNotFoundError';

/** The problem an update failure becomes, or undefined when it is none of the known ones (the caller rethrows). */
export function updateProblem(e: unknown, fallbackReason: string): HttpProblem | undefined {
  if (e instanceof WorkflowUpdateFailedError) {
    const cause = e.cause;
    if (cause instanceof ApplicationFailure && cause.type === NOT_ASSIGNEE) return forbidden(cause.message);
    if (cause instanceof ApplicationFailure && (cause.type === STEP_NOT_ALLOWED || cause.type === PLAN_STEP_NOT_ALLOWED)) return conflict(cause.message);
    return conflict(cause?.message || fallbackReason);
  }
  if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return unavailable('案件（计划）暂时无法处理：工作流未能在规定时间内完成此操作（可能正在等待数据库恢复，或工作流任务异常已通知督办），请稍后重试');
  }
  return undefined;
}

/**
 * Sends one update and waits at most {@link UPDATE_DEADLINE_MS} for its answer. `onEnded` answers when
 * the workflow has ended (it may return the first answer to a retried request, or throw a problem).
 */
export async function sendUpdate<Ret, Args extends [unknown, ...unknown[]]>(
  client: Client,
  handle: WorkflowHandle,
  def: UpdateDefinition<Ret, Args>,
  options: { args: Args; updateId?: string },
  how: { fallbackReason: string; onEnded: () => Promise<Ret> },
): Promise<Ret> {
  try {
    return await client.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () => handle.executeUpdate(def, options));
  } catch (e) {
    if (isNotFound(e)) return how.onEnded();
    const problem = updateProblem(e, how.fallbackReason);
    if (problem) throw problem;
    throw e;
  }
}
