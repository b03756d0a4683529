/** What /v1/me, /v1/users and /v1/audit answer. */
import { z } from 'zod';
import { ROLES } from '../../domain/vocabulary';
import { instant, itemsOf, labelled, labelledOf, nextCursor } from './common';

export const userView = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: labelledOf(ROLES),
  scope: z.object({ cityLevel: z.boolean(), counties: z.array(labelled), departments: z.array(labelled) }),
  disabled: z.boolean(),
  createdAt: instant.optional(),
  updatedAt: instant.optional(),
});

/** The caller, with the id of the token this request used. */
export const meView = userView.extend({ tokenId: z.string() });

export const userList = z.object({ items: z.array(userView), nextCursor });

/** A token as listed: never the token itself. */
export const tokenView = z.object({
  id: z.string(),
  label: z.string().nullable(),
  createdAt: instant,
  expiresAt: instant.nullable(),
  revokedAt: instant.nullable(),
  lastUsedAt: instant.nullable(),
  active: z.boolean(),
});
export const tokenList = itemsOf(tokenView);

/** A token just issued: the plain token, shown this once. */
export const issuedToken = z.object({
  id: z.string(), token: z.string().describe('明文令牌，只显示这一次'), label: z.string().nullable(), expiresAt: instant,
});

/** One audit record. */
export const auditRecord = z.object({
  id: z.string(),
  at: instant,
  userId: z.string().nullable(),
  action: z.string(),
  resourceType: z.string().nullable(),
  resourceId: z.string().nullable(),
  ip: z.string().nullable(),
  detail: z.unknown().describe('操作详情（不含个人信息）'),
});
export const auditList = z.object({ items: z.array(auditRecord), nextCursor });
