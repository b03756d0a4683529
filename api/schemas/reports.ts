/** What /v1/reports/quarterly answers: the 工作情况统计表 (attachment 3) as JSON. */
import { z } from 'zod';
import { FIGURES } from '../../db/queries/statistics';
import { REPORT_STATES } from '../../domain/vocabulary';
import { instant, labelled, labelledOf } from './common';

/** The eight figures of a row (db/queries/statistics FIGURES). */
const figures = z.object(Object.fromEntries(FIGURES.map((f) => [f, z.number()])) as Record<(typeof FIGURES)[number], z.ZodNumber>);

/** A row: an item's figures; at county level its 落实单位; a row carried from the previous quarter is marked. */
const row = figures.extend({
  item: labelled,
  implementingUnit: labelled.optional().describe('落实单位（县区表）'),
  carriedFrom: z.string().optional().describe('补计：上季度报送后至季度末办理'),
  mark: z.string().optional(),
});

const departmentTable = z.object({
  department: labelled,
  rows: z.array(row),
  carried: z.array(row).describe('上季度报送后至季度末办理的工作（补计）'),
  groups: z.array(z.object({ code: z.string(), label: z.string(), items: z.array(z.string()), subtotal: figures })).describe('方案的分类：（一）政务服务 1–4 …（四）居家服务 11–12，各含小计'),
  totals: figures,
});

export const submissionState = z.object({
  status: z.string(),
  state: labelledOf(REPORT_STATES).describe('草稿 / 已报送 / 逾期（季度结束仍未报送）'),
  submittedByName: z.string().nullable().describe('报送人姓名'),
  late: z.boolean(),
  submittedAt: instant.nullable(),
  submittedBy: z.string().nullable(),
  draftedAt: instant.nullable(),
  reminders: z.number().int(),
  remindedAt: instant.nullable(),
  contentHash: z.string().nullable(),
});

/** The printed form as the XLSX lays it out (title, unit, period, two header rows, rows, 合计, footer), for the console's HTML table. */
export const printedForm = z.object({
  title: z.string(), unit: z.string(), period: z.string(),
  groups: z.array(z.object({ label: z.string(), span: z.number().int() })).describe('上层表头（跨列）；跨 1 列且与下层同名者上下合并'),
  columns: z.array(z.string()).describe('下层表头'),
  rows: z.array(z.array(z.union([z.string(), z.number()]))).describe('各行（分类小计行、事项行、补计行）'),
  totals: z.array(z.union([z.string(), z.number()])).describe('合计行'),
  footer: z.array(z.string()),
});

const header = {
  title: z.string(), quarter: z.string(), period: z.string(), asOf: instant, unit: z.string(),
  form: printedForm,
  notes: z.array(z.string()).describe('口径说明（如：逾期件数按本地设定的办理时限计算）'),
  totals: figures.describe('全部部门合计（服务对象人数按人去重）'),
};

export const countyReport = z.object({
  ...header,
  level: z.literal('county'),
  county: labelled,
  tables: z.array(departmentTable.extend({ unit: z.string(), submission: submissionState })),
});

export const cityReport = z.object({
  ...header,
  level: z.literal('city'),
  tables: z.array(departmentTable.extend({
    unit: z.string(),
    counties: z.array(z.object({ county: labelled, submitted: z.boolean(), late: z.boolean(), submittedAt: instant.nullable() })),
  })),
});

export const quarterlyReport = z.union([countyReport, cityReport]);

/** The city's tables as sent on to the region (报送至自治区), frozen with when and by whom. */
export const regionReport = z.object({
  title: z.string(), level: z.literal('region'), quarter: z.string(), period: z.string(), unit: z.string(), asOf: instant,
  sentAt: instant, sentBy: z.string(), contentHash: z.string(),
  totals: figures,
  tables: z.array(departmentTable.extend({
    unit: z.string(),
    counties: z.array(z.object({ county: labelled, submitted: z.boolean(), late: z.boolean() })),
  })),
});

export const submittedReport = submissionState.extend({
  id: z.string(), quarter: z.string(), county: labelled, department: labelled, unit: z.string(), table: departmentTable,
});

export const submissionList = z.object({
  quarter: z.string(),
  period: z.string(),
  dueAt: instant.describe('报送截止：季度结束'),
  items: z.array(submissionState.extend({ county: labelled, department: labelled, unit: z.string() })),
});
