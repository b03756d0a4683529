/** What /v1/catalog answers: the service catalog in force with every code's label, and the reference lists. */
import { z } from 'zod';
import { CASE_STEPS, DELIVERY_METHODS, EVIDENCE_KINDS } from '../../domain/vocabulary';
import { labelled, labelledOf } from './common';

const department = labelled;

/** Where a rule comes from: the plan (with its clause) or a local setting (GET /v1/policy has its current value). */
const ruleTag = z.object({ key: z.string(), tag: labelled, clause: z.string().nullable() }).nullable();

const action = z.object({
  code: z.string(),
  label: z.string(),
  labelEn: z.string(),
  responsible: z.array(department),
  cooperating: z.array(department),
  implementing: department,
  steps: z.array(z.object({
    kind: labelledOf(CASE_STEPS),
    label: z.string(),
    deadlineWorkingDays: z.number(),
    greenChannelWorkingDays: z.number(),
    rule: ruleTag,
  })),
  totalWorkingDays: z.number(),
  totalGreenChannelWorkingDays: z.number(),
  needsCertificate: z.boolean(),
  deliveryMethods: z.array(labelledOf(DELIVERY_METHODS)),
  evidence: z.array(z.object({ kinds: z.array(labelledOf(EVIDENCE_KINDS)), minCount: z.number().int(), label: z.string() })),
  note: z.string().nullable(),
});

const cadence = z.object({
  period: labelled,
  minSessions: z.number().int(),
  minUnitsPerSession: z.number().nullable(),
  unit: labelled.nullable(),
  label: z.string(),
  rule: ruleTag,
});

const item = z.object({
  code: z.string(),
  number: z.number().int(),
  category: labelled,
  label: z.string(),
  labelEn: z.string(),
  ongoing: z.boolean(),
  cadence: cadence.nullable(),
  responsible: z.array(department),
  cooperating: z.array(department),
  actions: z.array(action),
  /** The item's own eligibility rule (plan 二 and 三). */
  eligibility: z.object({ label: z.string(), clause: z.string() }).nullable(),
});

export const catalogView = z.object({
  version: z.string(),
  city: labelled,
  categories: z.array(labelled),
  items: z.array(item),
  departments: z.array(z.object({ code: z.string(), label: z.string(), name: z.string() })),
  leadershipOffice: labelled,
  counties: z.array(labelled),
  disabilityCategories: z.array(z.object({ code: z.number().int(), label: z.string(), labelEn: z.string() })),
  disabilityGrades: z.array(z.object({ code: z.number().int(), label: z.string() })),
  eligibilityGroups: z.array(labelled),
  eligibilityQuestions: z.array(labelled),
  stepKinds: z.array(labelledOf(CASE_STEPS)),
  deliveryMethods: z.array(labelled),
  evidenceKinds: z.array(labelled),
  rules: z.array(z.object({
    key: z.string(), label: z.string(), tag: labelled, clause: z.string().nullable(), rationale: z.string().nullable(),
    defaultValue: z.unknown(), enforcedByDefault: z.boolean(),
  })),
  mechanisms: z.array(z.object({ key: z.string(), label: z.string(), tag: labelled, clause: z.string().nullable(), rationale: z.string().nullable() }))
    .describe('办理机制：方案规定（注明条款）或本地设定（如督办升级）'),
  housekeepingFundingSources: z.array(labelled),
  housekeepingDeliveryWays: z.array(labelled),
});
