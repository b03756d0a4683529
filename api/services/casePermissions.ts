/**
 * Who may open a case, one rule for every path that opens one (POST /v1/cases, one-off needs of
 * POST /v1/surveys through openCase, and the green channel, at opening or later on a running case):
 * - the role: coordinators and admins open cases;
 * - the department: the action's implementing department must lie in the caller's departments
 *   (county scope is checked on the subject, which must be in the caller's counties);
 * - the green channel: only coordinators and supervisors may put a case on it.
 */
import { departmentLabel, type DepartmentCode } from '../../domain/departments';
import { inDepartmentScope, ROLE_LABELS, type AuthUser, type Role } from '../auth';

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
