/**
 * Who is served (服务对象), one rule per service item.
 *
 * Section 二 of the plan names the programme's groups: "行动不便且家庭无照护能力的重度肢体残疾人(盲人)
 * 和一户多残、以老养残家庭的残疾人及患有精神分裂症的残疾人等特殊困难残疾人". Limited mobility and no
 * capable carer qualify the severely physically disabled (and blind) only; the other groups are named
 * by their situation; and the list ends with 等, so it is open: another special difficulty counts
 * when its reason is written down (`otherDifficulty`), and that ground is recorded and counted.
 *
 * Several items name their own target, and it governs that item (ITEM_ELIGIBILITY): 有需求的盲人
 * (item 1); 残疾特征明显且不能安全到达医疗鉴定机构的高位截瘫、偏瘫和精神分裂患者等 (item 2, possibly
 * before holding a certificate); 有需求的残疾人 (items 3 and 8; item 3 for people who cannot be
 * certified on site because of limited mobility); disabled children (item 6) and severely disabled
 * children (item 7). The others serve the section-二 服务对象.
 *
 * Three-valued logic: an unanswered question never counts as yes; when the answers given do not
 * settle the outcome, `missing` lists the questions still needed.
 */
import type { DisabilityCategory, DisabilityGrade } from './certificateNumber';

/** The target groups the plan names. */
export type EligibilityGroup = 'severe_physical_or_blind' | 'multi_disabled_household' | 'elderly_caring_for_disabled' | 'schizophrenia' | 'other_special_difficulty';

/** Chinese labels of the target groups, as the plan words them. */
export const ELIGIBILITY_GROUP_LABELS: Readonly<Record<EligibilityGroup, string>> = Object.freeze({
  severe_physical_or_blind: '重度肢体残疾人(盲人)',
  multi_disabled_household: '一户多残',
  elderly_caring_for_disabled: '以老养残',
  schizophrenia: '精神分裂症',
  other_special_difficulty: '其他特殊困难（须写明原因）',
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
  /** Aged parents care for the disabled person (以老养残; the plan gives no age: policy eligibility.elderlyCarerAge is a local reference). */
  elderlyParentCarer?: boolean;
  /** Diagnosed with schizophrenia (a mental disability, category 6). */
  schizophrenia?: boolean;
  /** Blind, when the certificate data do not say so already. */
  blind?: boolean;
  /** 残疾特征明显（如高位截瘫、偏瘫）: item 2's target, who may not hold a certificate yet. */
  markedDisability?: boolean;
  /** 其他特殊困难: the written reason (the plan's list ends with 等). */
  otherDifficulty?: string;
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
  elderlyParentCarer: '是否由年老父母照护（以老养残；方案未规定年龄，本地参考年龄见规则“以老养残：父母年龄”）',
  schizophrenia: '是否患有精神分裂症',
  blind: '是否为盲人',
  markedDisability: '是否残疾特征明显（如高位截瘫、偏瘫）',
  otherDifficulty: '其他特殊困难及原因',
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

function and(...terms: Term[]): Term {
  if (terms.some((t) => t.value === false)) return { value: false, needs: [] };
  if (terms.every((t) => t.value === true)) return { value: true, needs: [] };
  return { value: undefined, needs: terms.filter((t) => t.value === undefined).flatMap((t) => t.needs) };
}

const known = (value: boolean): Term => ({ value, needs: [] });

/** The terms every rule draws on, computed once from the answers. */
function termsOf(a: EligibilityAnswers) {
  const physical = severeIn(a, 4);
  const blindByCategory = severeIn(a, 1);
  const blind = or(blindByCategory, flag(a.blind, 'blind'));
  const severe = or(physical, blind);
  const multi: Term = a.householdDisabledCount === undefined
    ? { value: undefined, needs: ['householdDisabledCount'] }
    : known(a.householdDisabledCount >= 2);
  const other = (a.otherDifficulty ?? '').trim();
  const grade = a.disabilityGrade;
  return {
    physical, blindByCategory, blind, severe, multi,
    elderly: flag(a.elderlyParentCarer, 'elderlyParentCarer'),
    schizo: flag(a.schizophrenia, 'schizophrenia'),
    mobility: flag(a.limitedMobility, 'limitedMobility'),
    carer: flag(a.noCapableCarer, 'noCapableCarer'),
    marked: flag(a.markedDisability, 'markedDisability'),
    // A written reason proves the open ground; none written means none is claimed.
    other: known(other.length > 0),
    // A disabled person: a known category (from the certificate or the survey).
    disabled: a.disabilityCategory !== undefined ? known(true) : ({ value: undefined, needs: ['disabilityCategory'] } as Term),
    // Severely disabled: grade 1 or 2 in any category.
    severeAny: grade !== undefined ? known(grade <= 2) : ({ value: undefined, needs: ['disabilityGrade'] } as Term),
  };
}

/** Decides whether a person is a section-二 service target (服务对象) and why, from possibly incomplete survey answers. */
export function assessEligibility(answers: EligibilityAnswers): EligibilityResult {
  return assessItemEligibility(undefined, answers);
}

/** What an item's eligibility rule asks, and the plan's clause it comes from. */
export interface ItemEligibilityRule {
  /** 'programme': the section-二 服务对象; otherwise the item's own target. */
  target: 'programme' | 'blind' | 'marked_or_programme' | 'disabled_cannot_certify_on_site' | 'disabled' | 'disabled_child' | 'severely_disabled_child';
  /** Chinese summary of who the item serves. */
  label: string;
  /** Where the plan says so. */
  clause: string;
}

const PROGRAMME: ItemEligibilityRule = {
  target: 'programme',
  label: '服务对象：行动不便且家庭无照护能力的重度肢体残疾人(盲人)，一户多残、以老养残家庭的残疾人，患有精神分裂症的残疾人，及其他特殊困难残疾人（须写明原因）',
  clause: '二、服务主体及对象',
};

/** One eligibility rule per item (keyed by item code; the plan's section-二 rule where the item names no target). */
export const ITEM_ELIGIBILITY: Readonly<Record<string, ItemEligibilityRule>> = Object.freeze({
  BLIND_MASSAGE: { target: 'blind', label: '有需求的盲人', clause: '三（一）1 "上门为有需求的盲人代办"' },
  DISABILITY_CERT: {
    target: 'marked_or_programme',
    label: '残疾特征明显且不能安全到达医疗鉴定机构的高位截瘫、偏瘫和精神分裂患者等特殊困难残疾人（可尚未持证），或服务对象',
    clause: '三（一）2 "残疾特征明显，且不能安全到达医疗鉴定机构的高位截瘫、偏瘫和精神分裂患者等特殊困难残疾人"',
  },
  PENSION_QUALIFICATION: {
    target: 'disabled_cannot_certify_on_site',
    label: '有需求的残疾人，因行动不便无法进行现场认证',
    clause: '三（一）3 "帮助有需求的残疾人……因行动不便无法进行现场认证的残疾人"',
  },
  REAL_ESTATE: { ...PROGRAMME, clause: '三（一）4 "上门帮助服务对象"；二、服务主体及对象' },
  ADULT_REHAB: { ...PROGRAMME, clause: '三（二）5 "不能到达村（社区）康复站的特殊困难残疾人"；二、服务主体及对象' },
  CHILD_REHAB: { target: 'disabled_child', label: '残疾儿童（0–6岁，由康复救助资金支付）', clause: '三（二）6 "残疾儿童……从0-6岁残疾儿童康复救助资金中解决"' },
  HOME_SCHOOLING: { target: 'severely_disabled_child', label: '不能随班就读、不能进入特殊教育学校就读的重度残疾儿童', clause: '三（二）7 "确实不能随班就读、不能进入特殊教育学校就读的重度残疾儿童"' },
  LEGAL_AID: { target: 'disabled', label: '有需求的残疾人', clause: '三（二）8 "对有需求的残疾人提供法律咨询、法律援助、人民调解等上门服务"' },
  SOCIAL_ASSISTANCE: { ...PROGRAMME, clause: '三（三）9 "对符合救助条件的服务对象"；二、服务主体及对象' },
  SOCIAL_INSURANCE: { ...PROGRAMME, clause: '三（三）10 "为服务对象上门"；二、服务主体及对象' },
  HOUSEKEEPING: { ...PROGRAMME, clause: '三（四）11 "根据服务对象的实际需求"；二、服务主体及对象' },
  HOME_EMPLOYMENT: { ...PROGRAMME, clause: '三（四）12 "对服务对象上门评估劳动能力"；二、服务主体及对象' },
});

/** The rule of an item (the section-二 rule for an unknown code). */
export function itemEligibilityRule(itemCode: string | undefined): ItemEligibilityRule {
  return (itemCode !== undefined ? ITEM_ELIGIBILITY[itemCode] : undefined) ?? PROGRAMME;
}

/** Facts besides the answers some items need. */
export interface EligibilityContext {
  /** Age in whole years on the day the service starts (from the ID number). */
  age?: number;
}

/**
 * Decides whether a person may be served under `itemCode` (undefined: the section-二 rule), from
 * possibly incomplete answers. `groups` lists the section-二 groups the answers prove; a written
 * `otherDifficulty` proves the open ground `other_special_difficulty`.
 */
export function assessItemEligibility(itemCode: string | undefined, answers: EligibilityAnswers, ctx: EligibilityContext = {}): EligibilityResult {
  const a = answers ?? {};
  const t = termsOf(a);
  const reasons: string[] = [];
  const groups: EligibilityGroup[] = [];
  const rule = itemEligibilityRule(itemCode);

  const severeQualified = and(t.severe, t.mobility, t.carer);
  if (t.severe.value) {
    groups.push('severe_physical_or_blind');
    if (t.physical.value) reasons.push(`属于重度肢体残疾人：肢体残疾${GRADE_NAMES[a.disabilityGrade ?? 0]}级`);
    else if (t.blindByCategory.value) reasons.push(`属于盲人：视力残疾${GRADE_NAMES[a.disabilityGrade ?? 0]}级`);
    else reasons.push('属于盲人');
  }
  if (t.multi.value) {
    groups.push('multi_disabled_household');
    reasons.push(`属于一户多残家庭：户内残疾人 ${a.householdDisabledCount} 人`);
  }
  if (t.elderly.value) {
    groups.push('elderly_caring_for_disabled');
    reasons.push('属于以老养残家庭：由年老父母照护');
  }
  if (t.schizo.value) {
    groups.push('schizophrenia');
    reasons.push('属于患有精神分裂症的残疾人');
  }
  if (t.other.value) {
    groups.push('other_special_difficulty');
    reasons.push(`其他特殊困难：${(a.otherDifficulty ?? '').trim()}`);
  }
  if (t.mobility.value === true) reasons.push('行动不便');
  else if (t.mobility.value === false) reasons.push('行动方便，不属于服务对象');
  if (t.carer.value === true) reasons.push('家庭无照护能力');
  else if (t.carer.value === false && t.severe.value) reasons.push('家庭有照护能力，不属于服务对象');

  const programme = or(severeQualified, t.multi, t.elderly, t.schizo, t.other);
  const age: Term = ctx.age === undefined ? { value: undefined, needs: [] } : known(ctx.age < 18);
  let verdict: Term;
  switch (rule.target) {
    case 'programme': verdict = programme; break;
    case 'blind': verdict = t.blind; break;
    case 'marked_or_programme': verdict = or(and(t.mobility, or(t.marked, t.schizo)), programme); break;
    case 'disabled_cannot_certify_on_site': verdict = and(t.disabled, t.mobility); break;
    case 'disabled': verdict = t.disabled; break;
    case 'disabled_child': verdict = and(t.disabled, age); break;
    case 'severely_disabled_child': verdict = and(t.severeAny, age); break;
  }
  if (rule.target !== 'programme' && verdict.value === true) reasons.push(`符合本事项服务对象：${rule.label}`);
  if (verdict.value === false) {
    if (rule.target === 'programme' || rule.target === 'marked_or_programme') {
      reasons.push('不属于重度肢体残疾人(盲人)、一户多残、以老养残或精神分裂症残疾人中的任何一类，也未写明其他特殊困难');
    }
    if (rule.target !== 'programme') reasons.push(`不符合本事项服务对象：${rule.label}`);
    if (age.value === false) reasons.push(`年龄${ctx.age}周岁，不属于残疾儿童`);
    return { eligible: false, groups, reasons, missing: [] };
  }
  if (verdict.value === true) {
    reasons.push('符合上门代办服务对象条件');
    return { eligible: true, groups, reasons, missing: [] };
  }
  const missing = [...new Set(verdict.needs)];
  reasons.push(`信息不全，暂不能认定：需补充${missing.map((q) => ELIGIBILITY_QUESTION_LABELS[q]).join('、')}`);
  return { eligible: false, groups, reasons, missing };
}
