/**
 * The remote codec endpoint for the Temporal Web UI and CLI (Temporal's codec server protocol):
 * POST /codec/decode and /codec/encode take `{ payloads: [{ metadata: {k: base64}, data: base64 }] }`
 * and answer the same shape, decrypted or encrypted with the application's payload keys.
 *
 * Behind auth: a bearer token of a role that may see personal data (api/audit.ts mayUnmask); every
 * decode is audited. CORS (set up in api/app.ts) admits the Temporal UI's origin (TEMPORAL_UI_URL) and CORS_ORIGINS.
 * Payloads carry no case id, so this endpoint cannot apply county scopes: whoever reaches the Temporal
 * UI and holds such a token can read decoded histories of every county — keep the UI on the intranet.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { EncryptionCodec, PayloadDecryptionError } from '../../temporal/codec';
import type { AppDeps } from '../types';
import { audit, mayUnmask, UNMASK_ROLES } from '../audit';
import { currentUser, ROLE_LABELS } from '../auth';
import { badRequest, forbidden } from '../problem';

const base64 = z.string().max(4_000_000).regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'base64');
const jsonPayload = z.object({
  metadata: z.record(z.string().min(1).max(200), base64).optional(),
  data: base64.optional(),
});
const codecBody = z.object({ payloads: z.array(jsonPayload).max(10_000) });
const codecHeaders = z.object({ 'x-namespace': z.string().max(200).optional() });

type JsonPayload = z.infer<typeof jsonPayload>;

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

  r.post('/decode', {
    schema: { tags: ['codec'], summary: 'Temporal UI 远程解码：解密工作流历史中的数据（记入审计日志）', body: codecBody, headers: codecHeaders },
    preHandler: allowed,
  }, async (request) => {
    const user = currentUser(request);
    const payloads = request.body.payloads.map(fromJson);
    const decoded: Payload[] = [];
    for (const [i, p] of payloads.entries()) {
      try {
        decoded.push(...(codec ? await codec.decode([p]) : [p]));
      } catch (e) {
        if (e instanceof PayloadDecryptionError) throw badRequest('无法解密', [{ path: `body.payloads.${i}`, message: e.message }]);
        throw e;
      }
    }
    await audit(deps.db, {
      user, action: 'codec.decode', resourceType: 'temporal_payloads', ip: request.ip,
      detail: { namespace: request.headers['x-namespace'] ?? null, count: payloads.length },
    });
    return { payloads: decoded.map(toJson) };
  });

  r.post('/encode', {
    schema: { tags: ['codec'], summary: 'Temporal UI 远程编码：用当前密钥加密数据', body: codecBody, headers: codecHeaders },
    preHandler: allowed,
  }, async (request) => {
    const payloads = request.body.payloads.map(fromJson);
    const encoded = codec ? await codec.encode(payloads) : payloads;
    return { payloads: encoded.map(toJson) };
  });
}
