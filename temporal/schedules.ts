/**
 * The reporting Temporal Schedules, created or updated idempotently at start (bin/dev, bin/worker).
 * All in Asia/Shanghai time:
 *
 * - `doorstep-ledger-monthly-share`: the 1st of every month at 02:00 → shareMonthlyLedgers (the
 *   previous month's ledger of every county department is frozen and shared with the same-level DPF).
 * - `doorstep-statistics-quarterly-draft`: daily at 09:00 from the 15th to the end of the last month
 *   of each quarter (March, June, September, December) → quarterlyStatistics {phase: 'draft'}. A
 *   calendar spec cannot count working days, so it fires daily and the workflow decides with
 *   domain/calendar: every run refreshes the drafts (the first is ~10–12 working days before the
 *   quarter ends), and reminders go out when 5 and 1 working days are left.
 * - `doorstep-statistics-quarterly-close`: the 1st of January, April, July and October at 00:30 →
 *   quarterlyStatistics {phase: 'close'}: tables not submitted are marked late, and the city sums are
 *   shared with the city DPF.
 *
 * - `doorstep-reconcile-nightly`: daily at 03:30 → nightlyReconciliation (workflows/maintenance.ts): the
 *   read model is compared with every open and recently ended case and plan and repaired; the findings
 *   are listed at GET /v1/admin/reconciliation.
 *
 * Overlaps are skipped; a run missed while the cluster was down is caught up within 7 days.
 *
 * The notification Schedules (issue 19; ensured with the others by bin/worker and bin/dev):
 * - `doorstep-notifications-dispatch`: every 30 seconds → notificationDispatch (the outbox's new rows
 *   to their delivery workflows);
 * - `doorstep-notifications-scan`: every hour at :05 → notificationScan (visits tomorrow, steps and
 *   supplements due within one working day, quarterly tables reminded or late);
 * - `doorstep-notifications-digest`: daily at 08:00 Asia/Shanghai → notificationDigest (supervisors).
 * Missed dispatches and scans are not caught up one by one (the next run finds everything still due).
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { connectClient, type TemporalTarget } from './client';

export const SCHEDULE_TIMEZONE = 'Asia/Shanghai';

export const SCHEDULE_IDS = {
  ledgerMonthly: 'doorstep-ledger-monthly-share',
  statisticsDraft: 'doorstep-statistics-quarterly-draft',
  statisticsClose: 'doorstep-statistics-quarterly-close',
  reconcileNightly: 'doorstep-reconcile-nightly',
} as const;

/** The schedules' options for a task queue (`idPrefix` lets tests keep theirs apart). */
export function scheduleDefinitions(taskQueue: string, idPrefix = ''): ScheduleOptions[] {
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days' } as const;
  return [
    {
      scheduleId: `${idPrefix}${SCHEDULE_IDS.ledgerMonthly}`,
      spec: { calendars: [{ dayOfMonth: 1, hour: 2, minute: 0, comment: '每月1日02:00共享上月台账' }], timezone: SCHEDULE_TIMEZONE },
      action: { type: 'startWorkflow', workflowType: 'shareMonthlyLedgers', args: [{}], taskQueue, workflowId: `${idPrefix}ledger-monthly-share` },
      policies,
      memo: { description: '月度台账共享（冻结并与同级残联共享上月台账）' },
    },
    {
      scheduleId: `${idPrefix}${SCHEDULE_IDS.statisticsDraft}`,
      spec: {
        calendars: [{
          month: ['MARCH', 'JUNE', 'SEPTEMBER', 'DECEMBER'], dayOfMonth: { start: 15, end: 31 }, hour: 9, minute: 0,
          comment: '季度末月15日起每日09:00：生成/更新统计表草稿，临近截止催报',
        }],
        timezone: SCHEDULE_TIMEZONE,
      },
      action: { type: 'startWorkflow', workflowType: 'quarterlyStatistics', args: [{ phase: 'draft' }], taskQueue, workflowId: `${idPrefix}statistics-quarterly-draft` },
      policies,
      memo: { description: '季度统计表草稿与催报' },
    },
    {
      scheduleId: `${idPrefix}${SCHEDULE_IDS.statisticsClose}`,
      spec: {
        calendars: [{ month: ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'], dayOfMonth: 1, hour: 0, minute: 30, comment: '季度结束后：标记逾期未报，市级汇总并共享' }],
        timezone: SCHEDULE_TIMEZONE,
      },
      action: { type: 'startWorkflow', workflowType: 'quarterlyStatistics', args: [{ phase: 'close' }], taskQueue, workflowId: `${idPrefix}statistics-quarterly-close` },
      policies,
      memo: { description: '季度结束：逾期标记与市级汇总共享' },
    },
    {
      scheduleId: `${idPrefix}${SCHEDULE_IDS.reconcileNightly}`,
      spec: { calendars: [{ hour: 3, minute: 30, comment: '每日03:30核对读模型与工作流状态并修复' }], timezone: SCHEDULE_TIMEZONE },
      action: { type: 'startWorkflow', workflowType: 'nightlyReconciliation', args: [{}], taskQueue, workflowId: `${idPrefix}reconcile-nightly` },
      policies,
      memo: { description: '每日对账：读模型与工作流状态核对、修复' },
    },
  ];
}

export const NOTIFICATION_SCHEDULE_IDS = {
  dispatch: 'doorstep-notifications-dispatch',
  scan: 'doorstep-notifications-scan',
  digest: 'doorstep-notifications-digest',
} as const;

/** The notification schedules' options for a task queue. */
export function notificationScheduleDefinitions(taskQueue: string, idPrefix = ''): ScheduleOptions[] {
  const frequent = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' } as const;
  return [
    {
      scheduleId: `${idPrefix}${NOTIFICATION_SCHEDULE_IDS.dispatch}`,
      spec: { intervals: [{ every: '30 seconds' }] },
      action: { type: 'startWorkflow', workflowType: 'notificationDispatch', args: [], taskQueue, workflowId: `${idPrefix}notifications-dispatch` },
      policies: frequent,
      memo: { description: '通知外发：将新通知交给发送工作流' },
    },
    {
      scheduleId: `${idPrefix}${NOTIFICATION_SCHEDULE_IDS.scan}`,
      spec: { intervals: [{ every: '1 hour', offset: '5 minutes' }] },
      action: { type: 'startWorkflow', workflowType: 'notificationScan', args: [], taskQueue, workflowId: `${idPrefix}notifications-scan` },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
      memo: { description: '到期提醒：明日上门、一个工作日内到期、容缺材料到期、季度统计表催报与逾期' },
    },
    {
      scheduleId: `${idPrefix}${NOTIFICATION_SCHEDULE_IDS.digest}`,
      spec: { calendars: [{ hour: 8, minute: 0, comment: '每日08:00督导摘要' }], timezone: SCHEDULE_TIMEZONE },
      action: { type: 'startWorkflow', workflowType: 'notificationDigest', args: [], taskQueue, workflowId: `${idPrefix}notifications-digest` },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '6 hours' },
      memo: { description: '督导每日摘要' },
    },
  ];
}

/** Creates each schedule, or updates it in place when it exists (safe to run at every start). */
export async function ensureSchedules(client: Client, opts: { taskQueue: string; idPrefix?: string; notifications?: boolean }): Promise<string[]> {
  const ids: string[] = [];
  const defs = [
    ...scheduleDefinitions(opts.taskQueue, opts.idPrefix),
    ...(opts.notifications ? notificationScheduleDefinitions(opts.taskQueue, opts.idPrefix) : []),
  ];
  for (const def of defs) {
    try {
      await client.schedule.create(def);
    } catch (e) {
      if (!(e instanceof ScheduleAlreadyRunning)) throw e;
      const { scheduleId: _id, memo: _memo, ...update } = def;
      await client.schedule.getHandle(def.scheduleId).update((prev) => ({ ...prev, ...update, state: prev.state }));
    }
    ids.push(def.scheduleId);
  }
  return ids;
}

/** ensureSchedules over a connection of its own (for bin/worker, which has no workflow client). */
export async function ensureSchedulesAt(target: TemporalTarget, taskQueue: string): Promise<string[]> {
  const client = await connectClient(target);
  try {
    return await ensureSchedules(client, { taskQueue, notifications: true });
  } finally {
    await client.connection.close();
  }
}
