/**
 * Reconciliation (issue 12, point 3) against the real stack on a database of its own: differences
 * planted in the read model (a row moved back, a lost event, a ghost event, a lost case row, a plan row
 * and a lost session) are each reported, field by field; --repair projects them again from the
 * workflows; the CLI exits 3 while differences remain; the nightly Schedule runs it; admins see the
 * runs, the findings and the schedules' health.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcile } from '../../activities/reconcile';
import { caseEvents, cases, plans, planSessions, reconciliationRuns } from '../../db/schema';
import { shanghaiDate } from '../../domain/calendar';
import { ensureSchedules, SCHEDULE_IDS } from '../../temporal/schedules';
import { eventually } from '../support/eventually';
import { ownDatabase, startStack, type TestStack } from '../support/env';
import { makeSubject, makeUser, uniqueIdNumber, type TestUser } from '../support/fixtures';
import { PROJECT_ROOT } from '../support/devStack';
import { post } from './casesSupport';

const run = promisify(execFile);
let own: Awaited<ReturnType<typeof ownDatabase>>;
let stack: TestStack;
let coordinator: TestUser;
let worker: TestUser;
let admin: TestUser;
const caseIds: string[] = [];
let planId = '';

beforeAll(async () => {
  own = await ownDatabase();
  stack = await startStack({ DATABASE_URL: own.url });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
  worker = await makeUser(stack.db, 'worker', { counties: ['640104'] });
  admin = await makeUser(stack.db, 'admin', { cityLevel: true });
  for (let i = 0; i < 4; i++) {
    const subject = await makeSubject(stack.db, { county: '640104' });
    const res = await post(stack, coordinator, '/v1/cases', { subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' });
    expect(res.statusCode).toBe(201);
    caseIds.push(res.json().id);
    expect((await post(stack, coordinator, `/v1/cases/${caseIds[i]}/hold`, { reason: '住院治疗' })).statusCode).toBe(200);
  }
  const child = await makeSubject(stack.db, { county: '640104', idNumber: uniqueIdNumber('640104', Number(shanghaiDate(new Date()).slice(0, 4)) - 3) });
  const today = shanghaiDate(new Date());
  const plan = await post(stack, coordinator, '/v1/plans', {
    subjectId: child.id, itemCode: 'CHILD_REHAB', assessment: { parentsCannotTake: true },
    provider: { type: 'rehabilitation_institution', name: '银川市残疾儿童康复中心' }, startDate: today,
  });
  expect(plan.statusCode).toBe(201);
  planId = plan.json().id;
  const session = await post(stack, worker, `/v1/plans/${planId}/sessions`, { date: today, units: 60, providerStaff: '王老师', content: '康复训练' });
  expect(session.statusCode).toBe(201);
  await eventually(async () => (await stack.db.select().from(planSessions).where(eq(planSessions.planId, planId))).length === 1);
});
afterAll(async () => {
  await stack?.close();
  await own?.drop();
});

/** Plants one difference of each kind in the read model. */
async function plantDifferences() {
  const [moved, lostEvent, ghost, lostRow] = caseIds;
  await stack.db.update(cases).set({ status: 'open', onHold: false, lastEventSeq: 1 }).where(eq(cases.id, moved));
  await stack.db.delete(caseEvents).where(and(eq(caseEvents.caseId, lostEvent), eq(caseEvents.seq, 2)));
  await stack.db.insert(caseEvents).values({ caseId: ghost, seq: 99, type: 'assigned', at: new Date(), actor: 'ghost', data: {} });
  await stack.db.delete(caseEvents).where(eq(caseEvents.caseId, lostRow));
  await stack.db.delete(cases).where(eq(cases.id, lostRow));
  await stack.db.update(plans).set({ escalationLevel: 2 }).where(eq(plans.id, planId));
  await stack.db.delete(planSessions).where(eq(planSessions.planId, planId));
}

const opts = { days: 7, trigger: 'cli' as const, settleMs: 200 };

describe('reconciliation', () => {
  it('reports each planted difference field by field, and --repair makes the read model equal the workflows again', async () => {
    const taskQueue = stack.config.TEMPORAL_TASK_QUEUE;
    const clean = await reconcile(stack.db, stack.client, { ...opts, repair: false, taskQueue });
    expect(clean.findings).toEqual([]);
    expect(clean.casesChecked).toBe(4);
    expect(clean.plansChecked).toBe(1);

    await plantDifferences();
    const [moved, lostEvent, ghost, lostRow] = caseIds;
    const found = await reconcile(stack.db, stack.client, { ...opts, repair: false, taskQueue });
    const by = (id: string) => found.findings.filter((f) => f.entityId === id).map((f) => [f.field, f.readModel, f.workflow]);
    expect(by(moved)).toEqual(expect.arrayContaining([['onHold', 'false', 'true'], ['lastEventSeq', '1', '2']]));
    expect(by(lostEvent)).toEqual([['events[2]', 'missing', 'held']]);
    expect(by(ghost)).toEqual([['events[99]', 'assigned', 'missing']]);
    expect(by(lostRow)).toEqual([['row', 'missing', 'seq 2']]);
    expect(by(planId)).toEqual(expect.arrayContaining([['escalationLevel', '2', '0'], [expect.stringMatching(/^sessions\[/), 'missing', shanghaiDate(new Date())]]));
    expect(found.findings.every((f) => !f.repaired)).toBe(true);
    expect(found.findings.find((f) => f.entityId === moved)).toMatchObject({ kind: 'case', county: '640104', department: 'JUSTICE' });

    const repaired = await reconcile(stack.db, stack.client, { ...opts, repair: true, taskQueue });
    expect(repaired.findings.length).toBe(found.findings.length);
    expect(repaired.repaired).toBe(found.findings.length);
    const after = await reconcile(stack.db, stack.client, { ...opts, repair: false, taskQueue });
    expect(after.findings).toEqual([]);
    const [row] = await stack.db.select().from(cases).where(eq(cases.id, lostRow));
    expect(row).toMatchObject({ onHold: true, lastEventSeq: 2 });
    // The API reads the repaired rows.
    const list = await stack.app.inject({ url: '/v1/cases?limit=50', headers: coordinator.auth });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((c: { id: string }) => c.id).sort()).toEqual([...caseIds].sort());
  }, 120_000);

  it('the CLI prints each difference and exits 3 until --repair has fixed them', async () => {
    await stack.db.update(cases).set({ step: 'review' }).where(eq(cases.id, caseIds[0]));
    const env = { ...process.env, DATABASE_URL: own.url, TEMPORAL_ADDRESS: stack.config.TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE: stack.config.TEMPORAL_TASK_QUEUE };
    const admin = (args: string[]) => run('node', ['--import', 'tsx', 'bin/admin.ts', ...args], { cwd: PROJECT_ROOT, env }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    const check = await admin(['reconcile']);
    expect(check.code).toBe(3);
    expect(check.out).toContain(`case\t${caseIds[0]}\t640104\tJUSTICE\tstep\tread model: review\tworkflow: assignment`);
    expect(check.out).toMatch(/checked 4 case\(s\) and 1 plan\(s\): 1 difference\(s\), 0 repaired/);
    const fix = await admin(['reconcile', '--repair']);
    expect(fix.code).toBe(0);
    expect(fix.out).toContain('REPAIRED');
    expect((await admin(['reconcile'])).code).toBe(0);
  }, 120_000);

  it('runs nightly as a Temporal Schedule; admins see the runs, the findings and the schedules', async () => {
    await stack.db.update(cases).set({ escalationLevel: 2 }).where(eq(cases.id, caseIds[1]));
    const prefix = `rc-${Date.now()}-`;
    await ensureSchedules(stack.client, { taskQueue: stack.config.TEMPORAL_TASK_QUEUE, idPrefix: prefix });
    const handle = stack.client.schedule.getHandle(`${prefix}${SCHEDULE_IDS.reconcileNightly}`);
    try {
      const described = await handle.describe();
      expect(described.spec.timezone).toBe('Asia/Shanghai');
      expect(described.action).toMatchObject({ workflowType: 'nightlyReconciliation' });
      await handle.trigger();
      const nightly = await eventually(async () => (await stack.db.select().from(reconciliationRuns).where(eq(reconciliationRuns.trigger, 'schedule')))
        .find((r) => r.finishedAt !== null), 60_000);
      expect(nightly).toMatchObject({ repair: true, days: 7, casesChecked: 4, plansChecked: 1, findings: 1, repaired: 1 });

      const view = await stack.app.inject({ url: '/v1/admin/reconciliation', headers: admin.auth });
      expect(view.statusCode).toBe(200);
      expect(view.json().runs[0]).toMatchObject({ id: nightly.id, trigger: 'schedule' });
      expect(view.json().findings).toEqual([expect.objectContaining({
        kind: 'case', id: caseIds[1], field: 'escalationLevel', readModel: '2', workflow: '0', repaired: true, county: { code: '640104', label: '兴庆区' },
      })]);
      expect((await stack.app.inject({ url: '/v1/admin/reconciliation', headers: coordinator.auth })).statusCode).toBe(403);
      // An admin of another county sees the run, not the finding (it is a 兴庆区 case).
      const elsewhere = await makeUser(stack.db, 'admin', { counties: ['640181'] });
      const theirs = await stack.app.inject({ url: '/v1/admin/reconciliation', headers: elsewhere.auth });
      expect(theirs.json().runs[0].id).toBe(nightly.id);
      expect(theirs.json().findings).toEqual([]);

      // The schedules: a paused one is a problem an admin sees.
      await handle.pause('测试暂停');
      const { scheduleHealthOf } = await import('../../api/services/scheduleHealth');
      const health = await scheduleHealthOf(stack.client, `${prefix}${SCHEDULE_IDS.reconcileNightly}`, new Date());
      expect(health).toMatchObject({ exists: true, paused: true, lastRunStatus: 'COMPLETED' });
      expect(health.problems).toEqual([expect.stringContaining('已暂停')]);
      const missing = await scheduleHealthOf(stack.client, `${prefix}no-such-schedule`, new Date());
      expect(missing).toMatchObject({ exists: false, problems: [expect.stringContaining('不存在')] });
      const schedules = await stack.app.inject({ url: '/v1/admin/schedules', headers: admin.auth });
      expect(schedules.statusCode).toBe(200);
      expect(schedules.json().items.map((i: { schedule: string }) => i.schedule)).toEqual(Object.values(SCHEDULE_IDS));
    } finally {
      for (const id of Object.values(SCHEDULE_IDS)) await stack.client.schedule.getHandle(`${prefix}${id}`).delete().catch(() => {});
    }
  }, 120_000);
});
