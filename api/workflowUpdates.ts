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
  ServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client, type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { PLAN_STEP_NOT_ALLOWED } from '../workflows/planContract';
import { NOT_ASSIGNEE, STEP_NOT_ALLOWED } from '../workflows/contract';
import { conflict, forbidden, HttpProblem } from './problem';
import { isFailing } from './services/failingWorkflows';

/** How long an HTTP step waits for its update before answering 503 (config UPDATE_TIMEOUT_MS). */
export const UPDATE_DEADLINE_MS = 20_000;

const FAILING_DETAIL = '案件（计划）的工作流任务持续失败，此操作未生效；已列入督办“工作流异常”清单（GET /v1/supervision/failing），请联系技术人员处理后重试';
const TEMPORAL_DOWN_DETAIL = '流程引擎暂时不可用，此操作未生效，请稍后用同一 Idempotency-Key 重试';
const WAITING_DETAIL = '案件（计划）暂时无法处理：工作流未能在规定时间内完成此操作（可能正在等待数据库恢复），请稍后用同一 Idempotency-Key 重试';

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
  if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return unavailable(WAITING_DETAIL);
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
  how: { fallbackReason: string; onEnded: () => Promise<Ret>; deadlineMs?: number },
): Promise<Ret> {
  try {
    return await client.withDeadline(Date.now() + (how.deadlineMs ?? UPDATE_DEADLINE_MS), () => handle.executeUpdate(def, options));
  } catch (e) {
    if (isNotFound(e)) return how.onEnded();
    // No answer in time: say whether the workflow is failing (a bug to fix) or just slow (retry later).
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError && (await isFailing(client, handle.workflowId))) throw unavailable(FAILING_DETAIL);
    // Once Temporal has marked the workflow task failed it refuses updates at once (FAILED_PRECONDITION).
    if (e instanceof ServiceError && /Workflow Task in failed state/i.test(String((e.cause as Error | undefined)?.message ?? e.message))) throw unavailable(FAILING_DETAIL);
    // Temporal itself unreachable or overloaded: temporary as well.
    if (e instanceof ServiceError && [4, 8, 14].includes(Number((e.cause as { code?: number } | undefined)?.code))) throw unavailable(TEMPORAL_DOWN_DETAIL);
    const problem = updateProblem(e, how.fallbackReason);
    if (problem) throw problem;
    throw e;
  }
}
