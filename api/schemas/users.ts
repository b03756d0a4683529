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

/** The caller: how this request authenticated (the token's id for a bearer token), and what it may see. */
export const meView = userView.extend({
  authMethod: z.enum(['token', 'session']).describe('token：访问令牌（API 客户端）；session：控制台登录会话'),
  tokenId: z.string().optional().describe('本次请求所用访问令牌的 id（仅 token）'),
  mayUnmask: z.boolean().describe('可用 ?unmask=true 查看完整身份证号和电话（每次查看均记审计）'),
  mayBulkUnmask: z.boolean().describe('列表也可整页查看完整号码（否则一次一条）'),
});

/** What POST /v1/auth/login answers (the cookies carry the session; the CSRF token is also in the readable cookie). */
export const loginView = z.object({
  user: meView,
  csrfToken: z.string().describe('每个非 GET 请求须在请求头 X-CSRF-Token 中带上此值（也在 Cookie doorstep_csrf 中）'),
  expiresAt: instant.describe('会话最迟失效时间（空闲超时另计）'),
  idleMinutes: z.number().int().describe('空闲多少分钟后会话失效'),
});

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
  user: z.object({ id: z.string(), username: z.string(), displayName: z.string() }).nullable().describe('操作人（系统任务为 null）'),
  action: z.string(),
  actionLabel: z.string().nullable().describe('操作的中文名称'),
  resourceType: z.string().nullable(),
  resourceId: z.string().nullable(),
  ip: z.string().nullable(),
  detail: z.unknown().describe('操作详情（不含个人信息）'),
});
export const auditList = z.object({ items: z.array(auditRecord), nextCursor });
export const auditActionList = itemsOf(z.object({ code: z.string(), label: z.string() }));
