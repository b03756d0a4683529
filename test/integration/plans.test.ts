/**
 * /v1/plans end to end: HTTP → Temporal dev server → PostgreSQL. The dev server runs on real time, so
 * dates are built from today (Asia/Shanghai); period arithmetic on fixed dates is unit-tested.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerEntries, needs, planPeriods, plans, planSessions } from '../../db/schema';
import { addDaysToDate, shanghaiDate } from '../../domain/calendar';
import { createActivities } from '../../activities';
import type { PlanState } from '../../workflows/planContract';
import { makeSubject, makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';
import { eventually } from '../support/eventually';

let stack: TestStack;
let coordinator: TestUser;
let worker: TestUser;
let supervisor: TestUser;
let educationCoordinator: TestUser;
const today = () => shanghaiDate(new Date());
const yearsAgo = (n: number) => Number(today().slice(0, 4)) - n;

beforeAll(async () => {
  stack = await startStack();
  coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
  educationCoordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'], departments: ['EDUCATION'] });
  worker = await makeUser(stack.db, 'worker', { counties: ['640104'] });
  supervisor = await makeUser(stack.db, 'supervisor', { counties: ['640104'] });
});
afterAll(async () => { await stack?.close(); });


/** A child aged `age` or `age + 1` today (born in the year `age + 1` years ago). */
async function child(age: number) {
  const born = yearsAgo(age + 1);
  return makeSubject(stack.db, { county: '640104', idNumber: uniqueIdNumber('640104', born) });
}

const rehabProvider = { type: 'rehabilitation_institution', name: '银川市残疾儿童康复中心' };
const childPlan = (subjectId: string) => ({
  subjectId, itemCode: 'CHILD_REHAB', assessment: { parentsCannotTake: true }, provider: rehabProvider, startDate: today(),
});

async function post(url: string, user: TestUser, payload: unknown, headers: Record<string, string> = {}) {
  return stack.app.inject({ method: 'POST', url, headers: { ...user.auth, ...headers }, payload: payload as object });
}

describe('/v1/plans', () => {
  it('a survey that finds an ongoing need ends in a running plan linked to the need', async () => {
    const subject = await child(3);
    const survey = await post('/v1/surveys', coordinator, {
      subjectId: subject.id, surveyedAt: new Date(Date.now() - 60_000).toISOString(),
      answers: { disabilityCategory: 4, disabilityGrade: 1, limitedMobility: true, noCapableCarer: true },
      needs: [{ itemCode: 'CHILD_REHAB', actionCode: 'ENROL' }],
    });
    expect(survey.statusCode).toBe(201);
    const needId = survey.json().needs[0].id as string;
    expect(needId).toBeTruthy();

    const body = { needId, assessment: { parentsCannotTake: true, assessedBy: '康复中心评估组', assessedOn: today() }, provider: rehabProvider, startDate: today() };
    const res = await post('/v1/plans', coordinator, body);
    expect(res.statusCode).toBe(201);
    const plan = res.json();
    expect(res.headers.location).toBe(`/v1/plans/${plan.id}`);
    expect(plan).toMatchObject({
      status: { code: 'active', label: '服务中' }, needId, subjectId: subject.id,
      item: { code: 'CHILD_REHAB', label: '残疾儿童送康复上门' }, department: { code: 'DPF', label: '残联' },
      provider: { type: { code: 'rehabilitation_institution', label: '定点康复机构' }, name: rehabProvider.name },
      assessment: { parentsCannotTake: true },
    });
    expect(plan.currentPeriod.progress.label).toMatch(/^0\/\d 次$/);

    const [need] = await stack.db.select().from(needs).where(eq(needs.id, needId));
    expect(need.planId).toBe(plan.id);
    const row = await eventually(async () => (await stack.db.select().from(plans).where(and(eq(plans.id, plan.id), eq(plans.status, 'active'))))[0]);
    expect(row).toMatchObject({ needId, subjectId: subject.id, department: 'DPF', currentPeriod: today().slice(0, 7) });
    expect(row.ageOutOn).toBe(`${yearsAgo(3 + 1) + 7}${subject.birthDate.slice(4)}`);

    // The same enrolment again answers the same plan; the need cannot become a second plan.
    const again = await post('/v1/plans', coordinator, body);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(plan.id);
    const other = await post('/v1/plans', coordinator, { ...body, provider: { ...rehabProvider, name: '另一家机构' } });
    expect(other.statusCode).toBe(409);
    expect(other.json().detail).toContain('该需求已纳入服务计划');
    const needsView = await stack.app.inject({ url: `/v1/subjects/${subject.id}/needs`, headers: coordinator.auth });
    expect(needsView.statusCode).toBe(200);
    expect(JSON.stringify(needsView.json())).toContain(`"planId":"${plan.id}"`);
  });

  it('records sessions through the workflow and rejects duplicates, future dates and dates outside the period', async () => {
    const subject = await child(4);
    const plan = (await post('/v1/plans', coordinator, childPlan(subject.id))).json();
    const url = `/v1/plans/${plan.id}/sessions`;
    const s = { date: today(), units: 60, providerStaff: '康复师王芳', content: '运动功能训练', evidence: [{ sha256: 'a'.repeat(64), kind: 'photo' }] };

    const ok = await post(url, worker, s, { 'idempotency-key': `session-${plan.id}` });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ date: today(), units: 60, unit: { code: 'minutes', label: '分钟' }, providerStaff: '康复师王芳', period: today().slice(0, 7) });
    // A retried request with the same key is the same update, not a duplicate.
    const retried = await post(url, worker, s, { 'idempotency-key': `session-${plan.id}` });
    expect(retried.statusCode).toBe(201);
    expect(retried.json().id).toBe(ok.json().id);

    const dup = await post(url, worker, s);
    expect(dup.statusCode).toBe(409);
    expect(dup.json().detail).toBe(`康复师王芳 在 ${today()} 的服务已登记，不能重复登记`);
    const future = await post(url, worker, { ...s, date: addDaysToDate(today(), 1) });
    expect(future.statusCode).toBe(409);
    expect(future.json().detail).toContain('不能登记未来的服务');
    const before = await post(url, worker, { ...s, date: addDaysToDate(`${today().slice(0, 7)}-01`, -1) });
    expect(before.statusCode).toBe(409);
    expect(before.json().detail).toContain('只能登记本期的服务');
    const zero = await post(url, worker, { ...s, units: 0 });
    expect(zero.statusCode).toBe(400);
    expect(zero.json().errors[0].path).toBe('body.units');
    expect((await post(url, coordinator, s)).statusCode).toBe(403);

    const rows = await eventually(async () => {
      const r = await stack.db.select().from(planSessions).where(eq(planSessions.planId, plan.id));
      return r.length === 1 && r;
    });
    expect(rows[0]).toMatchObject({ sessionDate: today(), units: 60, providerStaff: '康复师王芳', recordedBy: worker.id });
    const got = (await stack.app.inject({ url: `/v1/plans/${plan.id}`, headers: supervisor.auth })).json();
    expect(got.currentPeriod.sessions).toHaveLength(1);
    expect(got.currentPeriod.progress.done).toBe(1);
  });

  it('home schooling keeps half class hours and shows the week’s progress', async () => {
    const subject = await child(10);
    const school = '兴庆区特殊教育学校';
    const res = await post('/v1/plans', educationCoordinator, {
      subjectId: subject.id, itemCode: 'HOME_SCHOOLING', provider: { type: 'school', name: school }, startDate: today(),
      assessment: {
        schoolingAbility: { assessedBy: '县特教指导中心', assessedOn: today(), result: '重度肢体残疾，不能随班就读', canAttendSchool: false },
        schoolAssignment: { school, basis: 'household_registration' },
      },
    });
    expect(res.statusCode).toBe(201);
    const plan = res.json();
    expect(plan.department.code).toBe('EDUCATION');
    const s = await post(`/v1/plans/${plan.id}/sessions`, worker, { date: today(), units: 1.5, providerStaff: '李老师', content: '语文、生活适应' });
    expect(s.statusCode).toBe(201);
    expect(s.json()).toMatchObject({ units: 1.5, unit: { code: 'class_hours', label: '课时' } });
    const bad = await post(`/v1/plans/${plan.id}/sessions`, worker, { date: today(), units: 1.25, providerStaff: '张老师', content: '数学' });
    expect(bad.statusCode).toBe(400);
    const got = (await stack.app.inject({ url: `/v1/plans/${plan.id}`, headers: educationCoordinator.auth })).json();
    expect(got.currentPeriod.progress.label).toBe('本周 1.5/2 课时');
    // The week so far: one session, too short to count, and no verdict while the week runs.
    const week = got.currentPeriod.weeks.find((w: { start: string; end: string }) => w.start <= today() && today() <= w.end);
    expect(week).toMatchObject({ sessions: 1, qualifying: 0, longest: 1.5 });
    expect(week.compliant).toBeUndefined();
    const row = await eventually(async () => (await stack.db.select().from(planSessions).where(eq(planSessions.planId, plan.id)))[0]);
    expect(row.units).toBe(1.5);
  });

  it('validates the assessment per item: 400 with field paths, 409 with the reason', async () => {
    const kid = await child(3);
    const noParents = await post('/v1/plans', coordinator, { ...childPlan(kid.id), assessment: { parentsCannotTake: false } });
    expect(noParents.statusCode).toBe(400);
    expect(noParents.json().errors.map((e: { path: string }) => e.path)).toContain('body.assessment.parentsCannotTake');

    const wrongProvider = await post('/v1/plans', coordinator, { ...childPlan(kid.id), provider: { type: 'school', name: '某小学' } });
    expect(wrongProvider.statusCode).toBe(400);
    expect(wrongProvider.json().errors[0].path).toBe('body.provider.type');

    const older = await child(8);
    const tooOld = await post('/v1/plans', coordinator, childPlan(older.id));
    expect(tooOld.statusCode).toBe(409);
    expect(tooOld.json().detail).toContain('年满7周岁');

    const pupil = await child(9);
    const noSchool = await post('/v1/plans', educationCoordinator, {
      subjectId: pupil.id, itemCode: 'HOME_SCHOOLING', provider: { type: 'school', name: '某小学' }, startDate: today(),
      assessment: { schoolingAbility: { assessedBy: '评估组', assessedOn: today(), result: '不能随班就读', canAttendSchool: true } },
    });
    expect(noSchool.statusCode).toBe(400);
    const paths = noSchool.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.assessment.schoolingAbility.canAttendSchool', 'body.assessment.schoolAssignment']));

    const neither = await post('/v1/plans', coordinator, { assessment: {}, provider: rehabProvider, startDate: today() });
    expect(neither.statusCode).toBe(400);
    expect(neither.json().errors.map((e: { path: string }) => e.path)).toEqual(['body.subjectId', 'body.itemCode']);

    // One running plan per person and item.
    expect((await post('/v1/plans', coordinator, childPlan(kid.id))).statusCode).toBe(201);
    await eventually(async () => (await stack.db.select().from(plans).where(and(eq(plans.subjectId, kid.id), eq(plans.status, 'active'))))[0]);
    const second = await post('/v1/plans', coordinator, childPlan(kid.id));
    expect(second.statusCode).toBe(409);
    expect(second.json().detail).toContain('已有进行中的残疾儿童送康复上门服务计划');
  });

  it('withdrawal checks the period pro rata, writes the verdict and the ledger row, and ends the plan', async () => {
    const adult = await makeSubject(stack.db, { county: '640104', idNumber: uniqueIdNumber('640104', yearsAgo(40)) });
    const res = await post('/v1/plans', coordinator, {
      subjectId: adult.id, itemCode: 'HOME_EMPLOYMENT', provider: { type: 'service_company', name: '爱心电商' }, startDate: today(),
      assessment: { labourCapacity: { assessedBy: '县残联', assessedOn: today(), capacity: 'partial' } },
    });
    expect(res.statusCode).toBe(201);
    const plan = res.json();
    expect((await post(`/v1/plans/${plan.id}/sessions`, worker, { date: today(), units: 90, providerStaff: '就业指导员', content: '网店运营培训' })).statusCode).toBe(201);
    expect((await post(`/v1/plans/${plan.id}/withdraw`, coordinator, { reason: '' })).statusCode).toBe(400);
    const w = await post(`/v1/plans/${plan.id}/withdraw`, coordinator, { reason: '本人已外出务工' });
    expect(w.statusCode).toBe(200);
    expect(w.json()).toMatchObject({
      status: { code: 'ended', label: '已结束' },
      end: { reason: { code: 'withdrawn', label: '退出服务' }, detail: '退出服务：本人已外出务工', lastDay: today() },
      currentPeriod: null,
    });
    const key = today().slice(0, 7);
    const period = await eventually(async () => (await stack.db.select().from(planPeriods).where(eq(planPeriods.planId, plan.id)))[0]);
    expect(period).toMatchObject({ period: key, startDate: today(), endDate: today(), sessions: 1, compliant: true, partial: true, escalatedTo: null });
    const [ledger] = await stack.db.select().from(ledgerEntries).where(eq(ledgerEntries.sourceId, `${plan.id}:${key}`));
    expect(ledger).toMatchObject({ sourceType: 'plan_period', department: 'DPF', county: '640104', itemCode: 'HOME_EMPLOYMENT' });
    expect(period.ledgerEntryId).toBe(ledger.id);
    await eventually(async () => (await stack.db.select().from(plans).where(and(eq(plans.id, plan.id), eq(plans.status, 'ended'))))[0]);

    const got = (await stack.app.inject({ url: `/v1/plans/${plan.id}`, headers: supervisor.auth })).json();
    expect(got.pastPeriods).toMatchObject([{ period: key, compliant: true, verdict: { label: '达标' }, sessions: 1 }]);
    const late = await post(`/v1/plans/${plan.id}/sessions`, worker, { date: today(), units: 30, providerStaff: '另一位指导员', content: '回访' });
    expect(late.statusCode).toBe(409);
    expect(late.json().detail).toContain('服务计划已结束');
    expect((await post(`/v1/plans/${plan.id}/withdraw`, coordinator, { reason: '再次退出' })).statusCode).toBe(409);
  });

  // Plan 三（四）11: "利用'阳光家园计划'残疾人托养服务项目资金，通过政府购买服务或民政部门社区居家养老、社区'阳光家园'
  // '邻里守望'及志愿服务等方式" — the funding source and the delivery way are separate, and every way is offered.
  it('item 11: funding source and delivery way are separate fields, with every way the plan names', async () => {
    const catalog = (await stack.app.inject({ url: '/v1/catalog', headers: supervisor.auth })).json();
    expect(catalog.housekeepingFundingSources.map((x: { code: string }) => x.code)).toEqual(['sunshine_home_funds', 'other']);
    expect(catalog.housekeepingDeliveryWays.map((x: { label: string }) => x.label)).toEqual([
      '政府购买服务', '民政部门社区居家养老', '社区“阳光家园”', '“邻里守望”', '志愿服务', '其他方式（须注明）',
    ]);
    const subject = await makeSubject(stack.db, { county: '640104' });
    const plan = (assessment: object) => post('/v1/plans', coordinator, {
      subjectId: subject.id, itemCode: 'HOUSEKEEPING', provider: { type: 'service_company', name: '家政服务公司' }, startDate: today(),
      assessment: { needsAssessment: { assessedBy: '社区', assessedOn: today(), services: ['meals'] }, ...assessment },
    });
    const paths = async (assessment: object) => {
      const res = await plan(assessment);
      expect(res.statusCode).toBe(400);
      return res.json().errors.map((e: { path: string }) => e.path);
    };
    expect(await paths({ funding: 'sunshine_home' })).toContain('body.assessment.funding');
    expect(await paths({ funding: { source: 'sunshine_home_funds' } })).toContain('body.assessment.delivery');
    expect(await paths({ funding: { source: 'other' }, delivery: { ways: ['government_purchase'] } })).toContain('body.assessment.funding.note');
    expect(await paths({ funding: { source: 'sunshine_home_funds' }, delivery: { ways: [] } })).toContain('body.assessment.delivery.ways');
    expect(await paths({ funding: { source: 'sunshine_home_funds' }, delivery: { ways: ['other'] } })).toContain('body.assessment.delivery.note');
    const ok = await plan({ funding: { source: 'other', note: '区级财政' }, delivery: { ways: ['government_purchase', 'community_home_care'] } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().assessment).toMatchObject({ funding: { source: 'other', note: '区级财政' }, delivery: { ways: ['government_purchase', 'community_home_care'] } });
  });

  it('lists plans with filters and cursor pages, within the user’s scope only', async () => {
    const subject = await child(2);
    const a = (await post('/v1/plans', coordinator, childPlan(subject.id))).json();
    const b = (await post('/v1/plans', coordinator, {
      subjectId: subject.id, itemCode: 'HOUSEKEEPING', provider: { type: 'volunteer_team', name: '邻里守望志愿队' }, startDate: today(),
      assessment: { needsAssessment: { assessedBy: '社区', assessedOn: today(), services: ['cleaning', 'meals'] }, funding: { source: 'sunshine_home_funds' }, delivery: { ways: ['neighbourhood_watch', 'volunteer_service'] } },
    })).json();
    await eventually(async () => (await stack.db.select().from(plans).where(eq(plans.subjectId, subject.id))).length === 2);

    const page1 = await stack.app.inject({ url: `/v1/plans?subjectId=${subject.id}&limit=1`, headers: supervisor.auth });
    expect(page1.statusCode).toBe(200);
    expect(page1.json().items).toHaveLength(1);
    expect(page1.json().items[0].id).toBe(b.id);
    const page2 = await stack.app.inject({ url: `/v1/plans?subjectId=${subject.id}&limit=1&cursor=${page1.json().nextCursor}`, headers: supervisor.auth });
    expect(page2.json().items.map((p: { id: string }) => p.id)).toEqual([a.id]);
    expect(page2.json().nextCursor).toBeNull();

    const filtered = await stack.app.inject({ url: `/v1/plans?subjectId=${subject.id}&itemCode=HOUSEKEEPING&status=active`, headers: supervisor.auth });
    expect(filtered.json().items).toMatchObject([{ id: b.id, item: { label: '家政服务' }, status: { code: 'active' } }]);
    const none = await stack.app.inject({ url: `/v1/plans?subjectId=${subject.id}&lastCompliant=false`, headers: supervisor.auth });
    expect(none.json().items).toEqual([]);

    const outsider = await makeUser(stack.db, 'supervisor', { counties: ['640181'] });
    expect((await stack.app.inject({ url: `/v1/plans/${a.id}`, headers: outsider.auth })).statusCode).toBe(404);
    expect((await stack.app.inject({ url: `/v1/plans?subjectId=${subject.id}`, headers: outsider.auth })).json().items).toEqual([]);
    expect((await stack.app.inject({ url: `/v1/plans/${a.id}`, headers: educationCoordinator.auth })).statusCode).toBe(404);
    expect((await stack.app.inject({ url: '/v1/plans?cursor=nonsense', headers: supervisor.auth })).statusCode).toBe(400);
  });

  it('the projection is idempotent: a retried or late snapshot never moves the plan backwards', async () => {
    const subject = await child(5);
    const plan = (await post('/v1/plans', coordinator, childPlan(subject.id))).json();
    const row = await eventually(async () => (await stack.db.select().from(plans).where(and(eq(plans.id, plan.id), eq(plans.status, 'active'))))[0]);
    const activities = createActivities({ db: stack.db });
    const state = row.state as unknown as PlanState;
    // An older snapshot (seq 0) claiming the plan ended is ignored; the assessment the API stored stays.
    await activities.projectPlan({ seq: 0, state: { ...state, status: 'ended' } });
    const session = { id: crypto.randomUUID(), period: today().slice(0, 7), date: today(), units: 30, unit: 'minutes' as const, providerStaff: 'x', content: 'y', evidence: [], recordedBy: worker.id, recordedAt: new Date().toISOString() };
    await activities.projectPlan({ seq: row.lastEventSeq, state, session });
    await activities.projectPlan({ seq: row.lastEventSeq, state, session });
    const [after] = await stack.db.select().from(plans).where(eq(plans.id, plan.id));
    expect(after).toMatchObject({ status: 'active', lastEventSeq: row.lastEventSeq, assessment: { parentsCannotTake: true } });
    expect(await stack.db.select().from(planSessions).where(eq(planSessions.planId, plan.id))).toHaveLength(1);
  });
});
