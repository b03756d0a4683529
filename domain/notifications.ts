/**
 * Notifications (issue 19): what events notify whom, through which channels, and when SMS must wait.
 * Pure rules and data; the outbox writers (activities/notifications/outbox.ts) and the delivery
 * workflow (workflows/notifications.ts) apply them.
 *
 * Decisions (the plan is silent; ours, documented here once):
 * - Who is who among the staff. The county department lead (县级部门负责人) of a county and department
 *   is a county-level supervisor whose scope holds that county and that department (an empty
 *   department list: every department). The leadership group's office (领导小组办公室, in the city DPF)
 *   is every city-level supervisor whose departments are the DPF's or all. A county department's
 *   coordinators are county-level coordinators with that county and department in scope.
 * - Who gets what: assigned → the assigned worker; visit due tomorrow, step due within one working day,
 *   supplement due → the assignee (a step not yet assigned: the county department's coordinators);
 *   overdue and supplement overdue → the county department lead and the assignee; escalated → level 1
 *   the county department lead (only for failed visits: an overdue escalation is told by the overdue
 *   notification of the same moment, not twice), level 2 the leadership group's office; a plan period
 *   falling short while it runs (an enforced cadence, sessions still missing in the last 7 days of a
 *   month or from the Friday of a week) → the county department's coordinators, who arrange the
 *   provider; a period checked short → whoever it was escalated to; a quarterly table reminded → the county
 *   department's coordinators, late → those and the county department lead; the daily digest → every
 *   supervisor, for their own scope.
 * - One notification per event per recipient: every notification has an event key (the case event's
 *   seq, or a key built from what a scan found) and the outbox is unique on (event key, recipient).
 * - The in-app inbox always receives; the external channels are each user's choice. External messages
 *   (and the inbox) carry no more than a masked name of the person served, the case or plan number and a
 *   link — never an ID number, a phone number or a full name.
 * - Quiet hours (Asia/Shanghai, default 21:00–08:00): SMS is held until they end; the other channels
 *   are not phone calls in the night and go at once.
 */
import type { Labelled } from './labels';
import { CASE_STEP_LABELS, type CaseStep, type Role } from './vocabulary';

/** What a notification is about. */
export const NOTIFICATION_KINDS = [
  'assigned', 'visit_due', 'step_due', 'overdue', 'escalated', 'supplement_due', 'supplement_overdue',
  'plan_period_at_risk', 'plan_period_short', 'report_due', 'report_late', 'daily_digest',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export const NOTIFICATION_KIND_LABELS: Readonly<Record<NotificationKind, string>> = Object.freeze({
  assigned: '新分派案件', visit_due: '明日上门', step_due: '办理期限临近', overdue: '案件超期', escalated: '督办升级',
  supplement_due: '容缺材料即将到期', supplement_overdue: '容缺材料逾期未补', plan_period_at_risk: '服务计划本期进度不足', plan_period_short: '服务计划本期未达标',
  report_due: '季度统计表待报送', report_late: '季度统计表逾期未报', daily_digest: '每日督办摘要',
});

/** Channels beyond the in-app inbox (which always receives). */
export const EXTERNAL_CHANNELS = ['wecom', 'dingtalk', 'sms', 'email'] as const;
export type ExternalChannel = (typeof EXTERNAL_CHANNELS)[number];
export const CHANNEL_LABELS: Readonly<Record<ExternalChannel, string>> = Object.freeze({
  wecom: '企业微信群机器人', dingtalk: '钉钉群机器人', sms: '短信', email: '电子邮件',
});

/** Where one external delivery stands. */
export const DELIVERY_STATUSES = ['pending', 'held', 'retrying', 'sent', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const DELIVERY_STATUS_LABELS: Readonly<Record<DeliveryStatus, string>> = Object.freeze({
  pending: '待发送', held: '免打扰暂缓', retrying: '重试中', sent: '已发送', failed: '发送失败',
});

/** Who a notification is for, before it is resolved to users. */
export type Audience =
  | { kind: 'user'; userId: string }
  | { kind: 'county_lead'; county: string; department: string }
  | { kind: 'county_coordinators'; county: string; department: string }
  | { kind: 'leadership_office' };

/** The fields of a staff member the audience rules look at. */
export interface StaffMember {
  id: string;
  role: Role;
  counties: string[];
  departments: string[];
  cityLevel: boolean;
  disabled: boolean;
}

const inDept = (u: StaffMember, department: string) => u.departments.length === 0 || u.departments.includes(department);

/** The ids of the staff an audience means (disabled users never receive). */
export function audienceMembers(a: Audience, staff: readonly StaffMember[]): string[] {
  const active = staff.filter((u) => !u.disabled);
  switch (a.kind) {
    case 'user':
      return active.some((u) => u.id === a.userId) ? [a.userId] : [];
    case 'county_lead':
      return active.filter((u) => u.role === 'supervisor' && !u.cityLevel && u.counties.includes(a.county) && inDept(u, a.department)).map((u) => u.id);
    case 'county_coordinators':
      return active.filter((u) => u.role === 'coordinator' && !u.cityLevel && u.counties.includes(a.county) && inDept(u, a.department)).map((u) => u.id);
    case 'leadership_office':
      return active.filter((u) => u.role === 'supervisor' && u.cityLevel && inDept(u, 'DPF')).map((u) => u.id);
  }
}

/**
 * The audience an escalation of `level` reaches: the staff of the body domain/caseFlow escalationTarget
 * names (level 1 the county implementing department, level 2 the leadership group's office).
 */
export function escalationAudience(level: 1 | 2, county: string, department: string): Audience {
  return level === 2 ? { kind: 'leadership_office' } : { kind: 'county_lead', county, department };
}

/** A notification before its audience is resolved: the outbox writes one row per member. */
export interface NotificationDraft {
  /** Unique per event: with the recipient, the outbox's dedup key. */
  eventKey: string;
  kind: NotificationKind;
  audiences: Audience[];
  title: string;
  body: string;
  /** The console path it points to (e.g. /cases/<id>); channels make it absolute with PUBLIC_URL. */
  link: string;
  caseId?: string;
  planId?: string;
  /** The case event that caused it (the projection replaces a lost task's notifications by it). */
  seq?: number;
}

/** A person's name masked for messages: the family name kept, the rest starred (张桂兰 → 张**). */
export function maskName(name: string): string {
  const chars = [...String(name ?? '').trim()];
  if (chars.length === 0) return '';
  return chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
}

/** The minimum a case notification says about the case: its number and the masked name of the person served. */
export interface CaseRef { caseId: string; county: string; department: string; assignee?: string | null; maskedName: string }

const caseLine = (c: CaseRef) => `案件编号：${c.caseId}；服务对象：${c.maskedName}`;
const stepLabel = (step: unknown) => CASE_STEP_LABELS[step as CaseStep] ?? String(step ?? '');
const caseLink = (caseId: string) => `/cases/${encodeURIComponent(caseId)}`;

/** The 'YYYY-MM-DD HH:mm' Asia/Shanghai reading of an instant, for message text. */
export function shanghaiMinute(iso: string | Date): string {
  const d = new Date(new Date(iso).getTime() + 8 * 3_600_000);
  return d.toISOString().slice(0, 16).replace('T', ' ');
}

/** Who must act on a case: its assignee, or the county department's coordinators while nobody is assigned. */
export function caseOwner(c: { assignee?: string | null; county: string; department: string }): Audience {
  return c.assignee ? { kind: 'user', userId: c.assignee } : { kind: 'county_coordinators', county: c.county, department: c.department };
}

/** The case event the projection writes, as far as notifications read it. */
export interface CaseEventLike { seq: number; type: string; step?: string; data?: Record<string, unknown> }

/** The case event types that may cause a notification (the projection reads the subject's name only for these). */
export const NOTIFYING_CASE_EVENTS: ReadonlySet<string> = new Set(['assigned', 'reassigned', 'overdue', 'supplement_overdue', 'escalated']);

/** The notifications one projected case event causes (most cause none). */
export function caseEventNotifications(c: CaseRef, e: CaseEventLike): NotificationDraft[] {
  const base = { caseId: c.caseId, seq: e.seq, link: caseLink(c.caseId), eventKey: `case:${c.caseId}:${e.seq}` };
  const d = e.data ?? {};
  const lead: Audience = { kind: 'county_lead', county: c.county, department: c.department };
  switch (e.type) {
    case 'assigned':
    case 'reassigned': {
      const assignee = typeof d.assignee === 'string' ? d.assignee : undefined;
      if (!assignee) return [];
      return [{ ...base, kind: 'assigned', audiences: [{ kind: 'user', userId: assignee }], title: '有新案件分派给您', body: `${caseLine(c)}。请尽快预约上门。` }];
    }
    case 'overdue':
      return [{
        ...base, kind: 'overdue', audiences: c.assignee ? [lead, { kind: 'user', userId: c.assignee }] : [lead],
        title: '案件超期', body: `${caseLine(c)}。“${stepLabel(e.step)}”步骤已超过办理期限${d.dueAt ? `（${shanghaiMinute(String(d.dueAt))}）` : ''}，已升级至县级部门督办。`,
      }];
    case 'supplement_overdue':
      return [{
        ...base, kind: 'supplement_overdue', audiences: c.assignee ? [lead, { kind: 'user', userId: c.assignee }] : [lead],
        title: '容缺材料逾期未补', body: `${caseLine(c)}。容缺受理的材料已过补交期限，已升级至县级部门督办。`,
      }];
    case 'escalated': {
      const level = d.level === 2 ? 2 : 1;
      const reason = String(d.reason ?? '');
      // A level-1 escalation for a passed deadline happens with its overdue event, which already told the lead.
      if (level === 1 && reason !== 'failed_visits') return [];
      const why = reason === 'failed_visits' ? '多次上门未办成' : reason === 'supplement_overdue' ? '容缺材料逾期未补' : '办理步骤超期';
      return [{
        ...base, kind: 'escalated', audiences: [escalationAudience(level, c.county, c.department)],
        title: level === 2 ? '案件升级至领导小组办公室督办' : '案件升级至县级部门督办', body: `${caseLine(c)}。升级原因：${why}。`,
      }];
    }
    default:
      return [];
  }
}

/** Quiet hours as minutes of the Asia/Shanghai day: [start, end), wrapping past midnight when start > end. */
export interface QuietHours { startMinute: number; endMinute: number }

/** Parses 'HH:mm-HH:mm' (e.g. '21:00-08:00'); an equal start and end means no quiet hours. Throws on a malformed value. */
export function parseQuietHours(s: string): QuietHours {
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(s.trim());
  if (!m) throw new RangeError(`quiet hours must look like 21:00-08:00: ${s}`);
  return { startMinute: Number(m[1]) * 60 + Number(m[2]), endMinute: Number(m[3]) * 60 + Number(m[4]) };
}

const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const MINUTE_MS = 60_000;

/** When the quiet hours containing `at` end, or undefined when `at` is outside them (SMS may go now). */
export function quietHoursEnd(at: Date, q: QuietHours): Date | undefined {
  if (q.startMinute === q.endMinute) return undefined;
  const local = at.getTime() + SHANGHAI_OFFSET_MS;
  const dayStart = Math.floor(local / 86_400_000) * 86_400_000;
  const minute = (local - dayStart) / MINUTE_MS;
  const wraps = q.startMinute > q.endMinute;
  const inside = wraps ? minute >= q.startMinute || minute < q.endMinute : minute >= q.startMinute && minute < q.endMinute;
  if (!inside) return undefined;
  const endToday = dayStart + q.endMinute * MINUTE_MS;
  const endLocal = wraps && minute >= q.startMinute ? endToday + 86_400_000 : endToday;
  return new Date(endLocal - SHANGHAI_OFFSET_MS);
}

/** `{ code, label }` of a notification kind. */
export function kindLabel(kind: NotificationKind): Labelled {
  return { code: kind, label: NOTIFICATION_KIND_LABELS[kind] ?? kind };
}
