import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ITEM_CODES } from '../../../domain/catalog';
import {
  assessEligibility, assessItemEligibility, ELIGIBILITY_GROUP_LABELS, ELIGIBILITY_QUESTION_LABELS, ITEM_ELIGIBILITY, itemEligibilityRule, type EligibilityAnswers,
} from '../../../domain/eligibility';
import { POLICY_RULES } from '../../../domain/policy';

const base = { limitedMobility: true, noCapableCarer: true } as const;
const noGroup: EligibilityAnswers = { disabilityCategory: 2, disabilityGrade: 1, blind: false, householdDisabledCount: 1, elderlyParentCarer: false, schizophrenia: false };

describe('assessEligibility', () => {
  it('labels the four groups as the plan does, and the open ground its 等 leaves', () => {
    expect(Object.values(ELIGIBILITY_GROUP_LABELS)).toEqual(['重度肢体残疾人(盲人)', '一户多残', '以老养残', '精神分裂症', '其他特殊困难（须写明原因）']);
  });

  it.each<[string, EligibilityAnswers, string[]]>([
    ['severe physical, grade 1', { disabilityCategory: 4, disabilityGrade: 1 }, ['severe_physical_or_blind']],
    ['severe physical, grade 2', { disabilityCategory: 4, disabilityGrade: 2 }, ['severe_physical_or_blind']],
    ['blind by certificate', { disabilityCategory: 1, disabilityGrade: 2 }, ['severe_physical_or_blind']],
    ['blind by flag', { blind: true }, ['severe_physical_or_blind']],
    ['multi-disabled household', { householdDisabledCount: 2 }, ['multi_disabled_household']],
    ['elderly parents caring', { elderlyParentCarer: true }, ['elderly_caring_for_disabled']],
    ['schizophrenia', { disabilityCategory: 6, disabilityGrade: 3, schizophrenia: true }, ['schizophrenia']],
    ['several groups', { disabilityCategory: 4, disabilityGrade: 1, householdDisabledCount: 3, elderlyParentCarer: true }, ['severe_physical_or_blind', 'multi_disabled_household', 'elderly_caring_for_disabled']],
  ])('eligible: %s', (_name, answers, groups) => {
    const r = assessEligibility({ ...base, ...answers });
    expect(r.eligible).toBe(true);
    expect(r.groups).toEqual(groups);
    expect(r.missing).toEqual([]);
    expect(r.reasons).toContain('符合上门代办服务对象条件');
  });

  it('plan 二 names 以老养残 families without an age: neither the question nor the finding states one as a condition (60 is a local rule)', () => {
    expect(POLICY_RULES.find((r) => r.key === 'eligibility.elderlyCarerAge')).toMatchObject({ tag: 'local', defaultValue: 60 });
    expect(ELIGIBILITY_QUESTION_LABELS.elderlyParentCarer).not.toMatch(/\d/);
    expect(ELIGIBILITY_QUESTION_LABELS.elderlyParentCarer).toContain('方案未规定年龄');
    const r = assessEligibility({ ...noGroup, elderlyParentCarer: true });
    expect(r.eligible).toBe(true);
    expect(r.reasons.join('')).not.toMatch(/\d+ ?岁/);
  });

  it('physical grade 3 alone is not a group', () => {
    const r = assessEligibility({ ...base, ...noGroup, disabilityCategory: 4, disabilityGrade: 3 });
    expect(r).toMatchObject({ eligible: false, groups: [], missing: [] });
    expect(r.reasons.join()).toContain('不属于');
  });

  // 二、服务主体及对象: "行动不便且家庭无照护能力的重度肢体残疾人(盲人)和一户多残、以老养残家庭的残疾人及
  // 患有精神分裂症的残疾人等" — mobility and care qualify the severely physically disabled (blind) only.
  it('plan 二: limited mobility and no capable carer qualify the severely physically disabled only', () => {
    const a = assessEligibility({ limitedMobility: false, noCapableCarer: true, blind: true, householdDisabledCount: 1, elderlyParentCarer: false, schizophrenia: false });
    expect(a).toMatchObject({ eligible: false, groups: ['severe_physical_or_blind'], missing: [] });
    expect(a.reasons).toContain('行动方便，不属于服务对象');
    const b = assessEligibility({ limitedMobility: true, noCapableCarer: false, blind: true, householdDisabledCount: 1, elderlyParentCarer: false, schizophrenia: false });
    expect(b).toMatchObject({ eligible: false, missing: [] });
    expect(b.reasons).toContain('家庭有照护能力，不属于服务对象');
    // The other groups are named by their situation: no mobility or carer question for them.
    expect(assessEligibility({ limitedMobility: false, noCapableCarer: false, householdDisabledCount: 2 })).toMatchObject({ eligible: true, groups: ['multi_disabled_household'] });
    expect(assessEligibility({ elderlyParentCarer: true })).toMatchObject({ eligible: true, missing: [] });
    expect(assessEligibility({ schizophrenia: true, limitedMobility: false })).toMatchObject({ eligible: true, groups: ['schizophrenia'] });
  });

  it('plan 二 "等": the open list takes another special difficulty with its written reason', () => {
    const none = { ...noGroup, limitedMobility: false, noCapableCarer: false };
    expect(assessEligibility(none)).toMatchObject({ eligible: false, missing: [] });
    const r = assessEligibility({ ...none, otherDifficulty: '独居，近期骨折卧床' });
    expect(r).toMatchObject({ eligible: true, groups: ['other_special_difficulty'] });
    expect(r.reasons).toContain('其他特殊困难：独居，近期骨折卧床');
    // A blank reason is no reason.
    expect(assessEligibility({ ...none, otherDifficulty: '   ' }).eligible).toBe(false);
  });

  it('a settled "no" needs no more answers', () => {
    expect(assessEligibility({ ...noGroup, limitedMobility: false }).missing).toEqual([]);
  });

  it('lists missing answers when the outcome is open, and never counts them as yes', () => {
    const r = assessEligibility({});
    expect(r.eligible).toBe(false);
    expect(r.groups).toEqual([]);
    expect(r.missing).toEqual(['disabilityCategory', 'disabilityGrade', 'blind', 'limitedMobility', 'noCapableCarer', 'householdDisabledCount', 'elderlyParentCarer', 'schizophrenia']);
    expect(r.reasons.at(-1)).toMatch(/^信息不全，暂不能认定：需补充残疾类别、/);
  });

  it('asks only what is still needed', () => {
    expect(assessEligibility({ disabilityCategory: 4, disabilityGrade: 1, householdDisabledCount: 1, elderlyParentCarer: false, schizophrenia: false }).missing).toEqual(['limitedMobility', 'noCapableCarer']);
    expect(assessEligibility({ ...base, disabilityCategory: 4 }).missing).toEqual(['disabilityGrade', 'blind', 'householdDisabledCount', 'elderlyParentCarer', 'schizophrenia']);
    expect(assessEligibility({ ...base, ...noGroup, householdDisabledCount: undefined }).missing).toEqual(['householdDisabledCount']);
    expect(assessEligibility({ noCapableCarer: true, elderlyParentCarer: true }).missing).toEqual([]);
  });

  it('never asks again for an answer it was given (grade known, category unknown)', () => {
    const r = assessEligibility({ disabilityGrade: 1, limitedMobility: true, noCapableCarer: true, householdDisabledCount: 1, elderlyParentCarer: false, schizophrenia: false, blind: false });
    expect(r.missing).toEqual(['disabilityCategory']);
    // Grade 3 cannot be severe in any category: the category no longer matters.
    expect(assessEligibility({ disabilityGrade: 3, limitedMobility: true, noCapableCarer: true, householdDisabledCount: 1, elderlyParentCarer: false, schizophrenia: false, blind: false }))
      .toMatchObject({ eligible: false, missing: [] });
  });

  it('property (plan 二): eligible exactly when a group is proven, the severe group with both conditions; missing empty iff decided', () => {
    const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    fc.assert(
      fc.property(
        fc.record({
          disabilityCategory: opt(fc.constantFrom(1, 2, 3, 4, 5, 6, 7 as const)),
          disabilityGrade: opt(fc.constantFrom(1, 2, 3, 4 as const)),
          limitedMobility: opt(fc.boolean()),
          noCapableCarer: opt(fc.boolean()),
          householdDisabledCount: opt(fc.integer({ min: 0, max: 5 })),
          elderlyParentCarer: opt(fc.boolean()),
          schizophrenia: opt(fc.boolean()),
          blind: opt(fc.boolean()),
        }) as fc.Arbitrary<EligibilityAnswers>,
        (a) => {
          const r = assessEligibility(a);
          const others = r.groups.some((g) => g !== 'severe_physical_or_blind');
          expect(r.eligible).toBe(others || (r.groups.includes('severe_physical_or_blind') && a.limitedMobility === true && a.noCapableCarer === true));
          for (const q of r.missing) expect(a[q]).toBeUndefined();
          // Filling in every missing answer with "no" must settle the verdict.
          const filled: EligibilityAnswers = { ...a };
          for (const q of r.missing) (filled as Record<string, unknown>)[q] = q === 'householdDisabledCount' ? 1 : q === 'disabilityCategory' ? 2 : q === 'disabilityGrade' ? 4 : false;
          expect(assessEligibility(filled).missing).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('assessItemEligibility: one rule per item (plan 三)', () => {
  const sighted = { disabilityCategory: 2, disabilityGrade: 3, blind: false } as const;
  const notProgramme = { ...sighted, limitedMobility: false, noCapableCarer: false, householdDisabledCount: 1, elderlyParentCarer: false, schizophrenia: false };

  it('三（一）1 "有需求的盲人": any blind person, whatever mobility and care', () => {
    expect(assessItemEligibility('BLIND_MASSAGE', { blind: true, limitedMobility: false }).eligible).toBe(true);
    expect(assessItemEligibility('BLIND_MASSAGE', { disabilityCategory: 1, disabilityGrade: 1 }).eligible).toBe(true);
    const r = assessItemEligibility('BLIND_MASSAGE', { ...notProgramme, householdDisabledCount: 3 });
    expect(r).toMatchObject({ eligible: false, missing: [] });
    expect(r.reasons).toContain('不符合本事项服务对象：有需求的盲人');
  });

  it('三（一）2: marked disability and cannot reach the assessment hospital, even without a certificate', () => {
    expect(assessItemEligibility('DISABILITY_CERT', { limitedMobility: true, markedDisability: true }).eligible).toBe(true);
    expect(assessItemEligibility('DISABILITY_CERT', { ...notProgramme, markedDisability: true }).eligible).toBe(false);
    expect(assessItemEligibility('DISABILITY_CERT', { limitedMobility: true, schizophrenia: true }).eligible).toBe(true);
  });

  it('三（一）3 and （二）8 "有需求的残疾人": any disabled person; item 3 when limited mobility prevents on-site certification', () => {
    expect(assessItemEligibility('LEGAL_AID', notProgramme).eligible).toBe(true);
    expect(assessItemEligibility('LEGAL_AID', {})).toMatchObject({ eligible: false, missing: ['disabilityCategory'] });
    expect(assessItemEligibility('PENSION_QUALIFICATION', notProgramme).eligible).toBe(false);
    expect(assessItemEligibility('PENSION_QUALIFICATION', { ...notProgramme, limitedMobility: true }).eligible).toBe(true);
    // The section-二 rule would refuse this person: the item's own target governs.
    expect(assessEligibility(notProgramme).eligible).toBe(false);
  });

  it('三（二）6 and 7: disabled children; item 7 severely disabled', () => {
    expect(assessItemEligibility('CHILD_REHAB', sighted, { age: 4 }).eligible).toBe(true);
    expect(assessItemEligibility('CHILD_REHAB', sighted, { age: 30 })).toMatchObject({ eligible: false, missing: [] });
    expect(assessItemEligibility('HOME_SCHOOLING', sighted, { age: 9 }).eligible).toBe(false);
    expect(assessItemEligibility('HOME_SCHOOLING', { disabilityCategory: 5, disabilityGrade: 2 }, { age: 9 }).eligible).toBe(true);
  });

  it('items naming 服务对象 use the section-二 rule, with its open ground', () => {
    for (const code of ['REAL_ESTATE', 'ADULT_REHAB', 'SOCIAL_ASSISTANCE', 'SOCIAL_INSURANCE', 'HOUSEKEEPING', 'HOME_EMPLOYMENT']) {
      expect(itemEligibilityRule(code).target).toBe('programme');
      expect(assessItemEligibility(code, notProgramme).eligible).toBe(false);
      expect(assessItemEligibility(code, { ...notProgramme, otherDifficulty: '独居无人照料' }).eligible).toBe(true);
    }
  });

  it('every item has a rule naming its clause', () => {
    for (const code of ITEM_CODES) expect(ITEM_ELIGIBILITY[code]?.clause).toMatch(/^(二|三)/);
  });
});
