/**
 * Issue 19, point 1: every event produces its notification for the right recipients, and only for
 * them. A real caseEngine workflow on a time-skipping server of this file's own, with the real
 * projection writing into a PostgreSQL database of this file's own (so every user in it is one this
 * file made, and "only them" can be checked exactly), plus decoys who must never receive: a worker of
 * the same department not assigned, leads of another department and another county, a disabled lead,
 * a city-level supervisor of another department, a coordinator of another county, an admin.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { asc, eq, like } from 'drizzle-orm';
import { createActivities } from '../../activities';
import { projectCase, projectCaseEvents } from '../../activities/projection';
import { createDb, type Db } from '../../db/client';
import { notifications, plans, reportSubmissions } from '../../db/schema';
import { updateUser } from '../../db/queries/users';
import { addDaysToDate, shanghaiDate } from '../../domain/calendar';
import { CATALOG_VERSION, findItem } from '../../domain/catalog';
import { planPeriod } from '../../domain/planPeriods';
import { level2At } from '../../domain/caseFlow';
import { LEADERSHIP_OFFICE } from '../../domain/counties';
import {
  assignUpdate, CASE_WORKFLOW_TYPE, caseWorkflowId, reviewUpdate, scheduleVisitUpdate, visitReportUpdate, type CaseInput, type CaseState, type EvidenceRef,
} from '../../workflows/contract';
import { getCaseStateQuery } from '../../workflows/contract';
import { ownDatabase, testWorker } from '../support/env';
import { makeSubject, makeUser } from '../support/fixtures';
import { eventually, ownTimeSkippingEnv } from './caseSupport';

const COUNTY = '640122';
const DEPT = 'DPF';
const MIN = 60_000;
const HOUR = 60 * MIN;
const sha = (c: string) => c.repeat(64);
const EVIDENCE: EvidenceRef[] = [{ sha256: sha('a'), kind: 'photo' }, { sha256: sha('b'), kind: 'document' }, { sha256: sha('c'), kind: 'signature' }];

let env: TestWorkflowEnvironment;
let stopEnv: () => Promise<void>;
let own: { url: string; drop: () => Promise<void> };
let db: Db;
const u: Record<string, string> = {};

beforeAll(async () => {
  ({ env, stop: stopEnv } = await ownTimeSkippingEnv());
  own = await ownDatabase();
  db = createDb(own.url, { max: 4 });
  const mk = async (name: string, role: string, scope: { counties?: string[]; departments?: string[]; cityLevel?: boolean }) => {
    u[name] = (await makeUser(db, role, scope)).id;
  };
  await mk('worker', 'worker', { counties: [COUNTY], departments: [DEPT] });
  await mk('otherWorker', 'worker', { counties: [COUNTY], departments: [DEPT] });
  await mk('lead', 'supervisor', { counties: [COUNTY], departments: [DEPT] });
  await mk('countyWideLead', 'supervisor', { counties: [COUNTY], departments: [] });
  await mk('otherDeptLead', 'supervisor', { counties: [COUNTY], departments: ['HEALTH'] });
  await mk('otherCountyLead', 'supervisor', { counties: ['640104'], departments: [DEPT] });
  await mk('disabledLead', 'supervisor', { counties: [COUNTY], departments: [DEPT] });
  await mk('office', 'supervisor', { cityLevel: true, departments: [DEPT] });
  await mk('cityHealth', 'supervisor', { cityLevel: true, departments: ['HEALTH'] });
  await mk('coordinator', 'coordinator', { counties: [COUNTY], departments: [DEPT] });
  await mk('otherCoordinator', 'coordinator', { counties: ['640104'], departments: [DEPT] });
  await mk('admin', 'admin', { cityLevel: true });
  await updateUser(db, u.disabledLead, { disabled: true }, new Date());
}, 60_000);

afterAll(async () => {
  await stopEnv?.();
  await db?.$client.end({ timeout: 5 });
  await own?.drop();
});

const names = (ids: string[]) => ids.map((id) => Object.keys(u).find((k) => u[k] === id) ?? id).sort();

/** The recipients (by test name) of the notifications of `kind` whose event key starts with `prefix`. */
async function recipients(prefix: string, kind: string): Promise<string[]> {
  const rows = await db.select().from(notifications).where(like(notifications.eventKey, `${prefix}%`)).orderBy(asc(notifications.createdAt));
  return names(rows.filter((r) => r.kind === kind).map((r) => r.recipientId));
}

/** Skips server time to `at` (in two steps across a firing timer, as the case tests do). */
async function skipTo(at: number): Promise<void> {
  const now = await env.currentTimeMs();
  if (at - MIN > now) await env.sleep(at - MIN - now);
  await env.sleep(2 * MIN);
}

describe('notifications: who gets what (issue 19 point 1)', () => {
  it('a case from opening to a late supplement notifies exactly the right staff at each event', async () => {
    const subject = await makeSubject(db, { county: COUNTY, name: '欧阳秀英' });
    const input: CaseInput = {
      caseId: `scope-${randomUUID()}`, subjectId: subject.id, itemCode: 'DISABILITY_CERT', actionCode: 'RENEW', county: COUNTY, department: DEPT,
      catalogVersion: CATALOG_VERSION, greenChannel: false, openedAt: new Date(await env.currentTimeMs()).toISOString(), openedBy: u.coordinator, requestHash: 'h',
      // Step deadlines are a local rule, advisory by default (issue 15): escalations happen only once an admin enforces it.
      stepDeadlines: { version: 1, enforced: true },
    };
    const acts = createActivities({ db });
    const { worker, taskQueue } = await testWorker(env.nativeConnection, acts);
    const key = `case:${input.caseId}:`;
    await worker.runUntil(async () => {
      const h: WorkflowHandle = await env.client.workflow.start(CASE_WORKFLOW_TYPE, { taskQueue, workflowId: caseWorkflowId(input.caseId), args: [input] });
      const state = () => h.query(getCaseStateQuery) as Promise<CaseState>;
      let s = await eventually(async () => { const x = await state(); return x.events.length >= 1 && x.dueAt !== undefined && x; });

      // Nobody assigned yet: the assignment step due within a working day goes to the county department's coordinators.
      const due = Date.parse(s.dueAt!);
      await acts.scanNotifications({ at: new Date(due - 2 * HOUR).toISOString() });
      expect(await recipients(key, 'step_due')).toEqual(['coordinator']);
      // A second scan (the next hour) writes nothing new.
      expect((await acts.scanNotifications({ at: new Date(due - HOUR).toISOString() })).written).toBe(0);

      // The deadline passes: overdue → the county department's leads (the unassigned case has no worker yet).
      await skipTo(due);
      await eventually(async () => (await recipients(key, 'overdue')).length > 0);
      expect(await recipients(key, 'overdue')).toEqual(['countyWideLead', 'lead']);
      // Its level-1 escalation is told by the overdue notification, not a second time.
      expect(await recipients(key, 'escalated')).toEqual([]);

      // Three working days later: level 2, the leadership group's office only.
      await skipTo(level2At(new Date(due)).getTime());
      await eventually(async () => (await recipients(key, 'escalated')).length > 0);
      expect(await recipients(key, 'escalated')).toEqual(['office']);

      // Assigned: the worker, nobody else.
      s = await h.executeUpdate(assignUpdate, { args: [{ actor: u.coordinator, assignee: u.worker }] });
      await eventually(async () => (await recipients(key, 'assigned')).length > 0);
      expect(await recipients(key, 'assigned')).toEqual(['worker']);

      // A visit scheduled for tomorrow: the assigned worker, by the scan.
      const now = new Date(await env.currentTimeMs());
      const tomorrow = addDaysToDate(shanghaiDate(now), 1);
      await h.executeUpdate(scheduleVisitUpdate, { args: [{ actor: u.worker, actorRole: 'worker', scheduledAt: `${tomorrow}T10:00:00+08:00` }] });
      await eventually(async () => ((await db.select().from(notifications)).length > 0));
      await acts.scanNotifications({ at: now.toISOString() });
      expect(await recipients(key, 'visit_due')).toEqual(['worker']);

      // Three failed visits: level-1 escalation for failed visits → the county department's leads.
      for (let i = 0; i < 3; i++) {
        await h.executeUpdate(visitReportUpdate, { args: [{ actor: u.worker, actorRole: 'worker', outcome: 'nobody_home', evidence: [] }] });
      }
      await eventually(async () => (await recipients(key, 'escalated')).length > 1);
      expect(await recipients(key, 'escalated')).toEqual(['countyWideLead', 'lead', 'office']);

      // Accepted with documents missing: the supplement due within a working day → the worker; then overdue → leads and the worker.
      await h.executeUpdate(visitReportUpdate, { args: [{ actor: u.worker, actorRole: 'worker', outcome: 'done', evidence: EVIDENCE }] });
      const dueDate = addDaysToDate(shanghaiDate(new Date(await env.currentTimeMs())), 3);
      s = await h.executeUpdate(reviewUpdate, { args: [{ actor: u.coordinator, decision: 'approve_with_missing', missing: ['户口簿复印件'], supplementDueDate: dueDate }] });
      const supDue = Date.parse(s.supplementDueAt!);
      await acts.scanNotifications({ at: new Date(supDue - 3 * HOUR).toISOString() });
      expect(await recipients(key, 'supplement_due')).toEqual(['worker']);
      await skipTo(supDue);
      await eventually(async () => (await recipients(key, 'supplement_overdue')).length > 0);
      expect(await recipients(key, 'supplement_overdue')).toEqual(['countyWideLead', 'lead', 'worker']);

      // Nothing ever reached a decoy.
      const all = await db.select().from(notifications).where(like(notifications.eventKey, `${key}%`));
      const decoys = ['otherWorker', 'otherDeptLead', 'otherCountyLead', 'disabledLead', 'cityHealth', 'otherCoordinator', 'admin'];
      expect(names(all.map((r) => r.recipientId)).filter((n) => decoys.includes(n))).toEqual([]);
      // External-channel text: the masked name and the case number, never the full name or the ID number.
      for (const r of all) {
        expect(r.body).toContain('欧**');
        expect(r.body).toContain(input.caseId);
        expect(r.body).not.toContain('欧阳秀英');
        expect(r.body).not.toContain(subject.idNumber);
        expect(r.link).toBe(`/cases/${input.caseId}`);
      }
      // One row per (event, recipient): the projection's retries and the scans never doubled one.
      expect(new Set(all.map((r) => `${r.eventKey}|${r.recipientId}`)).size).toBe(all.length);
      await h.terminate('test over');
    });
  }, 180_000);

  it('a re-projected batch (a lost workflow task) replaces the notifications its seqs caused; the frozen serviceCase projection notifies once', async () => {
    // A real case state: opened and assigned to the worker (the workflow's own events).
    const subject = await makeSubject(db, { county: COUNTY, name: '东方白' });
    const input: CaseInput = {
      caseId: `lost-${randomUUID()}`, subjectId: subject.id, itemCode: 'DISABILITY_CERT', actionCode: 'RENEW', county: COUNTY, department: DEPT,
      catalogVersion: CATALOG_VERSION, greenChannel: false, openedAt: new Date(await env.currentTimeMs()).toISOString(), openedBy: u.coordinator, requestHash: 'h',
    };
    const { worker, taskQueue } = await testWorker(env.nativeConnection, createActivities({ db }));
    const assigned = await worker.runUntil(async () => {
      const h = await env.client.workflow.start(CASE_WORKFLOW_TYPE, { taskQueue, workflowId: caseWorkflowId(input.caseId), args: [input] });
      await eventually(async () => (await h.query(getCaseStateQuery)).events.length >= 1);
      const st = await h.executeUpdate(assignUpdate, { args: [{ actor: u.coordinator, assignee: u.worker }] });
      await h.terminate('test over');
      return st;
    });
    const key = `case:${input.caseId}:`;
    expect(await recipients(key, 'assigned')).toEqual(['worker']);
    const seq = assigned.events.find((e) => e.type === 'assigned')!.seq;
    // A task that is never committed had written that seq; the committed one assigns someone else under it.
    const other: CaseState = {
      ...assigned, assignee: u.otherWorker,
      events: assigned.events.map((e) => (e.seq === seq ? { ...e, data: { ...e.data, assignee: u.otherWorker } } : e)),
    };
    await projectCaseEvents(db, { fromSeq: seq, state: other });
    await projectCaseEvents(db, { fromSeq: seq, state: other }); // retried: nothing twice
    expect(await recipients(key, 'assigned')).toEqual(['otherWorker']);

    // The frozen serviceCase type projects one event at a time (projectCase): a repeated write notifies once.
    const frozen: CaseState = { ...assigned, input: { ...assigned.input, caseId: `frozen-${randomUUID()}` } };
    for (const e of frozen.events) await projectCase(db, { event: e, state: { ...frozen, events: frozen.events.filter((x) => x.seq <= e.seq) } });
    const event = frozen.events.find((e) => e.type === 'assigned')!;
    await projectCase(db, { event, state: frozen });
    expect(await recipients(`case:${frozen.input.caseId}:`, 'assigned')).toEqual(['worker']);
  });

  it('a plan period short of the plan cadence notifies the county department lead, repeated shortfalls the leadership office', async () => {
    const subject = await makeSubject(db, { county: COUNTY, name: '司马小红' });
    const planId = `plan-${randomUUID()}`;
    await db.insert(plans).values({
      id: planId, subjectId: subject.id, itemCode: 'CHILD_REHAB', actionCode: 'HOME_REHAB', county: COUNTY, department: DEPT, catalogVersion: CATALOG_VERSION,
      status: 'active', provider: { name: '康复机构' }, assessment: {}, startDate: '2026-01-01', state: {},
    });
    const acts = createActivities({ db });
    const period = (key: string) => ({ key, naturalStart: `${key}-01`, naturalEnd: `${key}-28`, start: `${key}-01`, end: `${key}-28`, naturalDays: 28, coveredDays: 28, partial: false });
    const verdict = { compliant: false, sessions: 2, qualifying: 2, units: 120, required: 4, shortfall: '未达到每月不少于4次', summary: '2/4 次' };
    const common = { planId, verdict, checkedAt: new Date().toISOString(), lastSessionOn: null, providerName: '康复机构', ledgerEntryId: 'l' };
    await acts.recordPlanPeriod({ ...common, period: period('2026-10'), escalatedTo: DEPT });
    await acts.recordPlanPeriod({ ...common, period: period('2026-10'), escalatedTo: DEPT }); // retried: nothing twice
    await acts.recordPlanPeriod({ ...common, period: period('2026-11'), escalatedTo: LEADERSHIP_OFFICE.code });
    await acts.recordPlanPeriod({ ...common, period: period('2026-12'), verdict: { ...verdict, compliant: true, shortfall: null, sessions: 4, qualifying: 4 }, escalatedTo: null });
    expect(await recipients(`plan:${planId}:2026-10`, 'plan_period_short')).toEqual(['countyWideLead', 'lead']);
    expect(await recipients(`plan:${planId}:2026-11`, 'plan_period_short')).toEqual(['office']);
    expect(await recipients(`plan:${planId}:2026-12`, 'plan_period_short')).toEqual([]);
    const [row] = await db.select().from(notifications).where(like(notifications.eventKey, `plan:${planId}:2026-10%`)).limit(1);
    expect(row.body).toContain('司**');
    expect(row.body).not.toContain('司马小红');
  });

  it('a plan period falling short while it runs warns the county department coordinators near its end, once', async () => {
    const child = findItem('CHILD_REHAB')!.cadence!;
    const school = findItem('HOME_SCHOOLING')!.cadence!;
    const plan = async (itemCode: string, cadence: typeof child, sessions: string[]) => {
      const subject = await makeSubject(db, { county: COUNTY, name: '上官明' });
      const id = `plan-${randomUUID()}`;
      const period = planPeriod(cadence, '2026-12', { startDate: '2026-01-01' })!;
      const state = {
        input: { cadence }, period, sessions: sessions.map((date) => ({ date, units: 2 })),
      };
      await db.insert(plans).values({
        id, subjectId: subject.id, itemCode, actionCode: 'X', county: COUNTY, department: DEPT, catalogVersion: CATALOG_VERSION, status: 'active',
        provider: {}, assessment: {}, startDate: '2026-01-01', currentPeriod: '2026-12', state,
      });
      return id;
    };
    const short = await plan('CHILD_REHAB', child, ['2026-12-02', '2026-12-09']);
    const done = await plan('CHILD_REHAB', child, ['2026-12-02', '2026-12-09', '2026-12-16', '2026-12-23']);
    const weekly = await plan('HOME_SCHOOLING', school, ['2026-12-01']);
    const acts = createActivities({ db });
    // Early in the month: no warning yet. Thursday of a week without its class: not yet either.
    await acts.scanNotifications({ at: '2026-12-10T02:00:00.000Z' });
    expect(await recipients(`plan:${short}:`, 'plan_period_at_risk')).toEqual([]);
    expect(await recipients(`plan:${weekly}:`, 'plan_period_at_risk')).toEqual([]);
    // Friday 11 December: the week of 7 December has no class yet.
    await acts.scanNotifications({ at: '2026-12-11T02:00:00.000Z' });
    expect(await recipients(`plan:${weekly}:week:2026-12-07`, 'plan_period_at_risk')).toEqual(['coordinator']);
    // 27 December, five days left, 2 of 4 sessions: warned (and the next scans add nothing); the plan with 4 is not.
    await acts.scanNotifications({ at: '2026-12-27T02:00:00.000Z' });
    await acts.scanNotifications({ at: '2026-12-28T02:00:00.000Z' });
    expect(await recipients(`plan:${short}:2026-12`, 'plan_period_at_risk')).toEqual(['coordinator']);
    expect(await recipients(`plan:${done}:`, 'plan_period_at_risk')).toEqual([]);
    const [row] = await db.select().from(notifications).where(like(notifications.eventKey, `plan:${short}:2026-12:at_risk`));
    expect(row.body).toContain('2/4 次');
    expect(row.body).toContain('上**');
  });

  it('a quarterly table reminded goes to the county department coordinators; a late one to them and the leads', async () => {
    const quarter = '2026-Q3';
    await db.insert(reportSubmissions).values([
      { id: randomUUID(), quarter, level: 'county', county: COUNTY, department: DEPT, status: 'draft', table: {}, reminders: 1, remindedAt: new Date() },
      { id: randomUUID(), quarter: '2026-Q2', level: 'county', county: COUNTY, department: DEPT, status: 'draft', table: {}, late: true },
      { id: randomUUID(), quarter, level: 'county', county: COUNTY, department: 'HEALTH', status: 'submitted', table: {}, reminders: 1 },
    ]);
    const acts = createActivities({ db });
    await acts.scanNotifications({ at: new Date().toISOString() });
    expect(await recipients(`report:${quarter}:${COUNTY}:${DEPT}:due`, 'report_due')).toEqual(['coordinator']);
    expect(await recipients(`report:2026-Q2:${COUNTY}:${DEPT}:late`, 'report_late')).toEqual(['coordinator', 'countyWideLead', 'lead']);
    expect(await recipients(`report:${quarter}:${COUNTY}:HEALTH`, 'report_due')).toEqual([]);
    // A second reminder is a new notification; the same reminder scanned again is not.
    await acts.scanNotifications({ at: new Date().toISOString() });
    expect(await recipients(`report:${quarter}:${COUNTY}:${DEPT}:due`, 'report_due')).toEqual(['coordinator']);
    await db.update(reportSubmissions).set({ reminders: 2 }).where(eq(reportSubmissions.quarter, quarter));
    await acts.scanNotifications({ at: new Date().toISOString() });
    expect((await recipients(`report:${quarter}:${COUNTY}:${DEPT}:due`, 'report_due'))).toEqual(['coordinator', 'coordinator']);
  });

  it('the daily digest goes once a day to every active supervisor, with the counts of their own scope', async () => {
    const acts = createActivities({ db });
    const at = new Date();
    const first = await acts.writeDigests({ at: at.toISOString() });
    expect((await acts.writeDigests({ at: new Date(at.getTime() + MIN).toISOString() })).written).toBe(0);
    const day = shanghaiDate(at);
    expect(await recipients(`digest:${day}`, 'daily_digest')).toEqual(['cityHealth', 'countyWideLead', 'lead', 'office', 'otherCountyLead', 'otherDeptLead']);
    expect(first.written).toBe(6);
    const rows = await db.select().from(notifications).where(eq(notifications.eventKey, `digest:${day}`));
    const bodyOf = (name: string) => rows.find((r) => r.recipientId === u[name])!.body;
    // The case of the first test is open in 贺兰县 DPF: the lead's digest counts it, the other county's lead's does not.
    expect(bodyOf('lead')).toMatch(/在办案件 [1-9]\d* 件/);
    expect(bodyOf('otherCountyLead')).toContain('在办案件 0 件');
    expect(bodyOf('cityHealth')).toContain('在办案件 0 件');
  });
});
