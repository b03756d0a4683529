/**
 * The working-day calendar entered through the API (issue 15 point 6): an admin enters a year's
 * holidays and make-up working days (validated, versioned, in PostgreSQL); running cases get it
 * through their setCalendar signal, new cases open with it; admins are warned before a year
 * starts without its calendar.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { caseEvents, holidayCalendars } from '../../db/schema';
import { caseWorkflowId, getCaseStateQuery } from '../../workflows/contract';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';
import { eventually } from '../support/eventually';

let stack: TestStack;
let admin: TestUser;
let coordinator: TestUser;

beforeAll(async () => {
  stack = await startStack();
  admin = await makeUser(stack.db, 'admin', { cityLevel: true });
  coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
});
afterAll(async () => { await stack?.close(); });

// A year far from any other test's deadlines: entering it changes no one's due dates but reaches every running case.
const YEAR = 2031;
const body = {
  source: '国务院办公厅关于2031年部分节假日安排的通知（测试）',
  holidays: [{ name: '元旦', from: '2031-01-01', to: '2031-01-01' }, { name: '春节', from: '2031-01-22', to: '2031-01-28' }],
  makeUpWorkdays: [{ date: '2031-01-19', for: '春节' }],
};
const put = (user: TestUser, payload: object, year = YEAR) => stack.app.inject({ method: 'PUT', url: `/v1/calendar/${year}`, headers: user.auth, payload });

describe('/v1/calendar', () => {
  it('refuses bad schedules with 400 naming the field, and non-admins with 403', async () => {
    expect((await put(coordinator, body)).statusCode).toBe(403);
    const paths = async (payload: object, year = YEAR) => {
      const res = await put(admin, payload, year);
      expect(res.statusCode, res.body).toBe(400);
      return res.json().errors.map((e: { path: string }) => e.path);
    };
    expect(await paths({ ...body, makeUpWorkdays: [{ date: '2031-01-20', for: '春节' }] })).toEqual(['body.makeUpWorkdays.0.date']); // a Monday
    expect(await paths({ ...body, makeUpWorkdays: [{ date: '2031-01-25', for: '春节' }] })).toEqual(['body.makeUpWorkdays.0.date']); // inside the holiday
    expect(await paths({ ...body, holidays: [{ name: '春节', from: '2031-01-28', to: '2031-01-22' }] })).toEqual(['body.holidays.0.to']);
    expect(await paths({ ...body, holidays: [...body.holidays, { name: '重叠', from: '2031-01-27', to: '2031-01-29' }] })).toEqual(['body.holidays.2']);
    expect(await paths({ ...body, holidays: [{ name: '元旦', from: '2030-12-31', to: '2031-01-01' }] })).toEqual(['body.holidays.0.from']);
    expect(await paths({ ...body, holidays: [{ name: '元旦', from: '2031-02-30', to: '2031-03-01' }] })).toContain('body.holidays.0.from');
    expect(await paths({ ...body, holidays: [] })).toContain('body.holidays');
    expect((await stack.app.inject({ method: 'PUT', url: '/v1/calendar/1999', headers: admin.auth, payload: body })).statusCode).toBe(400);
  });

  it('an entered year is versioned, reaches running cases through setCalendar, and new cases open with it', async () => {
    const subject = await makeSubject(stack.db, { county: '640104' });
    const opened = await stack.app.inject({ method: 'POST', url: '/v1/cases', headers: coordinator.auth, payload: { subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'CONSULTATION' } });
    expect(opened.statusCode).toBe(201);
    const running = opened.json().id as string;

    const first = await put(admin, body);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ year: YEAR, version: 1, created: true, failed: 0 });
    expect(first.json().signalled).toBeGreaterThanOrEqual(1);
    // The running case recorded the update (its deadline recomputed on the new calendar).
    const event = await eventually(async () => (await stack.db.select().from(caseEvents)
      .where(and(eq(caseEvents.caseId, running), eq(caseEvents.type, 'calendar_updated'))))[0]);
    expect((event.data as { sources: string[] }).sources).toContain(body.source);

    // The same content again stores nothing new; a correction is version 2, the history keeps both.
    const same = await put(admin, body);
    expect(same.json()).toMatchObject({ version: 1, created: false });
    const corrected = await put(admin, { ...body, holidays: [...body.holidays, { name: '清明节', from: '2031-04-05', to: '2031-04-07' }] });
    expect(corrected.json()).toMatchObject({ version: 2, created: true });
    const history = await stack.app.inject({ url: `/v1/calendar/${YEAR}/history`, headers: admin.auth });
    expect(history.json().versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(await stack.db.select().from(holidayCalendars).where(eq(holidayCalendars.year, YEAR))).toHaveLength(2);

    const list = (await stack.app.inject({ url: '/v1/calendar', headers: coordinator.auth })).json();
    const y = list.years.find((x: { year: number }) => x.year === YEAR);
    expect(y).toMatchObject({ origin: { code: 'entered' }, version: 2, enteredBy: admin.id });
    expect(y.holidays).toHaveLength(3);
    expect(list.years.find((x: { year: number }) => x.year === 2026).origin.code).toBe('built_in');

    const later = await stack.app.inject({ method: 'POST', url: '/v1/cases', headers: coordinator.auth, payload: { subjectId: subject.id, itemCode: 'LEGAL_AID', actionCode: 'MEDIATION' } });
    const state = await stack.client.workflow.getHandle(caseWorkflowId(later.json().id)).query(getCaseStateQuery);
    expect(state.input.calendar?.find((c) => c.year === YEAR)?.holidays).toHaveLength(3);
  });

  it('warns admins before a year starts without its calendar (GET /v1/calendar and the supervision summary)', async () => {
    const supervisor = await makeUser(stack.db, 'supervisor', { cityLevel: true });
    const app = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => new Date('2026-11-20T02:00:00Z') });
    try {
      const warnings = (await app.inject({ url: '/v1/calendar', headers: admin.auth })).json().warnings;
      expect(warnings).toEqual([expect.objectContaining({ year: 2027, startsOn: '2027-01-01', daysLeft: 42 })]);
      expect(warnings[0].message).toContain('2027 年将于 42 天后开始，其节假日安排尚未录入');
      const summary = (await app.inject({ url: '/v1/supervision/summary', headers: supervisor.auth })).json();
      expect(summary.calendarWarnings.map((w: { year: number }) => w.year)).toEqual([2027]);
    } finally {
      await app.close();
    }
    const early = await buildApp({ db: stack.db, temporal: stack.client, config: stack.config, now: () => new Date('2026-06-01T02:00:00Z') });
    try {
      expect((await early.inject({ url: '/v1/calendar', headers: admin.auth })).json().warnings).toEqual([]);
    } finally {
      await early.close();
    }
  });
});
