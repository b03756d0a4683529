/**
 * Every route declares what it answers (api/schemas): the OpenAPI document shows it, and the serializer
 * drops whatever the schema does not name, a second guard against leaking personal data.
 */
import type { RouteOptions } from 'fastify';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { presentSubject } from '../../api/presenters/subject';
import { problemResponses } from '../../api/schemas/common';
import { subjectView } from '../../api/schemas/subjects';
import { makeSubject, makeUser, type TestUser } from '../support/fixtures';
import { startStack, type TestStack } from '../support/env';

let stack: TestStack;
let coordinator: TestUser;
const routes: Array<{ method: string; url: string; response?: Record<string, unknown> }> = [];

beforeAll(async () => {
  stack = await startStack();
  coordinator = await makeUser(stack.db, 'coordinator', { counties: ['640104'] });
  const app = await buildApp({
    db: stack.db, temporal: stack.client, config: stack.config,
    onRoute: (r: RouteOptions) => {
      for (const method of [r.method].flat()) {
        if (method === 'HEAD' || method === 'OPTIONS') continue;
        routes.push({ method, url: r.url, response: (r.schema as { response?: Record<string, unknown> } | undefined)?.response });
      }
    },
  });
  await app.ready();
  await app.close();
}, 120_000);
afterAll(async () => { await stack?.close(); });

const isApiRoute = (url: string) => url.startsWith('/v1/') || url.startsWith('/codec/') || url === '/healthz' || url === '/readyz';
const successCodes = (response: Record<string, unknown> | undefined) => Object.keys(response ?? {}).filter((k) => /^2(\d\d|xx)$/.test(k));

describe('response schemas', () => {
  it('every API route declares its 2xx answer and its problem+json errors', () => {
    const api = routes.filter((r) => isApiRoute(r.url));
    expect(api.length).toBeGreaterThan(50);
    const withoutSuccess = api.filter((r) => successCodes(r.response).length === 0).map((r) => `${r.method} ${r.url}`);
    expect(withoutSuccess).toEqual([]);
    const withoutProblems = api
      .filter((r) => r.url !== '/healthz' && r.url !== '/readyz')
      .filter((r) => r.response?.['4xx'] !== problemResponses['4xx'] || r.response?.['5xx'] !== problemResponses['5xx'])
      .map((r) => `${r.method} ${r.url}`);
    expect(withoutProblems).toEqual([]);
  });

  it('the OpenAPI document shows what the main routes return', async () => {
    const res = await stack.app.inject({ url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }> }>> };
    const jsonSchema = (path: string, method: string, status: string) => doc.paths[path]?.[method]?.responses?.[status]?.content?.['application/json']?.schema as
      { properties?: Record<string, { properties?: Record<string, unknown>; items?: { properties?: Record<string, unknown> } }> } | undefined;

    // A case: its status is a code of the vocabulary with its label.
    const kase = jsonSchema('/v1/cases/{id}', 'get', '200');
    expect(Object.keys(kase?.properties ?? {})).toEqual(expect.arrayContaining(['id', 'status', 'step', 'timeline', 'evidence', 'delivery']));
    expect(kase?.properties?.status?.properties?.code).toMatchObject({ enum: ['open', 'closed', 'cancelled', 'rejected'] });
    expect(Object.keys(jsonSchema('/v1/cases', 'get', '200')?.properties ?? {})).toEqual(['items', 'nextCursor']);
    expect(jsonSchema('/v1/cases', 'post', '201')).toBeDefined();
    // A subject: masked fields are named, internal columns are not.
    const subject = jsonSchema('/v1/subjects/{id}', 'get', '200');
    expect(Object.keys(subject?.properties ?? {})).toEqual(expect.arrayContaining(['idNumber', 'masked', 'household', 'guardian']));
    expect(Object.keys(subject?.properties ?? {})).not.toContain('guardianName');
    // Plans, ledger, reports, supervision, users, catalog.
    expect(jsonSchema('/v1/plans/{id}', 'get', '200')?.properties?.status?.properties?.code).toMatchObject({ enum: ['pending', 'active', 'ended'] });
    expect(Object.keys(jsonSchema('/v1/ledger', 'get', '200')?.properties ?? {})).toEqual(expect.arrayContaining(['headers', 'items', 'share']));
    expect(doc.paths['/v1/ledger'].get.responses['200'].content).toHaveProperty(['text/csv']);
    expect(doc.paths['/v1/reports/quarterly'].get.responses['200'].content).toHaveProperty(['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']);
    expect(jsonSchema('/v1/supervision/overdue', 'get', '200')?.properties?.items).toBeDefined();
    expect(jsonSchema('/v1/me', 'get', '200')?.properties?.role?.properties?.code).toMatchObject({ enum: ['coordinator', 'worker', 'reviewer', 'supervisor', 'admin'] });
    expect(Object.keys(jsonSchema('/v1/catalog', 'get', '200')?.properties ?? {})).toEqual(expect.arrayContaining(['version', 'items', 'deliveryMethods']));
    // Errors are problem+json.
    const problem = jsonSchema('/v1/cases/{id}', 'get', '4XX') ?? jsonSchema('/v1/cases/{id}', 'get', '4xx');
    expect(Object.keys(problem?.properties ?? {})).toEqual(expect.arrayContaining(['type', 'status', 'title', 'detail', 'errors']));
  });

  it('a field the schema does not name is dropped from the answer', async () => {
    const app = Fastify().withTypeProvider<ZodTypeProvider>();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    const s = await makeSubject(stack.db, { guardianName: '监护人甲', guardianPhone: '13800000000' });
    app.get('/subject', { schema: { response: { 200: subjectView } } }, async () => {
      // A presenter that (by mistake) also hands back the stored row and a nested internal field.
      const view = presentSubject(s, { unmasked: false, birthDerived: false, householdSize: 1, today: '2026-01-01' });
      return { ...view, row: s, idNumberFull: s.idNumber, household: { ...view.household, memberIds: ['x'] } } as typeof view;
    });
    const res = await app.inject('/subject');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).not.toHaveProperty('row');
    expect(body).not.toHaveProperty('idNumberFull');
    expect(body.household).toEqual({ id: null, size: 1, multiDisabled: false });
    expect(res.body).not.toContain(s.idNumber);
    expect(body.idNumber).toMatch(/\*/);
    await app.close();
  });

  it('a real route answers exactly the fields of its schema, never the stored columns', async () => {
    const s = await makeSubject(stack.db, { guardianName: '监护人乙', guardianPhone: '13900000000', guardianRelation: '母亲' });
    const res = await stack.app.inject({ url: `/v1/subjects/${s.id}`, headers: coordinator.auth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(Object.keys(subjectView.shape).sort());
    for (const column of ['guardianName', 'guardianPhone', 'householdId', 'disabilityCategory']) expect(body).not.toHaveProperty(column);
    expect(res.body).not.toContain(s.idNumber);
    expect(res.body).not.toContain('13900000000');
  });
});
