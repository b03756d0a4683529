/**
 * /v1/workbench and /v1/me/tasks: what a person sees first each day.
 * - workbench: today's counts of the cases in the caller's scope (read model), and of their own.
 * - 我的任务: the caller's own open assigned cases, each with the subject's address and phones, the
 *   visit being arranged, and what they may do now; grouped by the visit's day (today, later this week …).
 *   Phones are masked unless `?unmask=true` (roles that may unmask; audited as
 *   personal_data.assigned_contacts: a worker phones the people on their own list, api/audit.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addDaysToDate, shanghaiDate, startOfShanghaiDay, weekStart } from '../../domain/calendar';
import { cases } from '../../db/schema';
import { openAssignedCases, todaysCounts } from '../../db/queries/workbench';
import type { CaseState } from '../../workflows/contract';
import { revealAssignedContacts } from '../audit';
import { currentUser, scopeWhere } from '../auth';
import { nextVisitAt, presentCaseRow } from '../presenters/case';
import { presentSubjectContact } from '../presenters/subject';
import { problemResponses } from '../schemas/common';
import { TASK_BUCKETS, taskList, workbenchView } from '../schemas/workbench';
import { allowedActions } from '../services/casePermissions';
import type { AppDeps } from '../types';

const tasksQuery = z.object({ unmask: z.enum(['true', 'false']).optional() }).strict();

/** A task's group by the day of its visit. */
function bucketOf(visitDay: string | null, today: string, weekEnd: string): (typeof TASK_BUCKETS)[number] {
  if (visitDay === null) return 'unscheduled';
  if (visitDay < today) return 'past';
  if (visitDay === today) return 'today';
  return visitDay <= weekEnd ? 'week' : 'later';
}

export async function workbenchRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  r.get('/workbench', {
    schema: { tags: ['workbench'], summary: '工作台：今天的案件数（权限范围内，及本人经办）', response: { 200: workbenchView, ...problemResponses } },
  }, async (request) => {
    const user = currentUser(request);
    const now = deps.now();
    const today = shanghaiDate(now);
    const start = startOfShanghaiDay(today);
    const end = startOfShanghaiDay(addDaysToDate(today, 1));
    const scope = await todaysCounts(db, scopeWhere(user, cases.county, cases.department), start, end);
    const mine = (await openAssignedCases(db, user.id, scopeWhere(user, cases.county, cases.department))).map((row) => row.c);
    return {
      asOf: now.toISOString(),
      today,
      scope,
      mine: {
        assigned: mine.length,
        visitsToday: mine.filter((m) => { const at = nextVisitAt(m.state as CaseState); return at !== null && shanghaiDate(new Date(at)) === today; }).length,
        overdue: mine.filter((m) => m.overdue).length,
      },
    };
  });

  r.get('/me/tasks', {
    schema: {
      tags: ['workbench'], summary: '我的任务：本人经办的在办案件，含服务对象地址、电话（?unmask=true 显示完整电话，记审计）和预约上门时间，按上门日期分组',
      querystring: tasksQuery, response: { 200: taskList, ...problemResponses },
    },
  }, async (request) => {
    const user = currentUser(request);
    const now = deps.now();
    const today = shanghaiDate(now);
    const week = { from: weekStart(today), to: addDaysToDate(weekStart(today), 6) };
    const rows = await openAssignedCases(db, user.id, scopeWhere(user, cases.county, cases.department));
    const unmasked = await revealAssignedContacts(db, request, user, [...new Set(rows.map((row) => row.s.id))]);
    const items = rows.map((row) => {
      const visit = nextVisitAt(row.c.state as CaseState);
      const visitDay = visit ? shanghaiDate(new Date(visit)) : null;
      return {
        ...presentCaseRow(row.c, presentSubjectContact(row.s, unmasked)),
        bucket: bucketOf(visitDay, today, week.to),
        visitDay,
        allowedActions: allowedActions(user, row.c.state as CaseState),
      };
    });
    // By the visit's time (unscheduled last), then green channel first, then the step's deadline.
    const key = (t: (typeof items)[number]) => [t.nextVisitAt ?? '9999', t.greenChannel ? 0 : 1, t.dueAt ?? '9999'] as const;
    items.sort((a, b) => {
      const [ka, kb] = [key(a), key(b)];
      return ka[0].localeCompare(kb[0]) || ka[1] - kb[1] || ka[2].localeCompare(kb[2]);
    });
    const counts = Object.fromEntries(TASK_BUCKETS.map((b) => [b, items.filter((t) => t.bucket === b).length])) as Record<(typeof TASK_BUCKETS)[number], number>;
    return { asOf: now.toISOString(), today, week, counts, items };
  });
}
