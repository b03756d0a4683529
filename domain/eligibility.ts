/**
 * Who is served (服务对象), from section 二 of the plan: people with limited mobility AND no family
 * able to care for them, who are severely physically disabled or blind, or in a household with
 * several disabled members (一户多残), or cared for by aged parents (以老养残), or disabled with
 * schizophrenia. Three-valued logic: an unanswered question never counts as yes; when the answers
 * given do not settle the outcome, `missing` lists the questions still needed.
 */
import type { DisabilityCategory, DisabilityGrade } from './certificateNumber';

/** The target groups the plan names. */
export type EligibilityGroup = 'severe_physical_or_blind' | 'multi_disabled_household' | 'elderly_caring_for_disabled' | 'schizophrenia';

/** Chinese labels of the target groups, as the plan words them. */
export const ELIGIBILITY_GROUP_LABELS: Readonly<Record<EligibilityGroup, string>> = Object.freeze({
  severe_physical_or_blind: '重度肢体残疾人(盲人)',
  multi_disabled_household: '一户多残',
  elderly_caring_for_disabled: '以老养残',
  schizophrenia: '精神分裂症',
});

/** Survey answers; every field optional because needs surveys (需求摸底) are often incomplete. */
export interface EligibilityAnswers {
  disabilityCategory?: DisabilityCategory;
  disabilityGrade?: DisabilityGrade;
  /** 行动不便 */
  limitedMobility?: boolean;
  /** 家庭无照护能力 */
  noCapableCarer?: boolean;
  /** Number of disabled people in the household, the person included. */
  householdDisabledCount?: number;
  /** Aged parents (≥ 60) care for the disabled person (以老养残). */
  elderlyParentCarer?: boolean;
  /** Diagnosed with schizophrenia (a mental disability, category 6). */
  schizophrenia?: boolean;
  /** Blind, when the certificate data do not say so already. */
  blind?: boolean;
}

/** A question of the eligibility survey. */
export type EligibilityQuestion = keyof EligibilityAnswers;

/** Chinese wording of each question, for showing `missing` to staff. */
export const ELIGIBILITY_QUESTION_LABELS: Readonly<Record<EligibilityQuestion, string>> = Object.freeze({
  disabilityCategory: '残疾类别',
  disabilityGrade: '残疾等级',
  limitedMobility: '是否行动不便',
  noCapableCarer: '家庭是否无照护能力',
  householdDisabledCount: '户内残疾人数',
  elderlyParentCarer: '是否由 60 岁以上父母照护（以老养残）',
  schizophrenia: '是否患有精神分裂症',
  blind: '是否为盲人',
});

/** The verdict: `eligible` only when the answers prove it; `missing` is empty once the outcome is settled. */
export interface EligibilityResult {
  eligible: boolean;
  /** Groups the answers prove the person belongs to (even if not eligible for another reason). */
  groups: EligibilityGroup[];
  /** Chinese sentences explaining the verdict. */
  reasons: string[];
  /** Unanswered questions that could still change the verdict. */
  missing: EligibilityQuestion[];
}

type Tri = true | false | undefined;

interface Term {
  value: Tri;
  /** Questions whose answers could settle this term when it is undefined. */
  needs: EligibilityQuestion[];
}

function or(...terms: Term[]): Term {
  if (terms.some((t) => t.value === true)) return { value: true, needs: [] };
  if (terms.every((t) => t.value === false)) return { value: false, needs: [] };
  return { value: undefined, needs: terms.filter((t) => t.value === undefined).flatMap((t) => t.needs) };
}

function flag(v: boolean | undefined, q: EligibilityQuestion): Term {
  return v === undefined ? { value: undefined, needs: [q] } : { value: v, needs: [] };
}

const GRADE_NAMES = ['', '一', '二', '三', '四'];

/** Severe (grade 1–2) in a given category, as far as the answers tell. */
function severeIn(a: EligibilityAnswers, category: DisabilityCategory): Term {
  // A grade of 3 or 4 is not severe in any category, whatever the category turns out to be.
  if (a.disabilityGrade !== undefined && a.disabilityGrade > 2) return { value: false, needs: [] };
  if (a.disabilityCategory === undefined) {
    return { value: undefined, needs: a.disabilityGrade === undefined ? ['disabilityCategory', 'disabilityGrade'] : ['disabilityCategory'] };
  }
  if (a.disabilityCategory !== category) return { value: false, needs: [] };
  if (a.disabilityGrade === undefined) return { value: undefined, needs: ['disabilityGrade'] };
  return { value: a.disabilityGrade <= 2, needs: [] };
}

/** Decides whether a person is a service target (服务对象) and why, from possibly incomplete survey answers. */
export function assessEligibility(answers: EligibilityAnswers): EligibilityResult {
  const a = answers ?? {};
  const reasons: string[] = [];
  const groups: EligibilityGroup[] = [];

  const physical = severeIn(a, 4);
  const blindByCategory = severeIn(a, 1);
  const severe = or(physical, blindByCategory, flag(a.blind, 'blind'));
  const multi: Term =
    a.householdDisabledCount === undefined
      ? { value: undefined, needs: ['householdDisabledCount'] }
      : { value: a.householdDisabledCount >= 2, needs: [] };
  const elderly = flag(a.elderlyParentCarer, 'elderlyParentCarer');
  const schizo = flag(a.schizophrenia, 'schizophrenia');

  if (severe.value) {
    groups.push('severe_physical_or_blind');
    if (physical.value) reasons.push(`属于重度肢体残疾人：肢体残疾${GRADE_NAMES[a.disabilityGrade ?? 0]}级`);
    else if (blindByCategory.value) reasons.push(`属于盲人：视力残疾${GRADE_NAMES[a.disabilityGrade ?? 0]}级`);
    else reasons.push('属于盲人');
  }
  if (multi.value) {
    groups.push('multi_disabled_household');
    reasons.push(`属于一户多残家庭：户内残疾人 ${a.householdDisabledCount} 人`);
  }
  if (elderly.value) {
    groups.push('elderly_caring_for_disabled');
    reasons.push('属于以老养残家庭：由 60 岁以上父母照护');
  }
  if (schizo.value) {
    groups.push('schizophrenia');
    reasons.push('属于患有精神分裂症的残疾人');
  }

  const mobility = flag(a.limitedMobility, 'limitedMobility');
  const carer = flag(a.noCapableCarer, 'noCapableCarer');
  const anyGroup = or(severe, multi, elderly, schizo);

  if (mobility.value === true) reasons.push('行动不便');
  else if (mobility.value === false) reasons.push('行动方便，不属于服务对象');
  if (carer.value === true) reasons.push('家庭无照护能力');
  else if (carer.value === false) reasons.push('家庭有照护能力，不属于服务对象');
  if (anyGroup.value === false) reasons.push('不属于重度肢体残疾人(盲人)、一户多残、以老养残或精神分裂症残疾人中的任何一类');

  const terms = [mobility, carer, anyGroup];
  if (terms.some((t) => t.value === false)) return { eligible: false, groups, reasons, missing: [] };
  if (terms.every((t) => t.value === true)) {
    reasons.push('符合上门代办服务对象条件');
    return { eligible: true, groups, reasons, missing: [] };
  }
  const missing = [...new Set(terms.flatMap((t) => (t.value === undefined ? t.needs : [])))];
  reasons.push(`信息不全，暂不能认定：需补充${missing.map((q) => ELIGIBILITY_QUESTION_LABELS[q]).join('、')}`);
  return { eligible: false, groups, reasons, missing };
}
