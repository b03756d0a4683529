/**
 * The reporting Schedules on the dev server: created idempotently, described with their calendar
 * specs in Asia/Shanghai, and triggered: the monthly one freezes last month's ledgers, the quarterly
 * draft one drafts the current quarter's county tables. (A triggered Schedule runs at the server's
 * real time, so "last month" and "this quarter" are computed here from the same clock.)
 */
import { randomUUID } from 'node:crypto';
import type { ScheduleHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthRange, quarterOf } from '../../domain/calendar';
import { ledgerContentHash, findShare, ledgerBatches } from '../../db/queries/ledger';
import { ensureSchedules, SCHEDULE_IDS } from '../../temporal/schedules';
import { previousMonth, workingDaysLeft } from '../../workflows/reporting';
import { startStack, type TestStack } from '../support/env';
import { seedReadModel, shanghai } from '../support/generate';

let stack: TestStack;
const prefix = `t-${randomUUID().slice(0, 8)}-`;
let handles: ScheduleHandle[] = [];

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  for (const h of handles) await h.delete().catch(() => {});
  await stack?.close();
});

/** Triggers a schedule and returns the result of the workflow it started. */
async function triggerAndWait(handle: ScheduleHandle): Promise<any> {
  const before = (await handle.describe()).info.recentActions.length;
  await handle.trigger();
  for (let i = 0; i < 200; i++) {
    const d = await handle.describe();
    if (d.info.recentActions.length > before) {
      const action = d.info.recentActions[d.info.recentActions.length - 1].action;
      return stack.client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId).result();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the schedule did not start a workflow');
}

describe('reporting schedules', () => {
  it('are created once and updated in place, with their calendar specs in Asia/Shanghai', async () => {
    const taskQueue = stack.config.TEMPORAL_TASK_QUEUE;
    const ids = await ensureSchedules(stack.client, { taskQueue, idPrefix: prefix });
    expect(await ensureSchedules(stack.client, { taskQueue, idPrefix: prefix })).toEqual(ids);
    handles = ids.map((id) => stack.client.schedule.getHandle(id));
    const [monthly, draft, close] = await Promise.all(handles.map((h) => h.describe()));

    expect(monthly.scheduleId).toBe(`${prefix}${SCHEDULE_IDS.ledgerMonthly}`);
    expect(monthly.spec.timezone).toBe('Asia/Shanghai');
    expect(monthly.spec.calendars?.[0]).toMatchObject({
      dayOfMonth: [{ start: 1, end: 1, step: 1 }], hour: [{ start: 2, end: 2, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }],
    });
    expect(monthly.action).toMatchObject({ type: 'startWorkflow', workflowType: 'shareMonthlyLedgers', taskQueue });
    expect(monthly.policies.overlap).toBe('SKIP');

    expect(draft.spec.timezone).toBe('Asia/Shanghai');
    expect(draft.spec.calendars?.[0]).toMatchObject({
      month: [{ start: 'MARCH', end: 'MARCH', step: 1 }, { start: 'JUNE', end: 'JUNE', step: 1 }, { start: 'SEPTEMBER', end: 'SEPTEMBER', step: 1 }, { start: 'DECEMBER', end: 'DECEMBER', step: 1 }],
      dayOfMonth: [{ start: 15, end: 31, step: 1 }], hour: [{ start: 9, end: 9, step: 1 }],
    });
    expect(draft.action).toMatchObject({ workflowType: 'quarterlyStatistics', args: [{ phase: 'draft' }] });
    expect(close.spec.calendars?.[0]).toMatchObject({ dayOfMonth: [{ start: 1, end: 1, step: 1 }], hour: [{ start: 0, end: 0, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] });
    expect(close.action).toMatchObject({ workflowType: 'quarterlyStatistics', args: [{ phase: 'close' }] });
    // The next monthly run is on the 1st at 02:00 Shanghai time (18:00Z the day before).
    const next = monthly.info.nextActionTimes[0];
    expect(next.toISOString()).toMatch(/T18:00:00\.000Z$/);
    expect(new Date(next.getTime() + 8 * 3_600_000).getUTCDate()).toBe(1);
  });

  it('triggered, the monthly schedule freezes last month: every county department shared with its row count and hash', async () => {
    const month = previousMonth(new Date());
    const { start, end } = monthRange(month);
    // Some handled cases in 灵武市 MARKET_REGULATION last month (nobody else writes there).
    const data = await seedReadModel(stack.db, {
      seed: 41, prefix: `sch${randomUUID().slice(0, 6)}`, cases: 120, from: start, now: new Date(end.getTime() - 3_600_000),
      counties: ['640181'], departments: ['MARKET_REGULATION'],
    });
    const expectedRows = data.ledger.filter((l) => l.month === month).length;
    expect(expectedRows).toBeGreaterThan(0);

    const result = await triggerAndWait(handles[0]);
    expect(result.month).toBe(month);
    expect(result.created + result.existing).toBe(60);

    const key = { county: '640181', department: 'MARKET_REGULATION', month };
    const share = (await findShare(stack.db, key))!;
    const rows = [];
    for await (const b of ledgerBatches(stack.db, key)) rows.push(...b);
    expect(share).toMatchObject({ rowCount: expectedRows, contentHash: ledgerContentHash(rows), sharedBy: 'schedule' });
    await expect(stack.db.$client`update ledger_entries set row = '{}'::jsonb where id = ${rows[0].id}`).rejects.toMatchObject({ code: '55000' });
    // Triggered again, nothing changes.
    const again = await triggerAndWait(handles[0]);
    expect(again).toMatchObject({ month, created: 0, existing: 60 });
    expect((await findShare(stack.db, key))!.contentHash).toBe(share.contentHash);
  });

  it('triggered, the quarterly draft schedule drafts every county department table of the current quarter', async () => {
    const quarter = quarterOf(new Date());
    const result = await triggerAndWait(handles[1]);
    expect(result).toMatchObject({ phase: 'draft', quarter, drafted: 60, workingDaysLeft: workingDaysLeft(quarter, new Date()) });
    const rows = await stack.db.$client`select county, department, status, "table" from report_submissions where quarter = ${quarter} and level = 'county'`;
    expect(rows.length).toBe(60);
    expect(rows.every((r) => r.status === 'draft' && Array.isArray(r.table.rows))).toBe(true);
  });

  it('working days left in a quarter count today and stop at the quarter end (reminders at 5 and 1)', () => {
    expect(workingDaysLeft('2026-Q3', shanghai('2026-09-30', 9))).toBe(1);
    expect(workingDaysLeft('2026-Q3', shanghai('2026-09-23', 9))).toBe(5); // 23, 24, (中秋 25–27), 28, 29, 30
    expect(workingDaysLeft('2026-Q4', shanghai('2026-12-31', 23))).toBe(1);
    expect(previousMonth(shanghai('2026-01-01', 2))).toBe('2025-12');
  });
});
