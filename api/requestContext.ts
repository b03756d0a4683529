/**
 * What every request carries through the API: its id (from a well-formed `X-Request-Id`, else a new
 * UUID; echoed in the response), log lines bound to the case or plan it addresses (caseId/planId and
 * the workflow id), and, while tracing is on, a server span that is the root of the request's trace
 * (or a child of the caller's W3C `traceparent`); the Temporal client interceptor and the SQL spans
 * continue it.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest, RawRequestDefaultExpression } from 'fastify';
import fp from 'fastify-plugin';
import { caseWorkflowId, planWorkflowId } from '../workflows/contract';

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The request id: the caller's `X-Request-Id` when it is a plain token, otherwise a new UUID. */
export function requestId(raw: RawRequestDefaultExpression): string {
  const given = raw.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

const spans = new WeakMap<FastifyRequest, { span: Span; ctx: Context }>();
const tracer = trace.getTracer('doorstep-api');

export const requestContextPlugin = fp(async (app: FastifyInstance) => {
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    const bound = boundIds(request);
    if (bound) {
      request.log = request.log.child(bound);
      reply.log = request.log;
    }
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const route = request.routeOptions.url ?? 'unmatched';
    const span = tracer.startSpan(`${request.method} ${route}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'http.route': route, 'doorstep.request_id': request.id },
    }, parent);
    const ctx = trace.setSpan(parent, span);
    spans.set(request, { span, ctx });
    context.with(ctx, done);
  });
  // Body parsing resumes outside the request's async context: enter it again before the handler.
  const reenter = (request: FastifyRequest, _reply: unknown, done: () => void) => {
    const s = spans.get(request);
    if (s) context.with(s.ctx, done);
    else done();
  };
  app.addHook('preValidation', reenter);
  app.addHook('preHandler', reenter);
  app.addHook('onResponse', (request, reply, done) => {
    const s = spans.get(request);
    if (s) {
      s.span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) s.span.setStatus({ code: SpanStatusCode.ERROR });
      s.span.end();
      spans.delete(request);
    }
    done();
  });
}, { name: 'doorstep-request-context' });

/** The case or plan a request addresses (route `/v1/cases/:id…` or `/v1/plans/:id…`), as log fields. */
function boundIds(request: FastifyRequest): Record<string, string> | undefined {
  const id = (request.params as { id?: unknown } | undefined)?.id;
  const route = request.routeOptions.url ?? '';
  if (typeof id !== 'string' || !REQUEST_ID.test(id)) return undefined;
  if (route.startsWith('/v1/cases/:id')) return { caseId: id, workflowId: caseWorkflowId(id) };
  if (route.startsWith('/v1/plans/:id')) return { planId: id, workflowId: planWorkflowId(id) };
  return undefined;
}
