/**
 * Whether each Temporal Schedule ran as it should (GET /v1/admin/schedules): missing (never created: the
 * worker creates them at start), paused, a run due in the past that did not start, runs Temporal skipped
 * past the catch-up window, or a last run whose workflow failed. Each problem is one Chinese sentence.
 */
import type { Client } from '@temporalio/client';
import { SCHEDULE_IDS } from '../../temporal/schedules';

export interface ScheduleHealth {
  schedule: string;
  exists: boolean;
  paused: boolean;
  lastRun: string | null;
  lastRunStatus: string | null;
  nextRun: string | null;
  missedRuns: number;
  problems: string[];
}

/** A next run this far in the past means the schedule did not fire (the server or its scheduler was down). */
const LATE_MS = 10 * 60_000;

/** The health of one schedule. */
export async function scheduleHealthOf(temporal: Client, schedule: string, now: Date): Promise<ScheduleHealth> {
  let d;
  try {
    d = await temporal.schedule.getHandle(schedule).describe();
  } catch {
    return { schedule, exists: false, paused: false, lastRun: null, lastRunStatus: null, nextRun: null, missedRuns: 0, problems: ['计划任务不存在：请启动 worker（启动时自动创建）'] };
  }
  const problems: string[] = [];
  const last = d.info.recentActions.at(-1);
  const next = d.info.nextActionTimes[0];
  let lastRunStatus: string | null = null;
  if (last && 'workflow' in last.action) {
    try {
      const wf = await temporal.workflow.getHandle(last.action.workflow.workflowId, undefined, { firstExecutionRunId: last.action.workflow.firstExecutionRunId }).describe();
      lastRunStatus = wf.status.name;
    } catch {
      lastRunStatus = 'UNKNOWN';
    }
  }
  if (d.state.paused) problems.push(`计划任务已暂停${d.state.note ? `（${d.state.note}）` : ''}，不会运行`);
  if (next && now.getTime() - next.getTime() > LATE_MS) problems.push(`应于 ${next.toISOString()} 运行，但未运行`);
  if (d.info.numActionsMissedCatchupWindow > 0) problems.push(`有 ${d.info.numActionsMissedCatchupWindow} 次运行因服务停止超出补跑时限而被跳过`);
  if (lastRunStatus && ['FAILED', 'TIMED_OUT', 'TERMINATED', 'CANCELLED'].includes(lastRunStatus)) problems.push(`上次运行（${last!.takenAt.toISOString()}）未成功：${lastRunStatus}`);
  return {
    schedule, exists: true, paused: d.state.paused, lastRun: last?.takenAt.toISOString() ?? null, lastRunStatus,
    nextRun: next?.toISOString() ?? null, missedRuns: d.info.numActionsMissedCatchupWindow, problems,
  };
}

/** The health of every doorstep schedule (`idPrefix` for tests that create their own). */
export function scheduleHealth(temporal: Client, now: Date, idPrefix = ''): Promise<ScheduleHealth[]> {
  return Promise.all(Object.values(SCHEDULE_IDS).map((id) => scheduleHealthOf(temporal, `${idPrefix}${id}`, now)));
}
