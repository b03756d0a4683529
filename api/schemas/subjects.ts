/**
 * What /v1/subjects, /v1/surveys and /v1/subjects/imports answer. The subject view is the one that
 * carries personal data: ID numbers, certificate numbers and phones masked unless unmasked, the birth
 * date only unmasked (api/presenters/subject.ts); nothing the schema does not name leaves the API.
 */
import { z } from 'zod';
import { eligibilityAnswers } from '../services/eligibility';
import { day, instant, itemsOf, labelled, pageOf } from './common';

/** An eligibility verdict with labels on its group and question codes. */
export const eligibilityView = z.object({
  surveyId: z.string().optional(),
  surveyedAt: instant.optional(),
  eligible: z.boolean(),
  groups: z.array(labelled),
  reasons: z.array(z.string()),
  missing: z.array(labelled),
});

export const subjectView = z.object({
  id: z.string(),
  idNumber: z.string().describe('身份证号码（未解除遮蔽时隐去出生日期等位）'),
  masked: z.boolean(),
  name: z.string(),
  sex: labelled,
  birthDate: day.nullable().describe('仅解除遮蔽时给出'),
  age: z.number().int().nullable(),
  certificate: z.object({
    number: z.string(),
    category: z.object({ code: z.number().int(), label: z.string() }).nullable().describe('残疾类别（1–7）'),
    grade: z.object({ code: z.number().int(), label: z.string() }).nullable().describe('残疾等级（1–4）'),
  }).nullable(),
  county: labelled,
  township: z.string().nullable(),
  community: z.string().nullable(),
  address: z.string().nullable(),
  phone: z.string().nullable(),
  guardian: z.object({ name: z.string(), phone: z.string().nullable(), relation: z.string().nullable() }).nullable(),
  household: z.object({ id: z.string().nullable(), size: z.number().int(), multiDisabled: z.boolean().describe('一户多残') }),
  consentToShare: z.boolean(),
  consentAt: instant.nullable(),
  eligibility: eligibilityView.nullable(),
  notes: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: instant,
  updatedAt: instant,
});

export const subjectList = pageOf(subjectView);

/** The eligibility answers of a needs survey (the request's, strict, and the stored ones with the subject's filled in). */
/** The survey's eligibility answers: one definition, the request's (api/services/eligibility.ts). */
export { eligibilityAnswers };

/** What a survey's answer and the subject's needs list say of each need. */
const needFields = {
  index: z.number().int(),
  item: labelled,
  action: labelled,
  ongoing: z.boolean(),
  greenChannel: z.boolean(),
  notes: z.string().nullable(),
  caseId: z.string().nullable(),
  planId: z.string().nullable(),
  /** The need's state with its label (api/presenters/survey.ts NEED_STATUS_LABELS). */
  status: labelled,
};

export const surveyView = z.object({
  id: z.string(),
  subjectId: z.string(),
  surveyedBy: z.string(),
  surveyedAt: instant,
  recordedAt: instant,
  answers: eligibilityAnswers.describe('资格认定的回答（含由服务对象档案补全的项）'),
  eligibility: eligibilityView,
  started: z.boolean(),
  notice: z.string(),
  needs: z.array(z.object({ ...needFields, id: z.string().nullable(), eligibility: eligibilityView.nullable().describe('该需求按其服务事项的服务对象条件认定的结果') })),
});

export const subjectNeeds = itemsOf(z.object({
  ...needFields,
  id: z.string(),
  surveyId: z.string(),
  caseStatus: z.string().nullable(),
  planStatus: z.string().nullable(),
  open: z.boolean(),
  createdAt: instant,
}));

/** A roster import (api/routes/subjectImports.ts). */
export const importView = z.object({
  id: z.string(),
  status: labelled,
  fileName: z.string(),
  format: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  progress: z.object({ rowsTotal: z.number().int().nullable(), rowsDone: z.number().int(), rowsCommitted: z.number().int() }),
  counts: z.record(z.string(), z.number()).describe('create / update / unchanged / rejected 行数'),
  skippedEmptyRows: z.array(z.number().int()),
  ignoredColumns: z.array(z.string()),
  error: z.string().nullable(),
  createdAt: instant,
  validatedAt: instant.nullable(),
  committedAt: instant.nullable(),
  links: z.object({ self: z.string(), report: z.string(), commit: z.string() }),
});

/** A subject's contact as case lists and 我的任务 show it (phones masked unless unmasked). */
export const subjectContact = z.object({
  id: z.string(),
  name: z.string(),
  county: labelled,
  township: z.string().nullable(),
  community: z.string().nullable(),
  address: z.string().nullable(),
  phone: z.string().nullable().describe('联系电话（默认脱敏：保留前三位和后四位）'),
  guardian: z.object({ name: z.string(), phone: z.string().nullable(), relation: z.string().nullable() }).nullable(),
  masked: z.boolean(),
});
