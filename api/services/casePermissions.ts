/**
 * Who may act on a case — the one source the routes (api/routes/cases.ts) and the case view's
 * `allowedActions` both use.
 *
 * Steps on a running case: the role (CASE_ACTION_ROLES, 403), the assignment (a worker acts only on
 * cases assigned to them, 403), then whether the case allows the step now (domain/caseFlow whyNot,
 * which the workflow's update validators call: 409). `allowedActions` asks the same three questions
 * in the same order and gives the same reason.
 *
 * Who may open a case, one rule for every path that opens one (POST /v1/cases, one-off needs of
 * POST /v1/surveys through openCase, and the green channel, at opening or later on a running case):
 * - the role: coordinators and admins open cases;
 * - the department: the action's implementing department must lie in the caller's departments
 *   (county scope is checked on the subject, which must be in the caller's counties);
 * - the green channel: only coordinators and supervisors may put a case on it.
 */
import { CASE_ACTION_LABELS, situationOf, whyNot, type CaseAction } from '../../domain/caseFlow';
import { departmentLabel, type DepartmentCode } from '../../domain/departments';
import { CASE_STATUS_LABELS } from '../../domain/vocabulary';
import type { User } from '../../db/schema';
import type { CaseState } from '../../workflows/contract';
import { inDepartmentScope, inScope, roleRefusal, ROLE_LABELS, type AuthUser, type Role } from '../auth';
import { authUserOf } from '../sessions';

/** Roles that may open a case. */
export const CASE_OPENING_ROLES: readonly Role[] = ['coordinator', 'admin'];
/** Roles that may put a case on the green channel (绿色通道). */
export const GREEN_CHANNEL_ROLES: readonly Role[] = ['coordinator', 'supervisor'];

const roleList = (roles: readonly Role[]) => roles.map((r) => ROLE_LABELS[r]).join('、');

/** Why this user may not open this case (in Chinese), or undefined when they may. */
export function caseOpeningRefusal(user: AuthUser, c: { department: string; greenChannel: boolean }): string | undefined {
  if (!CASE_OPENING_ROLES.includes(user.role)) {
    return `当前角色（${ROLE_LABELS[user.role]}）不能开案，开案需要以下角色之一：${roleList(CASE_OPENING_ROLES)}`;
  }
  if (!inDepartmentScope(user, c.department)) {
    return `该办理事项由${departmentLabel(c.department as DepartmentCode).label}办理，不在您的部门权限范围内`;
  }
  if (c.greenChannel && !GREEN_CHANNEL_ROLES.includes(user.role)) {
    return `当前角色（${ROLE_LABELS[user.role]}）不能开启绿色通道，需要以下角色之一：${roleList(GREEN_CHANNEL_ROLES)}`;
  }
  return undefined;
}

const WORKER_COORD: readonly Role[] = ['worker', 'coordinator'];
const COORD_SUP: readonly Role[] = ['coordinator', 'supervisor'];

/** The roles admitted to each step of a running case (and to uploading its evidence). */
export const CASE_ACTION_ROLES: Readonly<Record<CaseAction | 'upload_evidence', readonly Role[]>> = Object.freeze({
  assign: COORD_SUP,
  schedule_visit: WORKER_COORD,
  visit_report: WORKER_COORD,
  review: ['reviewer'],
  supplement: WORKER_COORD,
  deliver: WORKER_COORD,
  confirm_receipt: WORKER_COORD,
  cancel: COORD_SUP,
  hold: COORD_SUP,
  resume: COORD_SUP,
  green_channel: GREEN_CHANNEL_ROLES,
  upload_evidence: WORKER_COORD,
});

/** The steps a worker may take only on a case assigned to them (the workflow checks it too: caseEngine ASSIGNEE_ONLY). */
const ASSIGNEE_ONLY: ReadonlySet<CaseAction | 'upload_evidence'> = new Set(['schedule_visit', 'visit_report', 'supplement', 'deliver', 'confirm_receipt', 'upload_evidence']);

/** Why this user may not act on this case because it is not assigned to them (403), or undefined. */
export function assigneeRefusal(user: AuthUser, action: CaseAction | 'upload_evidence', state: Pick<CaseState, 'assignee'>): string | undefined {
  return ASSIGNEE_ONLY.has(action) && user.role === 'worker' && state.assignee !== user.id ? '只有本案经办人可以办理此步骤' : undefined;
}

/** The actions a case view offers, in the order the console shows them. */
export const CASE_VIEW_ACTIONS = [
  'assign', 'schedule_visit', 'upload_evidence', 'visit_report', 'review', 'supplement', 'deliver', 'confirm_receipt',
  'green_channel', 'hold', 'resume', 'cancel',
] as const satisfies ReadonlyArray<CaseAction | 'upload_evidence'>;
export type CaseViewAction = (typeof CASE_VIEW_ACTIONS)[number];

/** The Chinese label of each action of the case view. */
export const CASE_VIEW_ACTION_LABELS: Readonly<Record<CaseViewAction, string>> = Object.freeze({ ...CASE_ACTION_LABELS, upload_evidence: '上传佐证材料' });

/** One entry of a case view's `allowedActions`; `status` is what the API answers when it is tried anyway. */
export interface AllowedAction { action: CaseViewAction; label: string; allowed: boolean; reason?: string; status?: 403 | 409 }

/**
 * What this user may do on this case now, with the reason for each action that is not allowed: the
 * role (403), the assignment (403), then the case's own rule (409) — the checks the step routes make,
 * in their order. Rules that depend on what is sent (evidence, dates, delivery methods) are the step's
 * own and are not foreseen here.
 */
export function allowedActions(user: AuthUser, state: CaseState): AllowedAction[] {
  return CASE_VIEW_ACTIONS.map((action) => {
    const label = CASE_VIEW_ACTION_LABELS[action];
    const refusal = actionRefusal(user, action, state);
    return refusal ? { action, label, allowed: false, ...refusal } : { action, label, allowed: true };
  });
}

/** Why this user may not take this action on this case now, and the status the API answers with; undefined when they may. */
export function actionRefusal(user: AuthUser, action: CaseViewAction, state: CaseState): { reason: string; status: 403 | 409 } | undefined {
  const forbidden = roleRefusal(user, CASE_ACTION_ROLES[action]) ?? assigneeRefusal(user, action, state);
  if (forbidden) return { reason: forbidden, status: 403 };
  const why = action === 'upload_evidence'
    ? (state.status === 'open' ? undefined : `案件${CASE_STATUS_LABELS[state.status]}，不能${CASE_VIEW_ACTION_LABELS.upload_evidence}`)
    : whyNot(action, situationOf(state));
  return why ? { reason: why, status: 409 } : undefined;
}

/** Roles a case may be assigned to (its 经办人). */
export const ASSIGNEE_ROLES: readonly Role[] = ['worker', 'coordinator'];

/** True when a user may be assigned a case of this county and department: active, an assignee role, the case inside their scope. */
export function mayBeAssigned(u: User, c: { county: string; department: string }): boolean {
  return !u.disabled && ASSIGNEE_ROLES.includes(u.role) && inScope(authUserOf(u), c.county, c.department);
}
