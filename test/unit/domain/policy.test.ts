import { describe, expect, it } from 'vitest';
import { ageBandProblem, isSchoolHolidayWeek, POLICY_RULES, rulesInForce } from '../../../domain/policy';

describe('policy rules (issue 15 point 2)', () => {
  it('every plan rule quotes its clause; every local rule says why; only plan rules are enforced by default', () => {
    for (const r of POLICY_RULES) {
      if (r.tag === 'plan') expect(r.clause, r.key).toMatch(/^三/);
      else expect(r.rationale, r.key).toMatch(/方案/);
    }
    const inForce = rulesInForce([]);
    expect(inForce.filter((r) => r.enforced).map((r) => r.key)).toEqual(['cadence.CHILD_REHAB', 'cadence.HOME_SCHOOLING', 'ageBand.CHILD_REHAB', 'ageBand.ADULT_REHAB']);
    // The plan is silent on items 5, 11, 12's cadence, 送教 6–17, 居家就业 16+, 以老养残's 60, and every step deadline.
    expect(inForce.filter((r) => r.tag === 'local').map((r) => r.key)).toEqual([
      'cadence.ADULT_REHAB', 'cadence.HOUSEKEEPING', 'cadence.HOME_EMPLOYMENT', 'ageBand.HOME_SCHOOLING', 'ageBand.HOME_EMPLOYMENT',
      'eligibility.elderlyCarerAge', 'deadlines.steps', 'schoolHolidays.HOME_SCHOOLING',
    ]);
  });

  it('the latest stored version wins; a plan rule stays enforced whatever is stored', () => {
    const rules = rulesInForce([
      { key: 'eligibility.elderlyCarerAge', version: 2, value: 65, enforced: true, note: 'n', setBy: 'u1', setAt: '2026-12-01T00:00:00Z' },
      { key: 'cadence.CHILD_REHAB', version: 1, value: { period: 'month', minSessions: 4 }, enforced: false, note: null, setBy: 'u1', setAt: '2026-12-01T00:00:00Z' },
    ]);
    expect(rules.find((r) => r.key === 'eligibility.elderlyCarerAge')).toMatchObject({ value: 65, version: 2, setBy: 'u1', enforced: true });
    expect(rules.find((r) => r.key === 'cadence.CHILD_REHAB')!.enforced).toBe(true);
  });

  it('age bands say why an age is outside them', () => {
    expect(ageBandProblem({ min: 6, max: 17 }, 18, '送教上门年龄')).toBe('开始日期时年龄为18周岁，送教上门年龄为6–17周岁');
    expect(ageBandProblem({ min: 16 }, 16, '居家就业年龄')).toBeUndefined();
  });

  it('三（二）7: a week is a school-holiday week when three of its school days are in the holiday', () => {
    const h = { 2026: [{ name: '寒假', from: '2026-01-21', to: '2026-02-28' }] };
    expect(isSchoolHolidayWeek(h, '2026-01-19')).toBe(true); // Wed–Fri off
    expect(isSchoolHolidayWeek(h, '2026-01-12')).toBe(false);
    expect(isSchoolHolidayWeek(h, '2026-03-02')).toBe(false);
    expect(isSchoolHolidayWeek({}, '2026-01-26')).toBe(false);
  });
});
