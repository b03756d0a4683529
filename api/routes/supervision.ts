/**
 * /v1/supervision: what supervisors, department heads and the DPF look at every day — overdue and
 * stuck cases, a summary, workload per worker, escalations and who acted on them. Read from the
 * indexed read model, scope-filtered in SQL; every "now" comes from deps.now.
 * Roles: supervisor, admin and coordinator (the coordinator runs the county department's desk).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ITEM_CODES } from '../../domain/catalog';
import { addDaysToDate, calendarWarnings, shanghaiDate, workingDaysBetween } from '../../domain/calendar';
import { effectiveCalendar } from '../../db/queries/calendar';
import { loadPolicy } from '../../db/queries/policy';
import { ruleOf } from '../../domain/policy';
import { COUNTY_CODES } from '../../domain/counties';
import { DEPARTMENT_CODES } from '../../domain/departments';
import { CASE_STEPS, type CaseStep } from '../../domain/vocabulary';
import {
  listEscalations, listFigureCases, listOverdue, listStuck, shanghaiWeek, summary, trend, workload, SUMMARY_FIGURES, TREND_FIGURES,
  type CaseFilters, type CaseListRow, type FigureSelection, type Scope, type SummaryRow,
} from '../../db/queries/supervision';
import type { AppDeps } from '../types';
import { currentUser, inScope, requireRole, type AuthUser } from '../auth';
import { failingScopes, listFailingWorkflows } from '../services/failingWorkflows';
import { actionL, countyL, departmentL, itemL, stepL } from '../export/labels';
import { decodeCursor, encodeCursor } from '../cursor';
import { badRequest } from '../problem';
import { problemResponses } from '../schemas/common';
import { escalationList, failingList, figureCaseList, overdueList, stuckList, supervisionSummary, supervisionTrend, workloadList } from '../schemas/supervision';

/** The caller's scope as the queries take it. */
export function scopeOf(user: AuthUser): Scope {
  return { counties: user.cityLevel ? 'all' : user.counties, departments: user.departments.length ? user.departments : 'all' };
}

const boolString = z.enum(['true', 'false']).transform((v) => v === 'true');

export const filterQuery = z.object({
  county: z.enum(COUNTY_CODES).optional(),
  department: z.enum(DEPARTMENT_CODES).optional(),
  item: z.enum(ITEM_CODES).optional(),
  step: z.enum(CASE_STEPS).optional(),
  assignee: z.string().min(1).max(64).optional().describe('经办人的用户编号；none 为未分派的案件'),
  greenChannel: boolString.optional(),
});
const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(500).optional(),
});

function filtersOf(q: z.infer<typeof filterQuery>): CaseFilters {
  return { county: q.county, department: q.department, item: q.item, step: q.step, assignee: q.assignee, greenChannel: q.greenChannel };
}

/** The keyset a list continues after (a 400 on querystring.cursor when the cursor is not one of ours). */
const afterKey = (cursor: string | undefined) => (cursor ? decodeCursor(cursor, ['instant', 'key']) : undefined);

function presentCaseRow(r: CaseListRow) {
  return {
    id: r.id,
    subject: { id: r.subjectId, name: r.subjectName },
    item: itemL(r.itemCode),
    action: actionL(r.itemCode, r.actionCode),
    county: countyL(r.county),
    department: departmentL(r.department),
    step: stepL(r.step),
    assignee: r.assignee ? { id: r.assignee, name: r.assigneeName ?? r.assignee } : null,
    greenChannel: r.greenChannel,
    onHold: r.onHold,
    escalationLevel: r.escalationLevel,
    dueAt: r.dueAt?.toISOString() ?? null,
    openedAt: r.openedAt.toISOString(),
    lastEventAt: r.lastEventAt.toISOString(),
  };
}

const rate = (num: number, den: number) => (den === 0 ? null : Math.round((num / den) * 1000) / 1000);

function presentSummaryRow(r: SummaryRow) {
  return {
    open: r.open, overdue: r.overdue, dueThisWeek: r.dueThisWeek, closedThisMonth: r.closedThisMonth,
    closedOnTimeThisMonth: r.closedOnTimeThisMonth, onTimeRate: rate(r.closedOnTimeThisMonth, r.closedThisMonth),
  };
}

export async function supervisionRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const roles = requireRole('supervisor', 'admin', 'coordinator');

  r.get('/supervision/overdue', {
    schema: { tags: ['supervision'], summary: '逾期案件（按逾期时长排序，游标分页）', querystring: filterQuery.extend(pageQuery.shape), response: { 200: overdueList, ...problemResponses } },
    preHandler: roles,
  }, async (request) => {
    const user = currentUser(request);
    const now = deps.now();
    const q = request.query;
    const res = await listOverdue(deps.db, scopeOf(user), filtersOf(q), now, q.limit, afterKey(q.cursor));
    // Past a step deadline, a local rule: a reminder unless the rule the case follows is enforced (the policy
    // in force for cases opened before the rule travelled with them).
    const deadlines = ruleOf(await loadPolicy(deps.db), 'deadlines.steps');
    return {
      asOf: now.toISOString(),
      items: res.items.map(({ ruleEnforced, ...row }) => ({
        ...presentCaseRow(row),
        late: { workingDays: workingDaysBetween(row.dueAt!, now), hours: Math.floor((now.getTime() - row.dueAt!.getTime()) / 3_600_000) },
        advisory: !(ruleEnforced ?? deadlines.enforced),
      })),
      nextCursor: res.next && encodeCursor(res.next),
    };
  });

  r.get('/supervision/stuck', {
    schema: {
      tags: ['supervision'], summary: '停滞案件：连续 N 个工作日无任何办理动作（按停滞时长排序）',
      querystring: filterQuery.extend(pageQuery.shape).extend({ days: z.coerce.number().int().min(1).max(250).default(5) }),
      response: { 200: stuckList, ...problemResponses },
    },
    preHandler: roles,
  }, async (request) => {
    const user = currentUser(request);
    const now = deps.now();
    const q = request.query;
    const res = await listStuck(deps.db, scopeOf(user), filtersOf(q), now, q.days, q.limit, afterKey(q.cursor));
    return {
      asOf: now.toISOString(),
      days: q.days,
      items: res.items.map((row) => ({ ...presentCaseRow(row), idleWorkingDays: workingDaysBetween(row.lastEventAt, now) })),
      nextCursor: res.next && encodeCursor(res.next),
    };
  });

  r.get('/supervision/summary', {
    schema: { tags: ['supervision'], summary: '督办汇总：在办、逾期、本周到期、本月办结、按时办结率（按县区、部门、事项）', querystring: filterQuery, response: { 200: supervisionSummary, ...problemResponses } },
    preHandler: roles,
  }, async (request) => {
    const user = currentUser(request);
    const now = deps.now();
    const rows = await summary(deps.db, scopeOf(user), filtersOf(request.query), now);
    const total = rows.find((x) => x.grouping === 'total');
    return {
      asOf: now.toISOString(),
      // Deadlines count working days: a year without its holidays counts every weekday (see /v1/calendar).
      calendarWarnings: calendarWarnings(await effectiveCalendar(deps.db), shanghaiDate(now)),
      totals: presentSummaryRow(total ?? { open: 0, overdue: 0, dueThisWeek: 0, closedThisMonth: 0, closedOnTimeThisMonth: 0 } as SummaryRow),
      byCounty: rows.filter((x) => x.grouping === 'county').sort((a, b) => a.county!.localeCompare(b.county!)).map((x) => ({ county: countyL(x.county!), ...presentSummaryRow(x) })),
      byDepartment: rows.filter((x) => x.grouping === 'department').sort((a, b) => a.department!.localeCompare(b.department!)).map((x) => ({ department: departmentL(x.department!), ...presentSummaryRow(x) })),
      byItem: rows.filter((x) => x.grouping === 'item').sort((a, b) => a.itemCode!.localeCompare(b.itemCode!)).map((x) => ({ item: itemL(x.itemCode!), ...presentSummaryRow(x) })),
      byCountyDepartment: rows.filter((x) => x.grouping === 'countyDepartment')
        .sort((a, b) => a.county!.localeCompare(b.county!) || a.department!.localeCompare(b.department!))
        .map((x) => ({ county: countyL(x.county!), department: departmentL(x.department!), ...presentSummaryRow(x) })),
    };
  });

  r.get('/supervision/trend', {
    schema: {
      tags: ['supervision'], summary: '每周趋势（北京时间周一至周日）：新开、办结、按时办结、按时办结率、新增超期',
      querystring: filterQuery.extend({ weeks: z.coerce.number().int().min(1).max(52).default(12) }),
      response: { 200: supervisionTrend, ...problemResponses },
    },
    preHandler: roles,
  }, async (request) => {
    const user = currentUser(request);
    const now = deps.now();
    const rows = await trend(deps.db, scopeOf(user), filtersOf(request.query), now, request.query.weeks);
    return {
      asOf: now.toISOString(),
      weeks: rows.map((w) => ({
        week: w.week, start: w.start.toISOString(), end: w.end.toISOString(),
        opened: w.opened, closed: w.closed, closedOnTime: w.closedOnTime, onTimeRate: rate(w.closedOnTime, w.closed), becameOverdue: w.becameOverdue,
      })),
    };
  });

  r.get('/supervision/cases', {
    schema: {
      tags: ['supervision'],
      summary: '督办看板数字背后的案件：汇总的一个数字（figure=open|overdue|dueThisWeek|closedThisMonth|closedOnTimeThisMonth），或趋势图某周的一个数字（figure=opened|closed|closedOnTime|becameOverdue&week=该周周一）；条数与该数字相等',
      querystring: filterQuery.extend(pageQuery.shape).extend({
        figure: z.enum([...SUMMARY_FIGURES, ...TREND_FIGURES]),
        week: z.iso.date().optional(),
      }),
      response: { 200: figureCaseList, ...problemResponses },
    },
    preHandler: roles,
  }, async (request) => {
    const user = currentUser(request);
    const now = deps.now();
    const q = request.query;
    const trendFigure = (TREND_FIGURES as readonly string[]).includes(q.figure);
    if (trendFigure && !q.week) throw badRequest('趋势数字须指明哪一周（week=该周周一）', [{ path: 'querystring.week', message: 'required for a weekly figure' }]);
    if (!trendFigure && q.week) throw badRequest('汇总数字不按周查询，请去掉 week', [{ path: 'querystring.week', message: 'only for a weekly figure' }]);
    // Compared as YYYY-MM-DD text before any date arithmetic (a year 0001 date must not reach it).
    const today = shanghaiDate(now);
    if (q.week && (q.week > today || q.week < addDaysToDate(today, -7 * 60))) {
      throw badRequest('所选周不在可查询范围内（只能查询过去 60 周内的周）', [{ path: 'querystring.week', message: 'out of range' }]);
    }
    const sel: FigureSelection = trendFigure ? { figure: q.figure as (typeof TREND_FIGURES)[number], week: q.week! } : { figure: q.figure as (typeof SUMMARY_FIGURES)[number] };
    const res = await listFigureCases(deps.db, scopeOf(user), filtersOf(q), now, sel, q.limit, afterKey(q.cursor));
    const w = 'week' in sel ? shanghaiWeek(sel.week) : null;
    const week = w && { start: w.start.toISOString(), end: (w.end > now ? now : w.end).toISOString() };
    return {
      asOf: now.toISOString(),
      figure: q.figure,
      week,
      items: res.items.map((row) => ({ ...presentCaseRow(row), closedAt: row.closedAt?.toISOString() ?? null, completedOnTime: row.completedOnTime })),
      nextCursor: res.next && encodeCursor(res.next),
    };
  });

  r.get('/supervision/failing', {
    schema: {
      tags: ['supervision'],
      summary: '工作流异常：任务连续失败、卡住不动的案件和服务计划（需技术人员处理；其上的办理操作返回 503）',
      response: { 200: failingList, ...problemResponses },
    },
    preHandler: roles,
  }, async (request) => {
    const user = currentUser(request);
    const failing = await listFailingWorkflows(deps.temporal);
    const scopes = await failingScopes(deps.db, failing);
    const items = failing.flatMap((f) => {
      const row = f.entityId ? scopes.get(f.entityId) : undefined;
      // A case or plan is shown within the caller's scope; workflows that are neither (reports, imports)
      // to city-level supervisors and admins.
      if (row ? !inScope(user, row.county, row.department) : !(user.cityLevel && user.role !== 'coordinator')) return [];
      return [{
        workflowId: f.workflowId, workflowType: f.type, kind: f.kind, id: f.entityId ?? null,
        problems: f.problems, startedAt: f.startedAt,
        item: row ? itemL(row.itemCode) : null,
        county: row ? countyL(row.county) : null,
        department: row ? departmentL(row.department) : null,
        step: row && f.kind === 'case' ? stepL(row.step as CaseStep) : null,
      }];
    });
    return { asOf: deps.now().toISOString(), total: items.length, items };
  });

  r.get('/supervision/workload', {
    schema: { tags: ['supervision'], summary: '工作人员在办案件量及其中逾期数', querystring: filterQuery, response: { 200: workloadList, ...problemResponses } },
    preHandler: roles,
  }, async (request) => {
    const user = currentUser(request);
    const now = deps.now();
    const rows = await workload(deps.db, scopeOf(user), filtersOf(request.query), now);
    return {
      asOf: now.toISOString(),
      items: rows.map((w) => ({
        assignee: w.assignee ? { id: w.assignee, name: w.assigneeName ?? w.assignee } : null,
        label: w.assignee ? w.assigneeName ?? w.assignee : '未分派',
        open: w.open, overdue: w.overdue, dueThisWeek: w.dueThisWeek, nextDueAt: w.nextDueAt?.toISOString() ?? null,
      })),
    };
  });

  r.get('/supervision/escalations', {
    schema: {
      tags: ['supervision'], summary: '督办升级记录（案件超期升级与服务计划未达标）及处置人',
      querystring: filterQuery.extend(pageQuery.shape).extend({
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
        acted: boolString.optional(),
        level: z.coerce.number().int().min(1).max(2).optional(),
      }),
      response: { 200: escalationList, ...problemResponses },
    },
    preHandler: roles,
  }, async (request) => {
    const user = currentUser(request);
    const q = request.query;
    const from = q.from ? new Date(q.from) : undefined;
    const to = q.to ? new Date(q.to) : undefined;
    if (from && to && from >= to) throw badRequest('起始时间须早于结束时间', [{ path: 'query.to', message: 'must be after from' }]);
    const res = await listEscalations(deps.db, scopeOf(user), { ...filtersOf(q), from, to, acted: q.acted, level: q.level }, q.limit, afterKey(q.cursor));
    // Step deadlines are a local rule (the plan sets none). The workflow escalates a passed deadline only
    // under the enforced rule and records it with the escalation; one raised before it did so (no rule
    // recorded) is a reminder unless the rule is enforced now (domain/policy.ts). Failed visits and missed
    // supplements are not step deadlines.
    const deadlines = ruleOf(await loadPolicy(deps.db), 'deadlines.steps');
    return {
      items: res.items.map((e) => {
        const stepDeadline = e.kind === 'case' && e.reason === 'step_overdue';
        const enforced = e.ruleEnforced ?? deadlines.enforced;
        return {
        kind: e.kind,
        advisory: stepDeadline && !enforced,
        rule: stepDeadline ? { key: deadlines.key, tag: deadlines.tag, enforced } : null,
        at: e.at.toISOString(),
        level: e.level,
        reason: e.reason,
        target: e.target ?? null,
        caseId: e.caseId,
        planId: e.planId,
        period: e.period,
        step: e.step ? stepL(e.step) : null,
        county: countyL(e.county),
        department: departmentL(e.department),
        item: itemL(e.itemCode),
        action: actionL(e.itemCode, e.actionCode),
        status: e.status,
        actedOn: e.actedBy ? { by: { id: e.actedBy, name: e.actedByName ?? e.actedBy }, at: e.actedAt!.toISOString(), with: e.actedWith } : null,
        };
      }),
      nextCursor: res.next && encodeCursor(res.next),
    };
  });
}
