/**
 * Enrolling a person in an ongoing service plan (items 5, 6, 7, 11, 12): checks the assessment the
 * item needs, the provider and the dates, then starts the servicePlan workflow (id plan-<planId>).
 *
 * Decisions:
 * - The plan id is derived from the need when enrolling from a survey's need (so one need can never
 *   become two plans, whoever retries), otherwise from the Idempotency-Key (as cases are), otherwise fresh.
 * - Ages are counted on the start date from subjects.birth_date (which comes from the ID number), against
 *   the age bands of the policy rules (domain/policy.ts): the plan's (CHILD_REHAB 0–6, ADULT_REHAB 18+)
 *   refuse with a 409 that says why; local ones (HOME_SCHOOLING 6–17, HOME_EMPLOYMENT 16+) give a
 *   warning in the answer until an admin enforces them.
 * - The start date may lie in the current Asia/Shanghai month (a plan may be recorded a few days late)
 *   or up to a year ahead (the plan waits as 'pending').
 * - One running (pending or active) plan per person and item; a second is a 409.
 * - The assessment is stored in plans.assessment by the API; the workflow never carries it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { needs, plans, subjects } from '../../db/schema';
import { addDaysToDate, isDateString, shanghaiDate } from '../../domain/calendar';
import { CADENCE_UNIT_LABELS, CATALOG_VERSION, findItem, type Cadence, type ServiceItem } from '../../domain/catalog';
import { loadPolicy } from '../../db/queries/policy';
import { ageBandProblem, type AgeBand, type CadenceValue, type PolicyRule } from '../../domain/policy';
import { ageOn } from '../../domain/idNumber';
import { ageOutDate } from '../../domain/planPeriods';
import { HOUSEKEEPING_DELIVERY_WAYS, HOUSEKEEPING_FUNDING_SOURCES } from '../../domain/vocabulary';
import { SA } from '../../workflows/contract';
import {
  getPlanStateQuery, planWorkflowId, PROVIDER_TYPES, type PlanInput, type PlanState, type ProviderType,
} from '../../workflows/planContract';
import { inCountyScope, inDepartmentScope, type AuthUser } from '../auth';
import { keyReused } from '../idempotency';
import { badRequest, conflict, forbidden, zodFieldErrors, type FieldError } from '../problem';
import type { EligibilityAnswers } from '../../domain/eligibility';
import { decideEligibility, eligibilityAnswers, eligibilityOverride, recordEligibilityDecision } from './eligibility';
import { requestHash } from './openCase';

/** The ongoing items a plan can be made for. */
export const PLAN_ITEMS = ['ADULT_REHAB', 'CHILD_REHAB', 'HOME_SCHOOLING', 'HOUSEKEEPING', 'HOME_EMPLOYMENT'] as const;
export type PlanItem = (typeof PLAN_ITEMS)[number];

export const PROVIDER_TYPE_LABELS: Record<ProviderType, string> = {
  rehabilitation_institution: '定点康复机构', school: '学校', family_doctor: '家庭医生', volunteer_team: '志愿服务队', service_company: '服务机构',
};

/** Who may deliver each item's sessions. */
export const PROVIDERS_BY_ITEM: Record<PlanItem, ProviderType[]> = {
  ADULT_REHAB: ['family_doctor', 'rehabilitation_institution', 'volunteer_team'],
  CHILD_REHAB: ['rehabilitation_institution'],
  HOME_SCHOOLING: ['school'],
  HOUSEKEEPING: ['service_company', 'volunteer_team'],
  HOME_EMPLOYMENT: ['service_company', 'volunteer_team'],
};

const str = (max: number) => z.string().trim().min(1, '不能为空').max(max);
const day = z.string().refine(isDateString, '应为 YYYY-MM-DD 格式的日期');
const assessed = { assessedBy: str(100), assessedOn: day };

/** The assessment each item needs, checked after the item is known (it may come from the need). */
export const ASSESSMENTS = {
  CHILD_REHAB: z.object({
    parentsCannotTake: z.literal(true, { error: '须确认家长没有陪护能力、不能送孩子到机构康复' }),
    assessedBy: str(100).optional(),
    assessedOn: day.optional(),
    notes: str(2000).optional(),
  }).strict(),
  HOME_SCHOOLING: z.object({
    schoolingAbility: z.object({
      ...assessed,
      result: str(2000),
      canAttendSchool: z.literal(false, { error: '送教上门仅适用于不能随班就读、不能进入特殊教育学校就读的儿童' }),
    }).strict(),
    schoolAssignment: z.object({ school: str(200), basis: z.enum(['household_registration', 'residence']) }).strict(),
  }).strict(),
  HOME_EMPLOYMENT: z.object({
    labourCapacity: z.object({ ...assessed, capacity: z.enum(['full', 'partial', 'none']), notes: str(2000).optional() }).strict(),
  }).strict(),
  ADULT_REHAB: z.object({
    rehabAssessment: z.object({ ...assessed, result: str(2000) }).strict(),
    familyDoctorContract: z.object({ doctor: str(100), signedOn: day, contractNo: str(100).optional() }).strict(),
  }).strict(),
  HOUSEKEEPING: z.object({
    needsAssessment: z.object({
      ...assessed,
      services: z.array(z.enum(['cleaning', 'meals', 'haircut', 'shopping', 'other'])).min(1, '至少选择一项服务内容'),
    }).strict(),
    // Plan 三（四）11: the funding source and the delivery way are separate fields (domain/vocabulary.ts).
    funding: z.object({ source: z.enum(HOUSEKEEPING_FUNDING_SOURCES), note: str(200).optional() }).strict()
      .refine((f) => f.source !== 'other' || f.note !== undefined, { message: '其他资金须注明来源', path: ['note'] }),
    delivery: z.object({
      ways: z.array(z.enum(HOUSEKEEPING_DELIVERY_WAYS)).min(1, '至少选择一种服务方式')
        .refine((w) => new Set(w).size === w.length, '服务方式不能重复'),
      note: str(200).optional(),
    }).strict().refine((d) => !d.ways.includes('other') || d.note !== undefined, { message: '其他方式须注明', path: ['note'] }),
  }).strict(),
} as const;

export const enrolPlanBody = z.object({
  needId: z.string().min(1).max(64).optional(),
  subjectId: z.string().min(1).max(64).optional(),
  itemCode: z.enum(PLAN_ITEMS).optional(),
  assessment: z.record(z.string(), z.unknown()),
  provider: z.object({ type: z.enum(PROVIDER_TYPES), name: str(200) }).strict(),
  startDate: day,
  endDate: day.optional(),
  /** Eligibility answers over the surveyed ones (api/services/eligibility.ts). */
  answers: eligibilityAnswers.optional(),
  /** A coordinator enrols despite the item's eligibility rule refusing, with the reason (audited, counted). */
  override: eligibilityOverride.optional(),
}).strict();
export type EnrolPlanBody = z.infer<typeof enrolPlanBody>;

export interface EnrolDeps { db: Db; temporal: Client; taskQueue: string; now: () => Date; ip?: string }

/** The plan id for a request: from the need, from the idempotency key, or fresh. */
export function planIdFor(scope: string, key: string | undefined): string {
  if (!key) return randomUUID();
  const h = createHash('sha256').update(`plan:${scope}:${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Assessment paths every date in it must respect (not after today). */
function assessmentDates(item: PlanItem, a: Record<string, any>): Array<[string, string | undefined]> {
  switch (item) {
    case 'CHILD_REHAB': return [['assessedOn', a.assessedOn]];
    case 'HOME_SCHOOLING': return [['schoolingAbility.assessedOn', a.schoolingAbility?.assessedOn]];
    case 'HOME_EMPLOYMENT': return [['labourCapacity.assessedOn', a.labourCapacity?.assessedOn]];
    case 'ADULT_REHAB': return [['rehabAssessment.assessedOn', a.rehabAssessment?.assessedOn], ['familyDoctorContract.signedOn', a.familyDoctorContract?.signedOn]];
    case 'HOUSEKEEPING': return [['needsAssessment.assessedOn', a.needsAssessment?.assessedOn]];
  }
}

/**
 * The age bands on the start date (domain/policy.ts ageBand.<item>): the plan's (0–6 for item 6,
 * adults for item 5) refuse with a 409; local ones (送教 6–17, 居家就业 16+) only warn until an admin
 * enforces them.
 */
function ageCheck(rules: PolicyRule[], item: ServiceItem, birthDate: string, startDate: string): { refusal?: string; warning?: string } {
  const rule = rules.find((r) => r.key === `ageBand.${item.code}`);
  if (!rule) return {};
  const age = ageOn(birthDate, startDate);
  const band = rule.value as AgeBand;
  const problem = item.code === 'CHILD_REHAB' && band.max !== undefined && age > band.max
    ? `开始日期时儿童已年满${band.max + 1}周岁，不属于0–6岁残疾儿童送康复上门服务对象`
    : item.code === 'ADULT_REHAB' && band.min !== undefined && age < band.min
      ? `开始日期时未满${band.min}周岁（${age}周岁），请办理残疾儿童送康复上门`
      : ageBandProblem(band, age, rule.label);
  if (!problem) return {};
  return rule.enforced ? { refusal: problem } : { warning: `${problem}（本地设定，仅作提示，不影响办理）` };
}

/** The cadence a new plan follows: the catalog's, or a local rule's value an admin changed. */
function cadenceInForce(rules: PolicyRule[], item: ServiceItem & { cadence: Cadence }): Cadence {
  const rule = rules.find((r) => r.key === `cadence.${item.code}`);
  if (!rule || rule.version === 0) return item.cadence;
  const v = rule.value as CadenceValue;
  const per = v.period === 'month' ? '每月' : '每周';
  const len = v.minUnitsPerSession !== undefined ? `，每次不少于${v.minUnitsPerSession}${CADENCE_UNIT_LABELS[v.unit ?? 'minutes']}` : '';
  return { ...v, label: `${per}不少于${v.minSessions}次${len}（本地设定）` };
}

/**
 * Validates and starts a plan. `created` is false when the same need or Idempotency-Key already
 * started it with the same request (the existing plan is returned); another request is a 409.
 */
export async function enrolPlan(deps: EnrolDeps, user: AuthUser, body: EnrolPlanBody, idempotencyKey: string | undefined): Promise<{ created: boolean; state: PlanState; warnings: string[] }> {
  const errors: FieldError[] = [];
  let need: typeof needs.$inferSelect | undefined;
  if (body.needId) {
    [need] = await deps.db.select().from(needs).where(eq(needs.id, body.needId)).limit(1);
    if (!need) throw badRequest('服务需求不存在', [{ path: 'body.needId', message: '服务需求不存在或不在您的权限范围内' }]);
    if (!need.ongoing) throw badRequest('该需求是一次性事项', [{ path: 'body.needId', message: '一次性服务事项请开案办理（/v1/cases）' }]);
    if (body.subjectId && body.subjectId !== need.subjectId) errors.push({ path: 'body.subjectId', message: '与服务需求的服务对象不一致' });
    if (body.itemCode && body.itemCode !== need.itemCode) errors.push({ path: 'body.itemCode', message: '与服务需求的服务事项不一致' });
  } else {
    if (!body.subjectId) errors.push({ path: 'body.subjectId', message: '请提供 needId，或 subjectId 与 itemCode' });
    if (!body.itemCode) errors.push({ path: 'body.itemCode', message: '请提供 needId，或 subjectId 与 itemCode' });
  }
  if (errors.length) throw badRequest(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);

  const subjectId = need?.subjectId ?? body.subjectId!;
  const itemCode = (need?.itemCode ?? body.itemCode!) as PlanItem;
  const item = findItem(itemCode);
  if (!item || !item.ongoing || !item.cadence || !(PLAN_ITEMS as readonly string[]).includes(itemCode)) {
    throw badRequest('该服务事项不是持续性服务', [{ path: body.needId ? 'body.needId' : 'body.itemCode', message: `${itemCode} 不是持续性服务事项` }]);
  }
  const [subject] = await deps.db.select().from(subjects).where(eq(subjects.id, subjectId)).limit(1);
  if (!subject || !inCountyScope(user, subject.county)) {
    throw badRequest('服务对象不存在', [{ path: body.needId ? 'body.needId' : 'body.subjectId', message: '服务对象不存在或不在您的权限范围内' }]);
  }
  const action = item.actions[0];
  if (!inDepartmentScope(user, action.implementing)) throw forbidden(`您不能为其他部门登记${item.label}服务计划`);

  // The assessment this item needs, and the provider.
  const parsed = ASSESSMENTS[itemCode].safeParse(body.assessment);
  if (!parsed.success) errors.push(...zodFieldErrors(parsed.error, 'body.assessment'));
  if (!PROVIDERS_BY_ITEM[itemCode].includes(body.provider.type)) {
    errors.push({ path: 'body.provider.type', message: `${item.label}的服务提供方应为：${PROVIDERS_BY_ITEM[itemCode].map((t) => PROVIDER_TYPE_LABELS[t]).join('、')}` });
  }
  const today = shanghaiDate(deps.now());
  if (parsed.success) {
    for (const [path, d] of assessmentDates(itemCode, parsed.data as Record<string, any>)) {
      if (d && d > today) errors.push({ path: `body.assessment.${path}`, message: '评估日期不能晚于今天' });
    }
    if (itemCode === 'HOME_SCHOOLING') {
      const school = (parsed.data as z.infer<typeof ASSESSMENTS.HOME_SCHOOLING>).schoolAssignment.school;
      if (body.provider.name !== school) errors.push({ path: 'body.provider.name', message: `送教学校应为分配的学校：${school}` });
    }
  }
  if (body.startDate < `${today.slice(0, 7)}-01`) errors.push({ path: 'body.startDate', message: '开始日期不能早于本月1日' });
  if (body.startDate > addDaysToDate(today, 366)) errors.push({ path: 'body.startDate', message: '开始日期不能晚于一年以后' });
  if (body.endDate && body.endDate < body.startDate) errors.push({ path: 'body.endDate', message: '结束日期不能早于开始日期' });
  if (errors.length) throw badRequest(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
  const assessment = parsed.data as Record<string, unknown>;

  const rules = await loadPolicy(deps.db);
  const { refusal: tooOld, warning } = ageCheck(rules, item, subject.birthDate, body.startDate);
  const warnings = warning ? [warning] : [];
  const planId = need ? planIdFor('need', need.id) : planIdFor(user.id, idempotencyKey);
  const hash = requestHash({ ...body, subjectId, itemCode });

  const handle = deps.temporal.workflow.getHandle(planWorkflowId(planId));
  // A retry of the request that made this plan answers with the plan, before any other check.
  const existing = need || idempotencyKey ? await handle.query(getPlanStateQuery).catch(() => undefined) : undefined;
  if (existing) return replay(existing);

  if (tooOld) throw conflict(tooOld);
  // One eligibility rule per item, the same as for cases and surveys (409 when refused).
  const decision = await decideEligibility(deps.db, user, subject, item.label, {
    itemCode, on: body.startDate, ...(body.answers ? { answers: body.answers as EligibilityAnswers } : {}),
    ...(body.override ? { override: body.override } : {}), ...(need ? { surveyId: need.surveyId } : {}),
  });
  if (need?.planId) throw conflict(`该需求已纳入服务计划 ${need.planId}`, { planId: need.planId });
  const [running] = await deps.db.select({ id: plans.id }).from(plans)
    .where(and(eq(plans.subjectId, subjectId), eq(plans.itemCode, itemCode), inArray(plans.status, ['pending', 'active']))).limit(1);
  if (running) throw conflict(`该服务对象已有进行中的${item.label}服务计划`, { planId: running.id });

  const ageOutOn = itemCode === 'CHILD_REHAB' ? ageOutDate(subject.birthDate) : undefined;
  const input: PlanInput = {
    planId, subjectId, itemCode, actionCode: action.code, county: subject.county, department: action.implementing,
    catalogVersion: CATALOG_VERSION, cadence: cadenceInForce(rules, item as ServiceItem & { cadence: Cadence }), provider: body.provider, startDate: body.startDate,
    ...(body.endDate ? { endDate: body.endDate } : {}), ...(ageOutOn ? { ageOutOn } : {}),
    enrolledAt: deps.now().toISOString(), enrolledBy: user.id, requestHash: hash, ...(need ? { needId: need.id } : {}),
  };
  try {
    await deps.temporal.workflow.start('servicePlan', {
      taskQueue: deps.taskQueue,
      workflowId: planWorkflowId(planId),
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: SA.county, value: input.county },
        { key: SA.department, value: input.department },
        { key: SA.item, value: input.itemCode },
        { key: SA.step, value: 'plan_pending' },
      ],
    });
  } catch (e) {
    if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
    return replay(await handle.query(getPlanStateQuery));
  }
  await recordEnrolment(deps.db, input, assessment);
  await recordEligibilityDecision(deps.db, user, decision, {
    kind: 'plan', id: planId, subjectId, itemCode, county: subject.county, department: action.implementing,
    at: new Date(input.enrolledAt), ...(deps.ip ? { ip: deps.ip } : {}),
  });
  const state = await handle.query(getPlanStateQuery);
  return { created: true, state, warnings };

  /** The same request again: the plan it made; another request under the same need or key: 409. */
  async function replay(state: PlanState): Promise<{ created: boolean; state: PlanState; warnings: string[] }> {
    if (state.input.requestHash !== hash) {
      if (need) throw conflict(`该需求已纳入服务计划 ${state.input.planId}`, { planId: state.input.planId });
      throw keyReused({ method: 'POST', path: '/v1/plans', createdAt: new Date(state.input.enrolledAt) });
    }
    await recordEnrolment(deps.db, state.input, assessment);
    return { created: false, state, warnings: [] };
  }
}

/** Stores the assessment with the plan row and links the need (both idempotent, safe to repeat). */
async function recordEnrolment(db: Db, input: PlanInput, assessment: Record<string, unknown>): Promise<void> {
  await db.insert(plans).values({
    id: input.planId, subjectId: input.subjectId, itemCode: input.itemCode, actionCode: input.actionCode, county: input.county,
    department: input.department, catalogVersion: input.catalogVersion, status: 'pending', provider: input.provider as unknown as Record<string, unknown>,
    assessment, startDate: input.startDate, endDate: input.endDate ?? null, ageOutOn: input.ageOutOn ?? null, needId: input.needId ?? null,
    createdBy: input.enrolledBy, createdAt: new Date(input.enrolledAt), lastEventSeq: 0, state: {},
  }).onConflictDoUpdate({ target: plans.id, set: { assessment } });
  if (input.needId) {
    await db.update(needs).set({ planId: input.planId, updatedAt: sql`now()` }).where(and(eq(needs.id, input.needId), sql`${needs.planId} is null`));
  }
}
