/**
 * Demo data, loaded once into an empty database: one user of each role (with fixed, DEMO-ONLY
 * tokens and console passwords printed at start), a few subjects across the counties, and cases
 * opened through the API (two of them assigned to the demo worker, one with a visit booked; eight in
 * the other counties, not yet assigned), and a child's rehabilitation plan with its first session.
 */
import type { FastifyInstance } from 'fastify';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { subjects, users } from '../db/schema';
import { hashPassword } from '../api/passwords';
import { createUser, issueToken } from '../db/queries/users';
import { makeIdNumber } from '../domain/idNumber';
import { addDaysToDate, shanghaiDate, startOfShanghaiDay } from '../domain/calendar';
import { makeCertificateNumber } from '../domain/certificateNumber';

/**
 * DEMO ONLY: well-known tokens (to try the API with curl) and console passwords (to log in at /).
 * Never use in production.
 */
export const DEMO_USERS = [
  { username: 'demo-coordinator', displayName: '示例协调员（兴庆区残联）', role: 'coordinator', counties: ['640104'], departments: [], token: 'demo-coordinator-token', password: 'demo-pass-coordinator' },
  { username: 'demo-worker', displayName: '示例上门工作人员（兴庆区残联）', role: 'worker', counties: ['640104'], departments: ['DPF'], token: 'demo-worker-token', password: 'demo-pass-worker' },
  { username: 'demo-reviewer', displayName: '示例审核员（兴庆区残联）', role: 'reviewer', counties: ['640104'], departments: ['DPF'], token: 'demo-reviewer-token', password: 'demo-pass-reviewer' },
  { username: 'demo-supervisor', displayName: '示例督导（市残联领导小组办公室）', role: 'supervisor', counties: [], departments: [], cityLevel: true, token: 'demo-supervisor-token', password: 'demo-pass-supervisor' },
  { username: 'demo-admin', displayName: '示例管理员', role: 'admin', counties: [], departments: [], cityLevel: true, token: 'demo-admin-token', password: 'demo-pass-admin' },
] as const;

/**
 * Gives the demo users that have no password yet their demo password (a database loaded before console
 * logins existed); users with a password of their own keep it.
 */
export async function ensureDemoPasswords(db: Db): Promise<void> {
  for (const u of DEMO_USERS) {
    await db.update(users).set({ passwordHash: await hashPassword(u.password) })
      .where(and(eq(users.username, u.username), isNull(users.passwordHash)));
  }
}

const DEMO_SUBJECTS = [
  { id: 'demo-subject-1', name: '张桂兰', county: '640104', township: '富宁街街道', community: '丽景社区', birthDate: '1958-03-12', sequence: 122, category: 4, grade: 1 },
  { id: 'demo-subject-2', name: '李建国', county: '640104', township: '新华街街道', community: '湖滨社区', birthDate: '1971-11-02', sequence: 351, category: 1, grade: 1 },
  { id: 'demo-subject-3', name: '马小红', county: '640105', township: '文昌路街道', community: '同心路社区', birthDate: '2021-06-30', sequence: 82, category: 5, grade: 2 },
  { id: 'demo-subject-4', name: '王海', county: '640122', township: '习岗镇', community: '新平村', birthDate: '1985-01-20', sequence: 217, category: 6, grade: 2 },
  { id: 'demo-subject-5', name: '刘小宇', county: '640104', township: '凤凰北街街道', community: '北塔社区', birthDate: '2022-04-18', sequence: 64, category: 5, grade: 2 },
  { id: 'demo-subject-6', name: '刘淑芬', county: '640106', township: '长城中路街道', community: '宁安社区', birthDate: '1949-09-08', sequence: 146, category: 4, grade: 1 },
  { id: 'demo-subject-7', name: '杨春生', county: '640121', township: '杨和镇', community: '纳家户村', birthDate: '1966-05-21', sequence: 391, category: 4, grade: 1 },
  { id: 'demo-subject-8', name: '何秀英', county: '640181', township: '城区街道', community: '东塔社区', birthDate: '1955-12-02', sequence: 228, category: 1, grade: 1 },
  { id: 'demo-subject-9', name: '马志强', county: '640105', township: '朔方路街道', community: '怀远社区', birthDate: '1978-07-15', sequence: 173, category: 4, grade: 1 },
] as const;

/** What the coordinator records at opening: a severely physically disabled or blind person who cannot travel and has no capable carer. */
const CANNOT_TRAVEL = { limitedMobility: true, noCapableCarer: true };

/**
 * Cases in the other counties and departments, opened by the demo admin (city-wide) and left for their
 * county to assign: the supervisor's dashboard, the workload's 未分派 row and the city's lists have
 * something to show from the first start.
 */
const CITY_CASES = [
  { subjectId: 'demo-subject-9', itemCode: 'SOCIAL_ASSISTANCE', actionCode: 'TWO_SUBSIDIES', answers: CANNOT_TRAVEL },
  // 王海 has schizophrenia (精神残疾二级): a group the plan names by itself.
  { subjectId: 'demo-subject-4', itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION', answers: { schizophrenia: true } },
  { subjectId: 'demo-subject-4', itemCode: 'SOCIAL_INSURANCE', actionCode: 'MEDICAL_INSURANCE', answers: { schizophrenia: true } },
  { subjectId: 'demo-subject-6', itemCode: 'PENSION_QUALIFICATION', actionCode: 'CERTIFY', answers: CANNOT_TRAVEL },
  { subjectId: 'demo-subject-6', itemCode: 'REAL_ESTATE', actionCode: 'REGISTRATION', answers: CANNOT_TRAVEL },
  { subjectId: 'demo-subject-7', itemCode: 'SOCIAL_ASSISTANCE', actionCode: 'MIN_LIVING', answers: CANNOT_TRAVEL },
  { subjectId: 'demo-subject-8', itemCode: 'PENSION_QUALIFICATION', actionCode: 'CERTIFY', answers: CANNOT_TRAVEL },
  { subjectId: 'demo-subject-8', itemCode: 'DISABILITY_CERT', actionCode: 'RENEW', answers: CANNOT_TRAVEL },
] as const;

/** True when the database already holds users (demo data or real). */
export async function hasUsers(db: Db): Promise<boolean> {
  const rows = await db.execute(sql`select exists(select 1 from users) as present`);
  return Boolean((rows as unknown as Array<{ present: boolean }>)[0]?.present);
}

/** Loads the demo data unless there are users already. Returns whether it loaded. */
export async function loadDemoData(db: Db, app: FastifyInstance): Promise<boolean> {
  if (await hasUsers(db)) return false;
  for (const u of DEMO_USERS) {
    const id = await createUser(db, { ...u, counties: [...u.counties], departments: [...u.departments] });
    await issueToken(db, id, { token: u.token, label: 'demo' });
  }
  await ensureDemoPasswords(db);
  for (const s of DEMO_SUBJECTS) {
    const idNumber = makeIdNumber({ regionCode: s.county, birthDate: s.birthDate, sequence: s.sequence });
    await db.insert(subjects).values({
      id: s.id, idNumber, name: s.name, sex: s.sequence % 2 === 1 ? 'male' : 'female', birthDate: s.birthDate,
      certificateNumber: makeCertificateNumber(idNumber, s.category, s.grade), disabilityCategory: s.category, disabilityGrade: s.grade,
      county: s.county, township: s.township, community: s.community, address: `${s.township}${s.community}`,
      phone: '13800000000', consentToShare: true, createdBy: 'demo',
    }).onConflictDoNothing();
  }
  const demoCases = [
    { subjectId: 'demo-subject-1', itemCode: 'DISABILITY_CERT', actionCode: 'RENEW', answers: CANNOT_TRAVEL },
    { subjectId: 'demo-subject-2', itemCode: 'PENSION_QUALIFICATION', actionCode: 'CERTIFY', greenChannel: true, answers: CANNOT_TRAVEL },
    { subjectId: 'demo-subject-2', itemCode: 'DISABILITY_CERT', actionCode: 'REISSUE', answers: CANNOT_TRAVEL },
  ];
  const as = (role: 'coordinator' | 'worker' | 'admin') => async (url: string, payload: object, key: string) => {
    const res = await app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer demo-${role}-token`, 'idempotency-key': key } });
    if (res.statusCode >= 300) throw new Error(`demo data ${url}: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string };
  };
  const asCoordinator = as('coordinator');
  const opened = [];
  for (const [i, body] of demoCases.entries()) opened.push(await asCoordinator('/v1/cases', body, `demo-case-${i}`));
  // The demo worker's 我的任务: the two 残联 cases assigned to them, one visit booked for tomorrow 09:30 (Beijing time).
  const [worker] = await db.select({ id: users.id }).from(users).where(eq(users.username, 'demo-worker'));
  for (const i of [0, 2]) await asCoordinator(`/v1/cases/${opened[i].id}/assign`, { assignee: worker.id }, `demo-assign-${i}`);
  const tomorrow = addDaysToDate(shanghaiDate(new Date()), 1);
  const visitAt = new Date(startOfShanghaiDay(tomorrow).getTime() + 9.5 * 3_600_000).toISOString();
  await asCoordinator(`/v1/cases/${opened[0].id}/schedule-visit`, { scheduledAt: visitAt }, 'demo-visit-0');
  for (const [i, body] of CITY_CASES.entries()) await as('admin')('/v1/cases', body, `demo-city-case-${i}`);
  // A child's rehabilitation at home (残疾儿童送康复上门, four sessions a month), begun today with its first session.
  const today = shanghaiDate(new Date());
  const plan = await asCoordinator('/v1/plans', {
    subjectId: 'demo-subject-5', itemCode: 'CHILD_REHAB', assessment: { parentsCannotTake: true },
    provider: { type: 'rehabilitation_institution', name: '银川市残疾儿童康复中心' }, startDate: today,
  }, 'demo-plan-0');
  await as('worker')(`/v1/plans/${plan.id}/sessions`, { date: today, units: 60, providerStaff: '康复师李芳', content: '上门开展运动功能训练' }, 'demo-plan-session-0');
  return true;
}
