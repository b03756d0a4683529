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
import { labelOf, REPORT_STATE_LABELS, type ReportState } from '../../domain/vocabulary';
import { CITY, COUNTY_CODES } from '../../domain/counties';
import { DEPARTMENT_CODES } from '../../domain/departments';
import {
  cityTables, effectiveCountyTables, FIGURES, listSubmissions, regionExport, sendToRegion, submitCountyTable, sumDistinct,
  type DepartmentTable, type Figure, type Figures, type Submission, type TableRow,
} from '../../db/queries/statistics';
import { loadPolicy } from '../../db/queries/policy';
import { ruleOf } from '../../domain/policy';
import type { AppDeps } from '../types';
import { audit } from '../audit';
import { currentUser, inScope, requireRole, type AuthUser } from '../auth';
import { countyL, departmentL, itemL, unitName } from '../export/labels';
import { attachment, formXlsx, XLSX_TYPE, type FormTable } from '../export/xlsx';
import { badRequest, conflict, forbidden, notFound } from '../problem';
import { jsonOrFileResponse, problemResponses } from '../schemas/common';
import { quarterlyReport, submissionList, submittedReport, regionReport } from '../schemas/reports';

export const REPORT_TITLE = '为特殊困难残疾人上门代办服务工作情况统计表';
/** The title of the city's table as sent on to the region. */
export const REGION_TITLE = `${REPORT_TITLE}（报送至自治区）`;

export const FIGURE_LABELS: Record<Figure, string> = {
  peopleServed: '服务对象人数', casesOpened: '受理件数', casesCompleted: '办结件数', completedOnTime: '按时办结件数',
  overdue: '逾期件数', pending: '在办件数', planPeriods: '服务计划期数', planPeriodsCompliant: '达标期数',
  otherDifficulty: '其他特殊困难（件）', eligibilityOverrides: '说明理由办理（件）',
};

/** The mark of a row carried from the previous quarter. */
export const carriedLabel = (from: string) => `${from}报送后至季度末办理（补计）`;

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

/** A table over HTTP: rows (with their 落实单位 at county level), carried rows marked, the plan's groups, totals. People's ids stay inside. */
function presentTable(t: DepartmentTable, implementingUnit?: { code: string; label: string }) {
  const row = (r: TableRow) => ({
    item: itemL(r.itemCode), ...(implementingUnit ? { implementingUnit } : {}), ...figuresOf(r),
    ...(r.carriedFrom ? { carriedFrom: r.carriedFrom, mark: carriedLabel(r.carriedFrom) } : {}),
  });
  return {
    department: departmentL(t.department),
    rows: t.rows.map(row),
    carried: (t.carried ?? []).map(row),
    groups: (t.groups ?? []).map((g) => ({ code: g.code, label: g.label, items: g.items, subtotal: figuresOf(g.subtotal) })),
    totals: figuresOf(t.totals),
  };
}
/** The totals over several departments' tables, people counted once. */
const allTotals = (tables: DepartmentTable[]) => figuresOf(sumDistinct(tables.flatMap((t) => [...t.rows, ...(t.carried ?? [])])));
const figuresOf = (f: Figures) => Object.fromEntries(FIGURES.map((k) => [k, f[k] ?? 0])) as Figures;

/** 草稿 / 已报送 / 逾期: submitted, else overdue once the quarter is over (or marked late), else a draft. */
function reportState(s: Submission | null, quarterOver: boolean) {
  const state: ReportState = s?.status === 'submitted' ? 'submitted' : quarterOver || s?.late ? 'overdue' : 'draft';
  return labelOf(state, REPORT_STATE_LABELS);
}

function presentSubmission(s: Submission | null, quarterOver: boolean) {
  const state = reportState(s, quarterOver);
  if (!s) return { status: 'none', state, late: false, submittedAt: null, submittedBy: null, submittedByName: null, draftedAt: null, reminders: 0, remindedAt: null, contentHash: null };
  return {
    status: s.status, state, submittedByName: s.submittedByName ?? null, late: s.late, submittedAt: s.submittedAt?.toISOString() ?? null, submittedBy: s.submittedBy,
    draftedAt: s.draftedAt?.toISOString() ?? null, reminders: s.reminders, remindedAt: s.remindedAt?.toISOString() ?? null, contentHash: s.contentHash,
  };
}

/**
 * The form's rows, grouped as the plan groups the items: per department, each group's subtotal row
 * (小计) then its items, then the rows carried from the previous quarter, marked; and the 合计 row,
 * people counted once across everything in the form.
 */
function formRows(tables: Array<{ unit: string; table: DepartmentTable }>) {
  const rows: Array<Array<string | number>> = [];
  let n = 0;
  for (const { unit, table } of tables) {
    const carried = table.carried ?? [];
    for (const g of table.groups ?? []) {
      rows.push([g.label, unit, '小计', ...FIGURES.map((k) => g.subtotal[k] ?? 0)]);
      for (const r of table.rows.filter((x) => g.items.includes(x.itemCode))) rows.push([++n, unit, itemL(r.itemCode).label, ...FIGURES.map((k) => r[k] ?? 0)]);
    }
    if (!table.groups) for (const r of table.rows) rows.push([++n, unit, itemL(r.itemCode).label, ...FIGURES.map((k) => r[k] ?? 0)]);
    for (const r of carried) rows.push([++n, unit, `${itemL(r.itemCode).label}（${carriedLabel(r.carriedFrom ?? '')}）`, ...FIGURES.map((k) => r[k] ?? 0)]);
  }
  const all = sumDistinct(tables.flatMap(({ table }) => [...table.rows, ...(table.carried ?? [])]));
  return { rows, totals: ['合计', '', '', ...FIGURES.map((k) => all[k])] as Array<string | number> };
}

interface FormOptions {
  unit: string; q: string; tables: Array<{ unit: string; table: DepartmentTable }>; now: Date;
  /** 落实单位 for county tables, 责任单位 for the city's. */
  unitHeader: string; title?: string;
}

/** The printed form (附件3): title, unit, period, the two header rows, the rows, 合计 and the footer — for XLSX and for the console alike. */
function formTable(opts: FormOptions): FormTable {
  const { rows, totals } = formRows(opts.tables);
  return {
    title: opts.title ?? REPORT_TITLE, unit: opts.unit, period: periodLabel(opts.q),
    groups: [
      { label: '序号', span: 1 }, { label: opts.unitHeader, span: 1 }, { label: '服务事项', span: 1 }, { label: '服务对象人数', span: 1 },
      { label: '案件办理情况（件）', span: 5 }, { label: '居家服务计划（期）', span: 2 }, { label: '服务对象认定（件）', span: 2 },
    ],
    columns: [
      { header: '序号', width: 14 }, { header: opts.unitHeader, width: 16 }, { header: '服务事项', width: 34 },
      ...FIGURES.map((k) => ({ header: FIGURE_LABELS[k], width: 12 })),
    ],
    rows, totals,
    footer: ['填表人：', '', '', '审核人：', '', '', '', `填报日期：${shanghaiDate(opts.now)}`],
  };
}

/** The form as JSON: what the console lays out as an HTML table. */
function presentForm(opts: FormOptions) {
  const f = formTable(opts);
  return { ...f, columns: f.columns.map((c) => c.header) };
}

async function sendForm(reply: import('fastify').FastifyReply, opts: FormOptions & { file: string; ascii: string }) {
  const buf = await formXlsx(formTable(opts));
  return reply.type(XLSX_TYPE).header('content-disposition', attachment(opts.file, opts.ascii)).send(buf);
}

export async function reportRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const readers = requireRole('coordinator', 'supervisor', 'admin');
  /** What a reader must know of the rules behind the figures: the step deadlines are local (the plan sets none). */
  const policyNotes = async () => {
    const deadlines = ruleOf(await loadPolicy(deps.db), 'deadlines.steps');
    return deadlines.enforced ? [] : ['逾期件数按本地设定的办理时限计算（实施方案未规定办理时限），仅供参考，不作为正式考核依据'];
  };

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
      const form: FormOptions = { unit, q: q.quarter, now, unitHeader: '责任单位', tables: tables.map((t) => ({ unit: unitName(CITY.code, t.department), table: t.table })) };
      if (format === 'xlsx') {
        return sendForm(reply, { ...form, file: `工作情况统计表-${unit}-${q.quarter}.xlsx`, ascii: `statistics-${CITY.code}-${q.department ?? 'ALL'}-${q.quarter}.xlsx` });
      }
      return {
        title: REPORT_TITLE, level: 'city', quarter: q.quarter, period: periodLabel(q.quarter), asOf, unit, notes: await policyNotes(), form: presentForm(form),
        totals: allTotals(tables.map((t) => t.table)),
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
    const form: FormOptions = { unit, q: q.quarter, now, unitHeader: '落实单位', tables: tables.map((t) => ({ unit: unitName(t.county, t.department), table: t.table })) };
    if (format === 'xlsx') {
      return sendForm(reply, { ...form, file: `工作情况统计表-${unit}-${q.quarter}.xlsx`, ascii: `statistics-${q.county}-${q.department ?? 'ALL'}-${q.quarter}.xlsx` });
    }
    return {
      title: REPORT_TITLE, level: 'county', quarter: q.quarter, period: periodLabel(q.quarter), asOf, unit, county: countyL(q.county), notes: await policyNotes(), form: presentForm(form),
      totals: allTotals(tables.map((t) => t.table)),
      tables: tables.map((t) => ({
        ...presentTable(t.table, { code: `${t.county}/${t.department}`, label: unitName(t.county, t.department) }),
        unit: unitName(t.county, t.department), submission: presentSubmission(t.submission, now >= end),
      })),
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
      ...presentSubmission(sub, now >= quarterRange(b.quarter).end), table: presentTable(sub.table, { code: `${sub.county}/${sub.department}`, label: unitName(sub.county, sub.department) }),
    });
  });

  // 报送至自治区: the city sums go on to the region's departments, in the same form, with a record of when.
  const presentRegion = (e: NonNullable<Awaited<ReturnType<typeof regionExport>>>) => ({
    title: REGION_TITLE, level: 'region' as const, quarter: e.quarter, period: periodLabel(e.quarter), unit: CITY.name, asOf: e.asOf,
    sentAt: e.sentAt.toISOString(), sentBy: e.sentBy, contentHash: e.contentHash,
    totals: allTotals(e.tables.map((t) => t.table)),
    tables: e.tables.map((t) => ({
      ...presentTable(t.table), unit: unitName(CITY.code, t.department),
      counties: t.counties.map((c) => ({ county: countyL(c.county), submitted: c.submitted, late: c.late })),
    })),
  });

  r.post('/reports/quarterly/region', {
    schema: {
      tags: ['reports'], summary: '市级汇总表报送至自治区（季度结束后；冻结各部门市级汇总表并记录报送时间）',
      body: z.object({ quarter }).strict(),
      response: { 201: regionReport, ...problemResponses },
    },
    preHandler: requireRole('coordinator', 'supervisor', 'admin'),
  }, async (request, reply) => {
    const user = currentUser(request);
    forbiddenUnlessCity(user);
    const now = deps.now();
    const { end } = quarterRange(request.body.quarter);
    if (now < end) throw conflict(`${request.body.quarter} 尚未结束，季度结束、市级汇总后方可报送至自治区`);
    const sent = await sendToRegion(deps.db, request.body.quarter, user.id, now);
    if (!sent) {
      const prior = await regionExport(deps.db, request.body.quarter);
      throw conflict(`${request.body.quarter} 市级汇总表已于 ${prior?.sentAt.toISOString() ?? ''} 报送至自治区，不可重复报送`);
    }
    await audit(deps.db, { user, action: 'report.region_send', resourceType: 'report_submission', resourceId: `${request.body.quarter}/region`, ip: request.ip, detail: { contentHash: sent.contentHash } });
    return reply.status(201).header('location', `/v1/reports/quarterly/region?quarter=${request.body.quarter}`).send(presentRegion(sent));
  });

  r.get('/reports/quarterly/region', {
    schema: {
      tags: ['reports'], summary: '报送至自治区的市级汇总表（与统计表同一格式，含报送时间），JSON / XLSX',
      querystring: z.object({ quarter, format: z.enum(['json', 'xlsx']).optional() }),
      response: { 200: jsonOrFileResponse('报送至自治区的市级汇总表：JSON，或 XLSX 文件', regionReport, [XLSX_TYPE]), ...problemResponses },
    },
    preHandler: readers,
  }, async (request, reply) => {
    const user = currentUser(request);
    forbiddenUnlessCity(user);
    const e = await regionExport(deps.db, request.query.quarter);
    if (!e) throw notFound('报送至自治区的统计表');
    const format = request.query.format ?? (request.headers.accept?.includes('spreadsheetml') ? 'xlsx' : 'json');
    if (format === 'xlsx') {
      return sendForm(reply, {
        unit: CITY.name, q: e.quarter, now: e.sentAt, unitHeader: '责任单位', title: REGION_TITLE,
        tables: e.tables.map((t) => ({ unit: unitName(CITY.code, t.department), table: t.table })),
        file: `工作情况统计表-报送自治区-${e.quarter}.xlsx`, ascii: `statistics-region-${e.quarter}.xlsx`,
      });
    }
    return presentRegion(e);
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
    const { end } = quarterRange(request.query.quarter);
    const quarterOver = deps.now() >= end;
    const items = counties.flatMap((county) => departments.map((department) => ({
      county: countyL(county), department: departmentL(department), unit: unitName(county, department),
      ...presentSubmission(byKey.get(`${county}/${department}`) ?? null, quarterOver),
    })));
    return { quarter: request.query.quarter, period: periodLabel(request.query.quarter), dueAt: end.toISOString(), items };
  });
}
