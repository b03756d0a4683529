/** The pure rules of notifications (domain/notifications.ts): quiet hours, masking, audiences, event → notification. */
import { describe, expect, it } from 'vitest';
import {
  audienceMembers, caseEventNotifications, maskName, parseQuietHours, quietHoursEnd, type StaffMember,
} from '../../../domain/notifications';

/** An instant given as Asia/Shanghai wall time. */
const sh = (local: string) => new Date(`${local}+08:00`);

describe('quiet hours (Asia/Shanghai)', () => {
  const night = parseQuietHours('21:00-08:00');
  it('across midnight: held until 08:00 the next morning when late in the evening, the same morning after midnight', () => {
    expect(quietHoursEnd(sh('2026-12-03T21:00:00'), night)).toEqual(sh('2026-12-04T08:00:00'));
    expect(quietHoursEnd(sh('2026-12-03T23:59:00'), night)).toEqual(sh('2026-12-04T08:00:00'));
    expect(quietHoursEnd(sh('2026-12-04T00:30:00'), night)).toEqual(sh('2026-12-04T08:00:00'));
    expect(quietHoursEnd(sh('2026-12-04T07:59:59'), night)).toEqual(sh('2026-12-04T08:00:00'));
  });
  it('outside them, nothing is held (the end is exclusive, the start inclusive)', () => {
    expect(quietHoursEnd(sh('2026-12-04T08:00:00'), night)).toBeUndefined();
    expect(quietHoursEnd(sh('2026-12-04T12:00:00'), night)).toBeUndefined();
    expect(quietHoursEnd(sh('2026-12-04T20:59:59'), night)).toBeUndefined();
  });
  it('a window within one day, and none when start equals end; a malformed value is refused', () => {
    const noon = parseQuietHours('12:00-14:00');
    expect(quietHoursEnd(sh('2026-12-04T13:00:00'), noon)).toEqual(sh('2026-12-04T14:00:00'));
    expect(quietHoursEnd(sh('2026-12-04T15:00:00'), noon)).toBeUndefined();
    expect(quietHoursEnd(sh('2026-12-04T03:00:00'), parseQuietHours('00:00-00:00'))).toBeUndefined();
    expect(() => parseQuietHours('21-8')).toThrow(RangeError);
    expect(() => parseQuietHours('24:00-08:00')).toThrow(RangeError);
  });
});

describe('masking', () => {
  it('keeps the first character of a name only', () => {
    expect(maskName('张桂兰')).toBe('张**');
    expect(maskName('李四')).toBe('李*');
    expect(maskName('欧阳秀英')).toBe('欧***');
    expect(maskName(' 王 ')).toBe('王*');
    expect(maskName('')).toBe('');
  });
});

describe('audiences', () => {
  const staff: StaffMember[] = [
    { id: 'lead', role: 'supervisor', counties: ['640104'], departments: ['DPF'], cityLevel: false, disabled: false },
    { id: 'allDeptLead', role: 'supervisor', counties: ['640104'], departments: [], cityLevel: false, disabled: false },
    { id: 'healthLead', role: 'supervisor', counties: ['640104'], departments: ['HEALTH'], cityLevel: false, disabled: false },
    { id: 'gone', role: 'supervisor', counties: ['640104'], departments: ['DPF'], cityLevel: false, disabled: true },
    { id: 'office', role: 'supervisor', counties: [], departments: [], cityLevel: true, disabled: false },
    { id: 'cityHealth', role: 'supervisor', counties: [], departments: ['HEALTH'], cityLevel: true, disabled: false },
    { id: 'coord', role: 'coordinator', counties: ['640104'], departments: ['DPF'], cityLevel: false, disabled: false },
    { id: 'cityCoord', role: 'coordinator', counties: [], departments: [], cityLevel: true, disabled: false },
    { id: 'w', role: 'worker', counties: ['640104'], departments: ['DPF'], cityLevel: false, disabled: false },
  ];
  it('resolves each audience to its members and never to a disabled user', () => {
    expect(audienceMembers({ kind: 'county_lead', county: '640104', department: 'DPF' }, staff)).toEqual(['lead', 'allDeptLead']);
    expect(audienceMembers({ kind: 'leadership_office' }, staff)).toEqual(['office']);
    expect(audienceMembers({ kind: 'county_coordinators', county: '640104', department: 'DPF' }, staff)).toEqual(['coord']);
    expect(audienceMembers({ kind: 'user', userId: 'w' }, staff)).toEqual(['w']);
    expect(audienceMembers({ kind: 'user', userId: 'gone' }, staff)).toEqual([]);
    expect(audienceMembers({ kind: 'user', userId: 'nobody' }, staff)).toEqual([]);
  });
});

describe('case events → notifications', () => {
  const c = { caseId: 'c1', county: '640104', department: 'DPF', assignee: 'w', maskedName: '张**' };
  it('assignment, overdue, escalation levels; events that notify nobody', () => {
    expect(caseEventNotifications(c, { seq: 3, type: 'assigned', data: { assignee: 'w' } })).toMatchObject([
      { eventKey: 'case:c1:3', kind: 'assigned', audiences: [{ kind: 'user', userId: 'w' }], link: '/cases/c1', seq: 3 },
    ]);
    expect(caseEventNotifications(c, { seq: 4, type: 'overdue', step: 'visit', data: { dueAt: '2026-12-03T16:00:00.000Z' } })[0]).toMatchObject({
      kind: 'overdue', audiences: [{ kind: 'county_lead', county: '640104', department: 'DPF' }, { kind: 'user', userId: 'w' }],
      body: expect.stringContaining('2026-12-04 00:00'),
    });
    expect(caseEventNotifications(c, { seq: 5, type: 'escalated', data: { level: 1, reason: 'step_overdue' } })).toEqual([]);
    expect(caseEventNotifications(c, { seq: 5, type: 'escalated', data: { level: 1, reason: 'failed_visits' } })[0].audiences)
      .toEqual([{ kind: 'county_lead', county: '640104', department: 'DPF' }]);
    expect(caseEventNotifications(c, { seq: 6, type: 'escalated', data: { level: 2, reason: 'step_overdue' } })[0].audiences).toEqual([{ kind: 'leadership_office' }]);
    for (const type of ['opened', 'step_started', 'visit_done', 'reviewed', 'closed']) expect(caseEventNotifications(c, { seq: 9, type })).toEqual([]);
  });
});
