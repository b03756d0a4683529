/**
 * Eligibility per item on every path that starts a service (issue 15, point 1): the needs survey,
 * POST /v1/cases and POST /v1/plans ask the same rule of each item (domain/eligibility.ts); the
 * plan's open list (二 "……等特殊困难残疾人") takes another special difficulty with its written reason;
 * a coordinator may open despite a refusal, with a reason, audited and recorded.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, eligibilityDecisions, needs } from '../../db/schema';
import { shanghaiDate } from '../../domain/calendar';
import { makeSubject, makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';

let stack: TestStack;
let coordinator: TestUser;
let admin: TestUser;

beforeAll(async () => {
  stack = await startStack();
  coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
  admin = await makeUser(stack.db, 'admin', { cityLevel: true });
});
afterAll(async () => { await stack?.close(); });

const post = (user: TestUser, url: string, payload: object) => stack.app.inject({ method: 'POST', url, headers: user.auth, payload });

/** A hearing-disabled (grade 3) adult who can travel and has a carer: in none of section 二's groups. */
async function notInProgramme() {
  return makeSubject(stack.db, {
    county: '640104', idNumber: uniqueIdNumber('640104', 1970), disabilityCategory: 2, disabilityGrade: 3,
    eligibility: {
      surveyId: 'fixture', surveyedAt: '2023-04-21T00:00:00.000Z', eligible: false, groups: [], reasons: [], missing: [],
      answers: { disabilityCategory: 2, disabilityGrade: 3, limitedMobility: false, noCapableCarer: false, householdDisabledCount: 1, elderlyParentCarer: false, schizophrenia: false, blind: false },
    },
  });
}

const decision = async (kind: 'case' | 'plan', id: string) =>
  (await stack.db.select().from(eligibilityDecisions).where(eq(eligibilityDecisions.id, `${kind}:${id}`)))[0];

describe('eligibility per item (plan 二 and 三)', () => {
  it('POST /v1/cases: a person never surveyed is refused with 409 saying what is missing', async () => {
    const s = await makeSubject(stack.db, { county: '640104', eligibility: null });
    const res = await post(coordinator, '/v1/cases', { subjectId: s.id, itemCode: 'REAL_ESTATE', actionCode: 'REGISTRATION' });
    expect(res.statusCode).toBe(409);
    expect(res.json().detail).toMatch(/^不符合不动产登记的服务对象条件：.*信息不全/);
    expect(res.json().eligibility.missing).toContain('limitedMobility');
  });

  it('三（二）8 "有需求的残疾人" governs item 8; 二 governs item 4; 三（一）1 asks for a blind person', async () => {
    const s = await notInProgramme();
    const legal = await post(coordinator, '/v1/cases', { subjectId: s.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' });
    expect(legal.statusCode).toBe(201);
    expect(await decision('case', legal.json().id)).toMatchObject({ ground: 'item_target', itemCode: 'LEGAL_AID', reason: null });

    const estate = await post(coordinator, '/v1/cases', { subjectId: s.id, itemCode: 'REAL_ESTATE', actionCode: 'REGISTRATION' });
    expect(estate.statusCode).toBe(409);
    expect(estate.json().detail).toContain('不属于重度肢体残疾人(盲人)、一户多残、以老养残或精神分裂症残疾人中的任何一类');
    const blind = await post(coordinator, '/v1/cases', { subjectId: s.id, itemCode: 'BLIND_MASSAGE', actionCode: 'ANNUAL_REPORT' });
    expect(blind.statusCode).toBe(409);
    expect(blind.json().detail).toContain('有需求的盲人');
  });

  it('二 "等": another special difficulty with its written reason opens the case, and the ground is recorded', async () => {
    const s = await notInProgramme();
    const res = await post(coordinator, '/v1/cases', {
      subjectId: s.id, itemCode: 'REAL_ESTATE', actionCode: 'REGISTRATION', answers: { otherDifficulty: '独居，术后卧床三个月' },
    });
    expect(res.statusCode).toBe(201);
    expect(await decision('case', res.json().id)).toMatchObject({ ground: 'other_difficulty', reason: '独居，术后卧床三个月', groups: ['other_special_difficulty'] });
    const blank = await post(coordinator, '/v1/cases', { subjectId: s.id, itemCode: 'REAL_ESTATE', actionCode: 'REGISTRATION', answers: { otherDifficulty: '  ' } });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().errors.map((e: { path: string }) => e.path)).toContain('body.answers.otherDifficulty');
  });

  it('a coordinator may open despite a refusal with a reason: audited and recorded; an admin may not', async () => {
    const s = await notInProgramme();
    const body = { subjectId: s.id, itemCode: 'SOCIAL_ASSISTANCE', actionCode: 'TEMP_ASSISTANCE', override: { reason: '突发火灾，家中无人可办' } };
    const byAdmin = await post(admin, '/v1/cases', body);
    expect(byAdmin.statusCode).toBe(403);
    const res = await post(coordinator, '/v1/cases', body);
    expect(res.statusCode).toBe(201);
    const id = res.json().id as string;
    expect(await decision('case', id)).toMatchObject({ ground: 'override', reason: '突发火灾，家中无人可办', decidedBy: coordinator.id });
    expect((await decision('case', id)).refusal).toContain('不符合两项补贴、低保、临时救助、特困供养的服务对象条件');
    const audits = await stack.db.select().from(auditLog).where(and(eq(auditLog.action, 'eligibility.override'), eq(auditLog.resourceId, id)));
    expect(audits).toHaveLength(1);
    expect(JSON.stringify(audits[0].detail)).not.toContain('火灾');
    const tooShort = await post(coordinator, '/v1/cases', { ...body, override: { reason: '急' } });
    expect(tooShort.statusCode).toBe(400);
  });

  it('POST /v1/surveys judges each need by its own item: item 8 starts, item 4 is refused and says why', async () => {
    const s = await notInProgramme();
    const res = await post(coordinator, '/v1/surveys', {
      subjectId: s.id, surveyedAt: new Date(Date.now() - 60_000).toISOString(),
      answers: { limitedMobility: false, noCapableCarer: false, elderlyParentCarer: false, schizophrenia: false, blind: false },
      needs: [{ itemCode: 'LEGAL_AID', actionCode: 'MEDIATION' }, { itemCode: 'REAL_ESTATE', actionCode: 'REGISTRATION' }],
    });
    expect(res.statusCode).toBe(201);
    const [legal, estate] = res.json().needs;
    expect(legal).toMatchObject({ status: { code: 'case_started' }, eligibility: { eligible: true } });
    expect(estate).toMatchObject({ status: { code: 'not_started' }, caseId: null, eligibility: { eligible: false } });
    expect(res.json().notice).toContain('1 项需求不符合该服务事项的服务对象条件，未启动');
    expect(await stack.db.select().from(needs).where(eq(needs.subjectId, s.id))).toHaveLength(1);
  });

  it('POST /v1/plans: item 5 follows 二 (409, or a coordinator\'s reason); item 6 needs a disabled child', async () => {
    const s = await notInProgramme();
    const today = shanghaiDate(new Date());
    const plan = {
      subjectId: s.id, itemCode: 'ADULT_REHAB', startDate: today, provider: { type: 'family_doctor', name: '王医生' },
      assessment: {
        rehabAssessment: { assessedBy: '社区卫生服务中心', assessedOn: today, result: '需康复训练指导' },
        familyDoctorContract: { doctor: '王医生', signedOn: today },
      },
    };
    const refused = await post(coordinator, '/v1/plans', plan);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail).toContain('不符合成年残疾人家庭康复的服务对象条件');
    const overridden = await post(coordinator, '/v1/plans', { ...plan, override: { reason: '家属长期外出务工，无人照护' } });
    expect(overridden.statusCode).toBe(201);
    expect(await decision('plan', overridden.json().id)).toMatchObject({ ground: 'override', itemCode: 'ADULT_REHAB' });

    const kid = await makeSubject(stack.db, { county: '640104', idNumber: uniqueIdNumber('640104', Number(today.slice(0, 4)) - 4), eligibility: null });
    const childPlan = { subjectId: kid.id, itemCode: 'CHILD_REHAB', assessment: { parentsCannotTake: true }, provider: { type: 'rehabilitation_institution', name: '康复中心' }, startDate: today };
    const unknown = await post(coordinator, '/v1/plans', childPlan);
    expect(unknown.statusCode).toBe(409);
    expect(unknown.json().eligibility.missing).toEqual(['disabilityCategory']);
    const ok = await post(coordinator, '/v1/plans', { ...childPlan, answers: { disabilityCategory: 5, disabilityGrade: 2 } });
    expect(ok.statusCode).toBe(201);
    expect(await decision('plan', ok.json().id)).toMatchObject({ ground: 'item_target' });
  });
});
