/**
 * /v1/reports/quarterly: the 工作情况统计表 (attachment 3). County tables (per county department,
 * one row per item) are drafted by the quarterly Schedule and submitted by the county department to
 * the city department before the quarter ends; the city table is the sum of the county tables,
 * shared with the city DPF. JSON, or XLSX laid out like the government form.
 *
 * Decisions: reading — coordinator, supervisor, admin (city tables: city-level users only, else 403);
 * submitting — a coordinator or supervisor (or admin) whose scope holds the county department. A
 * submitted table is frozen (409 on a second submit); one submitted after the quarter's end is late.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { quarterRange, shanghaiDate } from '../../domain/calendar';
import { CITY, COUNTY_CODES } from '../../domain/counties';
import { DEPARTMENT_CODES } from '../../domain/departments';
import {
  cityTables, effectiveCountyTables, FIGURES, listSubmissions, submitCountyTable,
  type DepartmentTable, type Figure, type Figures, type Submission,
} from '../../db/queries/statistics';
import type { AppDeps } from '../types';
import { audit } from '../audit';
import { currentUser, inScope, requireRole, type AuthUser } from '../auth';
import { countyL, departmentL, itemL, unitName } from '../export/labels';
import { attachment, formXlsx, XLSX_TYPE } from '../export/xlsx';
import { badRequest, conflict, forbidden, notFound } from '../problem';
import { jsonOrFileResponse, problemResponses } from '../schemas/common';
import { quarterlyReport, submissionList, submittedReport } from '../schemas/reports';

export const REPORT_TITLE = '为特殊困难残疾人上门代办服务工作情况统计表';

export const FIGURE_LABELS: Record<Figure, string> = {
  peopleServed: '服务对象人数', casesOpened: '受理件数', casesCompleted: '办结件数', completedOnTime: '按时办结件数',
  overdue: '逾期件数', pending: '在办件数', planPeriods: '服务计划期数', planPeriodsCompliant: '达标期数',
};

/** City tables are for city-level users (the city departments and the city DPF). */
function forbiddenUnlessCity(user: AuthUser): void {
  if (!user.cityLevel) throw forbidden('市级汇总表仅限市级用户查看');
}

const quarter = z.string().regex(/^(?:19|20)\d{2}-Q[1-4]$/, 'YYYY-Qn（1900–2099 年）, e.g. 2026-Q3');

/** 2026年第3季度（2026-07-01至2026-09-30） */
export function periodLabel(q: string): string {
  const { start, end } = quarterRange(q);
  return `${q.slice(0, 4)}年第${q.slice(6)}季度（${shanghaiDate(start)}至${shanghaiDate(new Date(end.getTime() - 1))}）`;
}

function presentTable(t: DepartmentTable) {
  return {
    department: departmentL(t.department),
    rows: t.rows.map((r) => ({ item: itemL(r.itemCode), ...figuresOf(r) })),
    totals: figuresOf(t.totals),
  };
}
const figuresOf = (f: Figures) => Object.fromEntries(FIGURES.map((k) => [k, f[k]])) as Figures;

function presentSubmission(s: Submission | null) {
  if (!s) return { status: 'none', late: false, submittedAt: null, submittedBy: null, draftedAt: null, reminders: 0, remindedAt: null, contentHash: null };
  return {
    status: s.status, late: s.late, submittedAt: s.submittedAt?.toISOString() ?? null, submittedBy: s.submittedBy,
    draftedAt: s.draftedAt?.toISOString() ?? null, reminders: s.reminders, remindedAt: s.remindedAt?.toISOString() ?? null, contentHash: s.contentHash,
  };
}

/** The form's rows: one per department × item, numbered; and the totals row. */
function formRows(tables: Array<{ unit: string; table: DepartmentTable }>) {
  const rows: Array<Array<string | number>> = [];
  const totals = Object.fromEntries(FIGURES.map((k) => [k, 0])) as Figures;
  for (const { unit, table } of tables) {
    for (const r of table.rows) {
      rows.push([rows.length + 1, unit, itemL(r.itemCode).label, ...FIGURES.map((k) => r[k])]);
      for (const k of FIGURES) totals[k] += r[k];
    }
  }
  return { rows, totals: ['合计', '', '', ...FIGURES.map((k) => totals[k])] as Array<string | number> };
}

async function sendForm(reply: import('fastify').FastifyReply, opts: { unit: string; q: string; tables: Array<{ unit: string; table: DepartmentTable }>; now: Date; file: string; ascii: string }) {
  const { rows, totals } = formRows(opts.tables);
  const buf = await formXlsx({
    title: REPORT_TITLE, unit: opts.unit, period: periodLabel(opts.q),
    groups: [
      { label: '序号', span: 1 }, { label: '责任单位', span: 1 }, { label: '服务事项', span: 1 }, { label: '服务对象人数', span: 1 },
      { label: '案件办理情况（件）', span: 5 }, { label: '居家服务计划（期）', span: 2 },
    ],
    columns: [
      { header: '序号', width: 6 }, { header: '责任单位', width: 16 }, { header: '服务事项', width: 34 },
      ...FIGURES.map((k) => ({ header: FIGURE_LABELS[k], width: 12 })),
    ],
    rows, totals,
    footer: ['填表人：', '', '', '审核人：', '', '', '', `填报日期：${shanghaiDate(opts.now)}`],
  });
  return reply.type(XLSX_TYPE).header('content-disposition', attachment(opts.file, opts.ascii)).send(buf);
}

export async function reportRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const readers = requireRole('coordinator', 'supervisor', 'admin');

  r.get('/reports/quarterly', {
    schema: {
      tags: ['reports'], summary: '工作情况统计表（附件3）：县区表或市级汇总表，JSON / XLSX',
      querystring: z.object({
        quarter,
        level: z.enum(['county', 'city']).default('county'),
        county: z.enum(COUNTY_CODES).optional(),
        department: z.enum(DEPARTMENT_CODES).optional(),
        format: z.enum(['json', 'xlsx']).optional(),
      }),
      response: { 200: jsonOrFileResponse('统计表：JSON（县区表或市级汇总表），或 XLSX 文件（?format= 或 Accept）', quarterlyReport, [XLSX_TYPE]), ...problemResponses },
    },
    preHandler: readers,
  }, async (request, reply) => {
    const user = currentUser(request);
    const q = request.query;
    const now = deps.now();
    const format = q.format ?? (request.headers.accept?.includes('spreadsheetml') ? 'xlsx' : 'json');
    const { start, end } = quarterRange(q.quarter);
    const asOf = (now < end ? now : end).toISOString();
    if (now < start) throw conflict(`${q.quarter} 尚未开始，无统计数据`);
    const departments = q.department ? [q.department] : user.departments.length ? user.departments : [...DEPARTMENT_CODES];
    if (q.department && user.departments.length && !user.departments.includes(q.department)) throw notFound('统计表');

    if (q.level === 'city') {
      forbiddenUnlessCity(user);
      const tables = await cityTables(deps.db, q.quarter, now, departments);
      const unit = q.department ? unitName(CITY.code, q.department) : CITY.name;
      if (format === 'xlsx') {
        return sendForm(reply, {
          unit, q: q.quarter, now, tables: tables.map((t) => ({ unit: unitName(CITY.code, t.department), table: t.table })),
          file: `工作情况统计表-${unit}-${q.quarter}.xlsx`, ascii: `statistics-${CITY.code}-${q.department ?? 'ALL'}-${q.quarter}.xlsx`,
        });
      }
      return {
        title: REPORT_TITLE, level: 'city', quarter: q.quarter, period: periodLabel(q.quarter), asOf, unit,
        tables: tables.map((t) => ({
          ...presentTable(t.table), unit: unitName(CITY.code, t.department),
          counties: t.counties.map((c) => ({ county: countyL(c.county), submitted: c.submitted, late: c.late, submittedAt: c.submittedAt?.toISOString() ?? null })),
        })),
      };
    }

    if (!q.county) throw badRequest('县区表须指定 county', [{ path: 'query.county', message: 'required when level=county' }]);
    if (!inScope(user, q.county, q.department)) throw notFound('统计表');
    const tables = await effectiveCountyTables(deps.db, q.quarter, now, { counties: [q.county], departments });
    const unit = q.department ? unitName(q.county, q.department) : countyL(q.county).label;
    if (format === 'xlsx') {
      return sendForm(reply, {
        unit, q: q.quarter, now, tables: tables.map((t) => ({ unit: unitName(t.county, t.department), table: t.table })),
        file: `工作情况统计表-${unit}-${q.quarter}.xlsx`, ascii: `statistics-${q.county}-${q.department ?? 'ALL'}-${q.quarter}.xlsx`,
      });
    }
    return {
      title: REPORT_TITLE, level: 'county', quarter: q.quarter, period: periodLabel(q.quarter), asOf, unit, county: countyL(q.county),
      tables: tables.map((t) => ({ ...presentTable(t.table), unit: unitName(t.county, t.department), submission: presentSubmission(t.submission) })),
    };
  });

  r.post('/reports/quarterly/submit', {
    schema: {
      tags: ['reports'], summary: '县区部门报送本季度工作情况统计表（冻结数据；季度结束后报送记为逾期）',
      body: z.object({ quarter, county: z.enum(COUNTY_CODES), department: z.enum(DEPARTMENT_CODES) }).strict(),
      response: { 201: submittedReport, ...problemResponses },
    },
    preHandler: requireRole('coordinator', 'supervisor', 'admin'),
  }, async (request, reply) => {
    const user = currentUser(request);
    const b = request.body;
    if (!inScope(user, b.county, b.department)) throw notFound('统计表');
    const now = deps.now();
    if (now < quarterRange(b.quarter).start) throw conflict(`${b.quarter} 尚未开始，不能报送`);
    const sub = await submitCountyTable(deps.db, b.quarter, b.county, b.department, user.id, now);
    if (!sub) throw conflict(`${unitName(b.county, b.department)} ${b.quarter} 统计表已报送，不可重复报送`);
    await audit(deps.db, { user, action: 'report.submit', resourceType: 'report_submission', resourceId: sub.id, ip: request.ip, detail: { quarter: b.quarter, late: sub.late } });
    return reply.status(201).send({
      id: sub.id, quarter: sub.quarter, county: countyL(sub.county), department: departmentL(sub.department), unit: unitName(sub.county, sub.department),
      ...presentSubmission(sub), table: presentTable(sub.table),
    });
  });

  r.get('/reports/quarterly/submissions', {
    schema: {
      tags: ['reports'], summary: '各县区部门统计表报送情况（草稿、已报送、逾期、催报次数）',
      querystring: z.object({ quarter }),
      response: { 200: submissionList, ...problemResponses },
    },
    preHandler: readers,
  }, async (request) => {
    const user = currentUser(request);
    const counties = user.cityLevel ? [...COUNTY_CODES] : user.counties;
    const departments = user.departments.length ? user.departments : [...DEPARTMENT_CODES];
    const subs = await listSubmissions(deps.db, request.query.quarter, 'county', { counties, departments });
    const byKey = new Map(subs.map((s) => [`${s.county}/${s.department}`, s]));
    const items = counties.flatMap((county) => departments.map((department) => ({
      county: countyL(county), department: departmentL(department), unit: unitName(county, department),
      ...presentSubmission(byKey.get(`${county}/${department}`) ?? null),
    })));
    return { quarter: request.query.quarter, items };
  });
}
