/** What /v1/workbench and /v1/me/tasks answer: today's counts, and the caller's own assigned cases. */
import { z } from 'zod';
import { allowedAction, caseRowView } from './cases';
import { day, instant } from './common';

const count = z.number().int();

export const workbenchView = z.object({
  asOf: instant,
  today: day.describe('今天（北京时间）'),
  scope: z.object({
    open: count.describe('在办'),
    overdue: count.describe('逾期'),
    greenChannel: count.describe('绿色通道在办'),
    onHold: count.describe('暂停中'),
    awaitingAssignment: count.describe('待分派'),
    awaitingVisit: count.describe('待上门'),
    awaitingReview: count.describe('待审核'),
    awaitingDelivery: count.describe('待送达'),
    supplementsOutstanding: count.describe('容缺材料待补'),
    dueToday: count.describe('今天到期'),
    openedToday: count.describe('今天开案'),
    closedToday: count.describe('今天办结'),
  }).describe('权限范围内的案件'),
  mine: z.object({
    assigned: count.describe('本人经办的在办案件'),
    visitsToday: count.describe('今天预约的上门'),
    overdue: count.describe('本人经办且逾期'),
  }),
});

export const TASK_BUCKETS = ['past', 'today', 'week', 'later', 'unscheduled'] as const;

export const taskList = z.object({
  asOf: instant,
  today: day,
  week: z.object({ from: day, to: day }).describe('本周（周一至周日，北京时间）'),
  counts: z.object({ past: count, today: count, week: count, later: count, unscheduled: count }),
  items: z.array(caseRowView.extend({
    bucket: z.enum(TASK_BUCKETS).describe('past：预约时间已过未登记；today：今天；week：本周稍后；later：下周及以后；unscheduled：未预约'),
    visitDay: day.nullable().describe('预约上门的日期（北京时间）'),
    allowedActions: z.array(allowedAction),
  })),
});
