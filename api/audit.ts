/**
 * The audit log: every state change and every read of unmasked personal data, append-only.
 */
import type { Db } from '../db/client';
import { auditLog } from '../db/schema';
import type { AuthUser, Role } from './auth';

/** Roles that may ask for unmasked ID numbers and phones (each such read is audited). */
const UNMASK_ROLES: readonly Role[] = ['coordinator', 'worker', 'reviewer'];

/** True when this user may see unmasked personal data (when it asks for it). */
export function mayUnmask(user: AuthUser): boolean {
  return UNMASK_ROLES.includes(user.role);
}

export interface AuditEntry {
  user?: AuthUser;
  action: string;
  resourceType: string;
  resourceId?: string;
  ip?: string;
  detail?: Record<string, unknown>;
}

/** Appends one audit record. */
export async function audit(db: Db, e: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    userId: e.user?.id ?? null,
    action: e.action,
    resourceType: e.resourceType,
    resourceId: e.resourceId ?? null,
    ip: e.ip ?? null,
    detail: e.detail ?? {},
  });
}
