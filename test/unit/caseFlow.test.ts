import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addWorkingDays, HOLIDAY_CALENDAR, type HolidayYear } from '../../domain/calendar';
import { CATALOG_VERSION, findAction, oneOffActions } from '../../domain/catalog';
import {
  addWorkingMs, caseAction, escalationTarget, level2At, nextStep, stepDef, stepDueAt, stepOrder, stepWorkingDays,
  situationOf, supplementDueAt, whyNot, workingMsBetween, type CaseSituation,
} from '../../domain/caseFlow';

const H = 3_600_000;
const renew = findAction('DISABILITY_CERT', 'RENEW')!.action;
const cancelCert = findAction('DISABILITY_CERT', 'CANCEL')!.action;
const open: CaseSituation = { status: 'open', step: 'visit', onHold: false, greenChannel: false, assignee: 'w', awaitingReceipt: false, supplementOutstanding: false };

describe('step order from the catalog action', () => {
  it('walks assignment → visit → review → delivery → ledger when a certificate is issued, and skips delivery otherwise', () => {
    expect(stepOrder(renew)).toEqual(['assignment', 'visit', 'review', 'delivery', 'ledger']);
    expect(stepOrder(cancelCert)).toEqual(['assignment', 'visit', 'review', 'ledger']);
    expect(nextStep(cancelCert, 'review')).toBe('ledger');
    expect(nextStep(renew, 'review')).toBe('delivery');
    expect(nextStep(renew, 'ledger')).toBe('done');
    expect(() => nextStep(cancelCert, 'delivery')).toThrow(RangeError);
  });

  it('reads the action from the catalog version the case started with; an unknown version has none', () => {
    expect(caseAction(CATALOG_VERSION, 'LEGAL_AID', 'MEDIATION')?.code).toBe('MEDIATION');
    expect(caseAction('1999-01-01.1', 'LEGAL_AID', 'MEDIATION')).toBeUndefined();
    expect(caseAction(CATALOG_VERSION, 'LEGAL_AID', 'NOPE')).toBeUndefined();
  });

  it('every one-off action starts with assignment and ends with the ledger', () => {
    for (const { action } of oneOffActions()) {
      const order = stepOrder(action);
      expect(order[0]).toBe('assignment');
      expect(order.at(-1)).toBe('ledger');
      expect(order.includes('delivery')).toBe(action.needsCertificate);
    }
  });
});

describe('step deadlines in working days', () => {
  // 2026-09-30 10:00 in Shanghai, the day before the National Day holiday (10-01..10-07; 10-10 is a make-up Saturday).
  const opened = new Date('2026-09-30T02:00:00Z');

  it('a case opened on 2026-09-30 has its assignment due at the end of 10-09 and its visit (5 days) at the end of 10-13', () => {
    expect(stepDueAt({ startedAt: opened, workingDays: stepWorkingDays(stepDef(renew, 'assignment'), false), heldWorkingMs: 0 }).toISOString())
      .toBe('2026-10-09T16:00:00.000Z');
    // 10-08 Thu, 10-09 Fri, 10-10 Sat (make-up working day), 10-12 Mon, 10-13 Tue.
    expect(stepDueAt({ startedAt: opened, workingDays: stepWorkingDays(stepDef(renew, 'visit'), false), heldWorkingMs: 0 }).toISOString())
      .toBe('2026-10-13T16:00:00.000Z');
  });

  it('the green channel shortens the deadline', () => {
    const days = stepWorkingDays(stepDef(renew, 'visit'), true);
    expect(days).toBe(2);
    expect(stepDueAt({ startedAt: opened, workingDays: days, heldWorkingMs: 0 }).toISOString()).toBe('2026-10-09T16:00:00.000Z');
  });

  it('takes the calendar as an argument: a holiday in a passed calendar moves the deadline, the default is unchanged', () => {
    const from = new Date('2027-03-01T02:00:00Z'); // Monday; 2027 is not in the official table
    expect(addWorkingDays(from, 2).toISOString()).toBe('2027-03-03T16:00:00.000Z');
    const cal: HolidayYear[] = [{ year: 2027, source: 'test', holidays: [{ name: '测试假日', from: '2027-03-02', to: '2027-03-03' }], makeUpWorkdays: [] }];
    expect(addWorkingDays(from, 2, cal).toISOString()).toBe('2027-03-05T16:00:00.000Z');
    expect(stepDueAt({ startedAt: from, workingDays: 2, heldWorkingMs: 0 }, cal).toISOString()).toBe('2027-03-05T16:00:00.000Z');
  });

  it('level 2 falls three working days after the deadline, across weekends and holidays', () => {
    expect(level2At(new Date('2026-09-30T16:00:00Z')).toISOString()).toBe('2026-10-10T16:00:00.000Z'); // 10-08, 10-09, 10-10 (make-up)
    expect(level2At(new Date('2026-11-27T16:00:00Z')).toISOString()).toBe('2026-12-02T16:00:00.000Z');
  });

  it('a supplement due date is due at the end of that Shanghai day', () => {
    expect(supplementDueAt('2026-10-20').toISOString()).toBe('2026-10-20T16:00:00.000Z');
  });
});

describe('hold arithmetic: the clock stops while on hold', () => {
  it('counts only the working-day part of a hold', () => {
    // Fri 2026-11-27 10:00 → Mon 11-30 10:00 (Shanghai): 14 h on Friday + 10 h on Monday.
    expect(workingMsBetween(new Date('2026-11-27T02:00:00Z'), new Date('2026-11-30T02:00:00Z'))).toBe(24 * H);
    // Entirely within the National Day holiday: nothing.
    expect(workingMsBetween(new Date('2026-10-02T02:00:00Z'), new Date('2026-10-05T02:00:00Z'))).toBe(0);
    expect(workingMsBetween(new Date('2026-10-05T02:00:00Z'), new Date('2026-10-02T02:00:00Z'))).toBe(0);
  });

  it('pushes the deadline back by the held working time, skipping non-working days', () => {
    // Due at the end of Friday 11-27; one working day held → the end of Monday 11-30.
    expect(addWorkingMs(new Date('2026-11-27T16:00:00Z'), 24 * H).toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(addWorkingMs(new Date('2026-11-27T16:00:00Z'), 2 * H).toISOString()).toBe('2026-11-29T18:00:00.000Z');
    const clock = { startedAt: new Date('2026-11-23T02:00:00Z'), workingDays: 5, heldWorkingMs: 24 * H };
    expect(stepDueAt(clock).toISOString()).toBe('2026-12-01T16:00:00.000Z');
  });

  it('adding held working time and measuring it back agree', () => {
    const start = Date.parse('2025-01-01T00:00:00Z');
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 700 * 24 }), fc.integer({ min: 0, max: 30 * 24 * 60 }),
      (hours, minutes) => {
        const from = new Date(start + hours * H);
        const ms = minutes * 60_000;
        return workingMsBetween(from, addWorkingMs(from, ms, HOLIDAY_CALENDAR), HOLIDAY_CALENDAR) === ms;
      },
    ), { numRuns: 200 });
  });
});

describe('who an escalation goes to', () => {
  it('level 1 the county implementing department, level 2 the leadership group office', () => {
    expect(escalationTarget(1, '640104', 'DPF')).toEqual({ code: 'DPF', label: '残联', county: '640104' });
    expect(escalationTarget(2, '640104', 'DPF')).toEqual({ code: 'LEADERSHIP_OFFICE', label: '领导小组办公室' });
  });
});

describe('what people can do at each step', () => {
  it('refuses a visit report during review, with the reason in Chinese', () => {
    expect(whyNot('visit_report', { ...open, step: 'review' })).toBe('案件当前处于审核步骤，不能登记上门结果');
    expect(whyNot('visit_report', open)).toBeUndefined();
  });

  it('allows nothing but resume and cancel while on hold, and nothing at all once ended', () => {
    expect(whyNot('schedule_visit', { ...open, onHold: true })).toBe('案件已暂停，请先恢复后再预约上门');
    expect(whyNot('resume', { ...open, onHold: true })).toBeUndefined();
    expect(whyNot('cancel', { ...open, onHold: true })).toBeUndefined();
    expect(whyNot('resume', open)).toBe('案件未暂停，不能恢复案件');
    expect(whyNot('cancel', { ...open, status: 'closed', step: 'done' })).toBe('案件已办结，不能撤销案件');
  });

  it('confirms receipt only after dispatch, switches the green channel on once, and takes supplements only when outstanding', () => {
    const delivery = { ...open, step: 'delivery' as const };
    expect(whyNot('confirm_receipt', delivery)).toBe('证照尚未寄送，不能确认签收');
    expect(whyNot('confirm_receipt', { ...delivery, awaitingReceipt: true })).toBeUndefined();
    expect(whyNot('green_channel', { ...open, greenChannel: true })).toBe('案件已开启绿色通道');
    expect(whyNot('supplement', open)).toBe('案件没有待补交的容缺材料，不能登记补交材料');
    expect(whyNot('supplement', { ...open, step: 'ledger', supplementOutstanding: true })).toBeUndefined();
    expect(whyNot('assign', { ...open, step: 'ledger' })).toBe('案件当前处于台账共享步骤，不能分派工作人员');
  });
});

describe('the permission view of a case state (situationOf)', () => {
  const base = { status: 'open', step: 'delivery', onHold: false, greenChannel: false, assignee: 'w' } as const;
  it('waits for receipt only while a dispatched delivery is not received', () => {
    expect(situationOf(base).awaitingReceipt).toBe(false);
    expect(situationOf({ ...base, delivery: {} }).awaitingReceipt).toBe(true);
    expect(situationOf({ ...base, delivery: { receivedAt: '2026-01-05T02:00:00Z' } }).awaitingReceipt).toBe(false);
    expect(whyNot('confirm_receipt', situationOf({ ...base, delivery: {} }))).toBeUndefined();
  });
  it('has documents outstanding until the supplement is supplied', () => {
    expect(situationOf(base).supplementOutstanding).toBe(false);
    expect(situationOf({ ...base, supplement: { status: 'pending' } }).supplementOutstanding).toBe(true);
    expect(situationOf({ ...base, supplement: { status: 'overdue' } }).supplementOutstanding).toBe(true);
    expect(situationOf({ ...base, supplement: { status: 'supplied' } }).supplementOutstanding).toBe(false);
  });
});
