/**
 * The remote codec endpoint for the Temporal Web UI and CLI (Temporal's codec server protocol):
 * POST /codec/decode and /codec/encode take `{ payloads: [{ metadata: {k: base64}, data: base64 }] }`
 * and answer the same shape, decrypted or encrypted with the application's payload keys.
 *
 * Behind auth: a bearer token of a role that may see personal data (api/audit.ts mayUnmask). CORS (set
 * up in api/app.ts) admits the Temporal UI's origin (TEMPORAL_UI_URL) and CORS_ORIGINS.
 *
 * Decoding is scope-aware: each encrypted payload names its workflow (`workflow-id` metadata, bound
 * into its tag, see temporal/codec.ts); a case's or plan's payloads are decrypted only for callers whose
 * scope holds that case or plan (its county and department in the read model). Payloads of other
 * workflows, or naming none, are decrypted for city-level callers without a department limit only.
 * Everything else comes back as it was sent, still encrypted. Workers and reviewers decode one workflow
 * per request (as they unmask one record at a time); a request holds at most MAX_PAYLOADS payloads.
 * Every decode is audited with the workflow ids it decrypted, and counts against the unmask quota.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { inArray } from 'drizzle-orm';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import { cases, plans } from '../../db/schema';
import { ENCRYPTED_ENCODING, EncryptionCodec, PayloadDecryptionError, payloadWorkflowId } from '../../temporal/codec';
import { caseWorkflowId, planWorkflowId } from '../../workflows/contract';
import type { AppDeps } from '../types';
import { audit, BULK_UNMASK_ROLES, checkUnmaskQuota, mayUnmask, UNMASK_ROLES } from '../audit';
import { currentUser, inScope, ROLE_LABELS, type AuthUser } from '../auth';
import { badRequest, forbidden } from '../problem';
import { problemResponses } from '../schemas/common';
import { codecPayloads } from '../schemas/health';

const base64 = z.string().max(4_000_000).regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'base64');
const jsonPayload = z.object({
  metadata: z.record(z.string().min(1).max(200), base64).optional(),
  data: base64.optional(),
});
/** The most payloads one request may carry (the Temporal UI sends one history's worth at a time). */
export const MAX_PAYLOADS = 500;
const codecBody = z.object({ payloads: z.array(jsonPayload).max(MAX_PAYLOADS, `一次最多解码 ${MAX_PAYLOADS} 个数据`) });
const codecHeaders = z.object({ 'x-namespace': z.string().max(200).optional() });

type JsonPayload = z.infer<typeof jsonPayload>;

const isEncrypted = (p: Payload): boolean => Buffer.from(p.metadata?.[METADATA_ENCODING_KEY] ?? new Uint8Array()).toString() === ENCRYPTED_ENCODING;

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
  data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export async function codecRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const codec = deps.config.PAYLOAD_KEYS ? EncryptionCodec.fromSpec(deps.config.PAYLOAD_KEYS) : undefined;
  const r = app.withTypeProvider<ZodTypeProvider>();

  const allowed = async (request: FastifyRequest) => {
    const user = currentUser(request);
    if (!mayUnmask(user)) {
      throw forbidden(`解码工作流数据需要以下角色之一：${UNMASK_ROLES.map((x) => ROLE_LABELS[x]).join('、')}`);
    }
  };

  /** Which of these workflows the user's scope holds (cases and plans by their read-model rows). */
  async function readableWorkflows(user: AuthUser, workflowIds: string[]): Promise<Set<string>> {
    const everything = user.cityLevel && user.departments.length === 0;
    const byPrefix = (prefix: string) => workflowIds.filter((w) => w.startsWith(prefix)).map((w) => w.slice(prefix.length));
    const caseIds = byPrefix('case-');
    const planIds = byPrefix('plan-');
    const rows = [
      ...(caseIds.length ? (await deps.db.select({ id: cases.id, county: cases.county, department: cases.department }).from(cases).where(inArray(cases.id, caseIds))).map((r) => ({ ...r, wf: caseWorkflowId(r.id) })) : []),
      ...(planIds.length ? (await deps.db.select({ id: plans.id, county: plans.county, department: plans.department }).from(plans).where(inArray(plans.id, planIds))).map((r) => ({ ...r, wf: planWorkflowId(r.id) })) : []),
    ];
    const known = new Map(rows.map((r) => [r.wf, r]));
    return new Set(workflowIds.filter((w) => {
      const r = known.get(w);
      return r ? inScope(user, r.county, r.department) : everything;
    }));
  }

  r.post('/decode', {
    schema: {
      tags: ['codec'], summary: 'Temporal UI 远程解码：按权限范围解密工作流历史中的数据（记入审计日志）', body: codecBody, headers: codecHeaders,
      response: { 200: codecPayloads, ...problemResponses },
    },
    preHandler: allowed,
  }, async (request) => {
    const user = currentUser(request);
    const payloads = request.body.payloads.map(fromJson);
    const owner = (p: Payload) => payloadWorkflowId(p) ?? '';
    const asked = [...new Set(payloads.filter(isEncrypted).map(owner))];
    const readable = await readableWorkflows(user, asked);
    const decodedWorkflows = asked.filter((w) => readable.has(w));
    if (decodedWorkflows.length > 1 && !BULK_UNMASK_ROLES.includes(user.role)) {
      throw forbidden(`当前角色（${ROLE_LABELS[user.role]}）每次只能解码一个工作流的数据 Your role may decode one workflow per request`);
    }
    if (decodedWorkflows.length > 0) await checkUnmaskQuota(deps.db, request, user, decodedWorkflows.length);
    const decoded: Payload[] = [];
    for (const [i, p] of payloads.entries()) {
      if (isEncrypted(p) && !readable.has(owner(p))) {
        decoded.push(p);
        continue;
      }
      try {
        decoded.push(...(codec ? await codec.decode([p]) : [p]));
      } catch (e) {
        if (e instanceof PayloadDecryptionError) throw badRequest('无法解密', [{ path: `body.payloads.${i}`, message: e.message }]);
        throw e;
      }
    }
    await audit(deps.db, {
      user, action: 'codec.decode', resourceType: 'temporal_payloads', ip: request.ip,
      detail: {
        namespace: request.headers['x-namespace'] ?? null, count: decodedWorkflows.length, payloads: payloads.length,
        workflowIds: decodedWorkflows.map((w) => w || '(none)'), withheld: asked.filter((w) => !readable.has(w)).length,
      },
    });
    return { payloads: decoded.map(toJson) };
  });

  r.post('/encode', {
    schema: { tags: ['codec'], summary: 'Temporal UI 远程编码：用当前密钥加密数据', body: codecBody, headers: codecHeaders, response: { 200: codecPayloads, ...problemResponses } },
    preHandler: allowed,
  }, async (request) => {
    const payloads = request.body.payloads.map(fromJson);
    const encoded = codec ? await codec.encode(payloads) : payloads;
    return { payloads: encoded.map(toJson) };
  });
}
