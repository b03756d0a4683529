import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { assessEligibility, ELIGIBILITY_GROUP_LABELS, type EligibilityAnswers } from '../../../domain/eligibility';

const base = { limitedMobility: true, noCapableCarer: true } as const;
const noGroup: EligibilityAnswers = { disabilityCategory: 2, disabilityGrade: 1, blind: false, householdDisabledCount: 1, elderlyParentCarer: false, schizophrenia: false };

describe('assessEligibility', () => {
  it('labels the four groups as the plan does', () => {
    expect(Object.values(ELIGIBILITY_GROUP_LABELS)).toEqual(['重度肢体残疾人(盲人)', '一户多残', '以老养残', '精神分裂症']);
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

  it('physical grade 3 alone is not a group', () => {
    const r = assessEligibility({ ...base, ...noGroup, disabilityCategory: 4, disabilityGrade: 3 });
    expect(r).toMatchObject({ eligible: false, groups: [], missing: [] });
    expect(r.reasons.join()).toContain('不属于');
  });

  it('is not eligible without limited mobility or with a capable carer, even in a group', () => {
    const a = assessEligibility({ limitedMobility: false, noCapableCarer: true, blind: true });
    expect(a).toMatchObject({ eligible: false, groups: ['severe_physical_or_blind'], missing: [] });
    expect(a.reasons).toContain('行动方便，不属于服务对象');
    const b = assessEligibility({ limitedMobility: true, noCapableCarer: false, blind: true });
    expect(b).toMatchObject({ eligible: false, missing: [] });
    expect(b.reasons).toContain('家庭有照护能力，不属于服务对象');
  });

  it('a settled "no" needs no more answers', () => {
    expect(assessEligibility({ limitedMobility: false }).missing).toEqual([]);
  });

  it('lists missing answers when the outcome is open, and never counts them as yes', () => {
    const r = assessEligibility({});
    expect(r.eligible).toBe(false);
    expect(r.groups).toEqual([]);
    expect(r.missing).toEqual(['limitedMobility', 'noCapableCarer', 'disabilityCategory', 'disabilityGrade', 'blind', 'householdDisabledCount', 'elderlyParentCarer', 'schizophrenia']);
    expect(r.reasons.at(-1)).toMatch(/^信息不全，暂不能认定：需补充是否行动不便、/);
  });

  it('asks only what is still needed', () => {
    expect(assessEligibility({ disabilityCategory: 4, disabilityGrade: 1 }).missing).toEqual(['limitedMobility', 'noCapableCarer']);
    expect(assessEligibility({ ...base, disabilityCategory: 4 }).missing).toEqual(['disabilityGrade', 'blind', 'householdDisabledCount', 'elderlyParentCarer', 'schizophrenia']);
    expect(assessEligibility({ ...base, ...noGroup, householdDisabledCount: undefined }).missing).toEqual(['householdDisabledCount']);
    expect(assessEligibility({ noCapableCarer: true, elderlyParentCarer: true }).missing).toEqual(['limitedMobility']);
  });

  it('never asks again for an answer it was given (grade known, category unknown)', () => {
    const r = assessEligibility({ disabilityGrade: 1, limitedMobility: true, noCapableCarer: true, householdDisabledCount: 1, elderlyParentCarer: false, schizophrenia: false, blind: false });
    expect(r.missing).toEqual(['disabilityCategory']);
    // Grade 3 cannot be severe in any category: the category no longer matters.
    expect(assessEligibility({ disabilityGrade: 3, limitedMobility: true, noCapableCarer: true, householdDisabledCount: 1, elderlyParentCarer: false, schizophrenia: false, blind: false }))
      .toMatchObject({ eligible: false, missing: [] });
  });

  it('property: eligible exactly when both conditions hold and a group is proven; missing empty iff decided', () => {
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
          expect(r.eligible).toBe(a.limitedMobility === true && a.noCapableCarer === true && r.groups.length > 0);
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
