/** What /v1/reports/quarterly answers: the 工作情况统计表 (attachment 3) as JSON. */
import { z } from 'zod';
import { FIGURES } from '../../db/queries/statistics';
import { instant, labelled } from './common';

/** The eight figures of a row (db/queries/statistics FIGURES). */
const figures = z.object(Object.fromEntries(FIGURES.map((f) => [f, z.number()])) as Record<(typeof FIGURES)[number], z.ZodNumber>);

const departmentTable = z.object({
  department: labelled,
  rows: z.array(figures.extend({ item: labelled })),
  totals: figures,
});

export const submissionState = z.object({
  status: z.string(),
  late: z.boolean(),
  submittedAt: instant.nullable(),
  submittedBy: z.string().nullable(),
  draftedAt: instant.nullable(),
  reminders: z.number().int(),
  remindedAt: instant.nullable(),
  contentHash: z.string().nullable(),
});

const header = { title: z.string(), quarter: z.string(), period: z.string(), asOf: instant, unit: z.string() };

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

export const submittedReport = submissionState.extend({
  id: z.string(), quarter: z.string(), county: labelled, department: labelled, unit: z.string(), table: departmentTable,
});

export const submissionList = z.object({
  quarter: z.string(),
  items: z.array(submissionState.extend({ county: labelled, department: labelled, unit: z.string() })),
});
