/**
 * /v1/calendar: the working-day calendar (节假日安排). Anyone may read the calendar in force and the
 * warnings; admins enter a year's holidays and make-up working days from the State Council's notice
 * (PUT /calendar/:year), validated and kept as versions in PostgreSQL (holiday_calendars), and every
 * running case on this deployment gets the new calendar through its setCalendar signal. New cases
 * take the calendar in force when they open (api/services/openCase.ts).
 *
 * Warnings: the current year without a calendar, or the next one starting within 60 days without
 * one (every weekday then counts as a working day). GET /calendar and GET /supervision/summary show them.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { calendarHistory, effectiveCalendar, enteredYears, saveCalendarYear } from '../../db/queries/calendar';
import { calendarWarnings, holidayYearProblems, isDateString, shanghaiDate, type HolidayYear } from '../../domain/calendar';
import { audit } from '../audit';
import { currentUser, requireRole } from '../auth';
import { badRequest, notFound } from '../problem';
import { broadcastCalendar } from '../services/caseBroadcast';
import { problemResponses } from '../schemas/common';
import { calendarHistoryView, calendarSaved, calendarView } from '../schemas/policy';
import type { AppDeps } from '../types';

const day = z.string().refine(isDateString, '应为 YYYY-MM-DD 格式的日期');
const name = z.string().trim().min(1, '不能为空').max(50);
const yearParams = z.object({ year: z.coerce.number().int().min(2000).max(2099) }).strict();

export const calendarYearBody = z.object({
  /** Where the dates come from, e.g. 国务院办公厅关于2027年部分节假日安排的通知. */
  source: z.string().trim().min(4, '请写明依据（国务院办公厅通知）').max(200),
  holidays: z.array(z.object({ name, from: day, to: day }).strict()).min(1, '至少一个假期').max(20),
  makeUpWorkdays: z.array(z.object({ date: day, for: name }).strict()).max(20),
}).strict();

export async function calendarRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/calendar', {
    schema: { tags: ['calendar'], summary: '现行节假日安排（代码内置年份与管理员录入年份）及缺少下一年安排的提醒', response: { 200: calendarView, ...problemResponses } },
  }, async () => {
    const [calendar, entered] = await Promise.all([effectiveCalendar(deps.db), enteredYears(deps.db)]);
    const byYear = new Map(entered.map((e) => [e.year, e]));
    return {
      years: calendar.map((y) => {
        const e = byYear.get(y.year);
        return {
          ...y, origin: e ? { code: 'entered', label: '管理员录入' } : { code: 'built_in', label: '系统内置' },
          version: e?.version ?? null, enteredBy: e?.enteredBy ?? null, enteredAt: e?.enteredAt.toISOString() ?? null,
        };
      }),
      warnings: calendarWarnings(calendar, shanghaiDate(deps.now())),
    };
  });

  r.get('/calendar/:year/history', {
    schema: { tags: ['calendar'], summary: '某年节假日安排的录入历史（各版本）', params: yearParams, response: { 200: calendarHistoryView, ...problemResponses } },
    preHandler: requireRole('admin'),
  }, async (request) => {
    const rows = await calendarHistory(deps.db, request.params.year);
    if (rows.length === 0) throw notFound('该年份的录入记录');
    return { year: request.params.year, versions: rows.map((v) => ({ ...v, holidays: v.holidays as HolidayYear['holidays'], makeUpWorkdays: v.makeUpWorkdays as HolidayYear['makeUpWorkdays'], enteredAt: v.enteredAt.toISOString() })) };
  });

  r.put('/calendar/:year', {
    schema: {
      tags: ['calendar'], summary: '录入某年的节假日与调休上班日（按国务院办公厅通知；保存为新版本并下发至办理中的案件）',
      params: yearParams, body: calendarYearBody,
      response: { 200: calendarSaved, 201: calendarSaved, ...problemResponses },
    },
    preHandler: requireRole('admin'),
  }, async (request, reply) => {
    const user = currentUser(request);
    const y: HolidayYear = { year: request.params.year, ...request.body };
    const problems = holidayYearProblems(y).map((p) => ({ path: `body.${p.path}`, message: p.message }));
    if (problems.length) throw badRequest(problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
    const saved = await saveCalendarYear(deps.db, y, user.id, deps.now());
    const calendar = await effectiveCalendar(deps.db);
    const sent = await broadcastCalendar(deps.temporal, deps.config.TEMPORAL_TASK_QUEUE, calendar);
    if (saved.created) {
      await audit(deps.db, { user, action: 'calendar.save', resourceType: 'calendar', resourceId: String(y.year), ip: request.ip, detail: { version: saved.version, ...sent } });
    }
    return reply.status(saved.created ? 201 : 200).send({
      year: y.year, version: saved.version, created: saved.created, ...sent,
      notice: sent.failed > 0
        ? `已保存；${sent.failed} 个办理中案件未能更新节假日安排，请再次提交相同内容以补发`
        : `已保存，并已更新 ${sent.signalled} 个办理中案件的期限计算`,
    });
  });
}
