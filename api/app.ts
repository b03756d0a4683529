/**
 * buildApp(deps): the HTTP API as a Fastify instance that never listens by itself
 * (bin/api listens; tests use inject). Plugins in order: external, then auth, then routes.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type RouteOptions } from 'fastify';
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { auditPlugin } from './audit';
import { idempotencyPlugin } from './idempotency';
import { AuthFailureLimiter, authFailureGuard, authPlugin, isProtectedRequest, lookupUser } from './auth';
import { metricsPlugin } from './metrics';
import { badRequest, HttpProblem, registerErrorHandler } from './problem';
import { requestContextPlugin, requestId } from './requestContext';
import { consoleDir, consoleFallback, consolePlugin } from './console';
import { authRoutes } from './routes/auth';
import { codecRoutes } from './routes/codec';
import { sessionLifetime } from './sessions';
import { healthRoutes } from './routes/health';
import { v1Routes } from './routes';
import type { AppDeps } from './types';

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? (() => new Date());
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger as FastifyBaseLogger } : { logger: false }),
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    // Slow clients are cut off: headers and the whole request each within a bound (checked every second),
    // so sockets that trickle bytes in are closed instead of piling up (see config.ts).
    http: { headersTimeout: deps.config.HEADERS_TIMEOUT_MS, connectionsCheckingInterval: 1000 },
    requestTimeout: deps.config.REQUEST_TIMEOUT_MS,
    // Behind the reverse proxy (deploy/Caddyfile) the client's address comes from X-Forwarded-For.
    ...(deps.config.TRUST_PROXY ? { trustProxy: deps.config.TRUST_PROXY === 'true' ? true : deps.config.TRUST_PROXY } : {}),
    genReqId: requestId,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    // Errors raised before routing (a malformed URL, a path parameter over 100 characters) are problems too.
    frameworkErrors: (error, _request, reply) => {
      const status = error.statusCode ?? 400;
      const title = status === 414 ? '请求地址过长 URI Too Long' : '请求地址无效 Bad URL';
      void (reply as unknown as FastifyReply).status(status).type('application/problem+json').send({ type: `https://doorstep.example/problems/${status}`, status, title, detail: error.message.slice(0, 200) });
    },
  }).withTypeProvider<ZodTypeProvider>();
  if (deps.onRoute) app.addHook('onRoute', (route) => deps.onRoute!(route as RouteOptions));
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const consoleFiles = consoleDir(deps.config.CONSOLE_DIR);
  registerErrorHandler(app, consoleFallback(consoleFiles));
  // First, so that every later hook (rate limit, auth) runs inside the request's span and is counted.
  await app.register(requestContextPlugin);
  await app.register(metricsPlugin, { db: deps.db, temporal: deps.temporal, now });

  // Hardening. Security headers on every response (CSP, nosniff, frame-ancestors, HSTS, …). The CSP is
  // the console's (api/console.ts): everything from its own origin; inline styles (Ant Design's CSS-in-JS);
  // blob: images and media (a photo or video previewed before upload); no inline scripts, no plugins.
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameSrc: ["'self'"],
        workerSrc: ["'self'", 'blob:'],
        manifestSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'self'"],
        // Plain http on a workstation (npm run dev) must not be upgraded; behind the proxy HSTS keeps https.
        upgradeInsecureRequests: null,
      },
    },
  });
  // CORS is off unless origins are configured: CORS_ORIGINS for the API; the codec endpoint also admits
  // the Temporal UI's origin (TEMPORAL_UI_URL), with credentials, for its remote decoding.
  const apiOrigins = listOrigins(deps.config.CORS_ORIGINS);
  const codecOrigins = [...new Set([originOf(deps.config.TEMPORAL_UI_URL), ...apiOrigins].filter((o): o is string => Boolean(o)))];
  if (apiOrigins.length > 0 || codecOrigins.length > 0) {
    const apiCors: FastifyCorsOptions = apiOrigins.length > 0
      ? { origin: apiOrigins, methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'], exposedHeaders: ['Location', 'X-Request-Id'], maxAge: 600 }
      : { origin: false };
    const codecCors: FastifyCorsOptions = codecOrigins.length > 0
      ? { origin: codecOrigins, methods: ['POST'], credentials: true, allowedHeaders: ['Authorization', 'Content-Type', 'X-Namespace'], maxAge: 600 }
      : { origin: false };
    await app.register(cors, {
      delegator: (request, cb) => cb(null, request.url.startsWith('/codec/') ? codecCors : apiCors),
    });
  }
  // Failed authentication is limited per client address, before the rate limiter looks any token up.
  const authFailures = new AuthFailureLimiter(deps.config.AUTH_FAILURES_PER_MINUTE);
  const sessions = sessionLifetime(deps.config);
  await app.register(authFailureGuard, { limiter: authFailures });
  // Rate limit per token (per IP without a valid one), counted before the route runs.
  await app.register(rateLimit, {
    global: true,
    max: deps.config.RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    allowList: (request) => request.url === '/healthz' || request.url === '/readyz',
    keyGenerator: async (request) => {
      const user = await lookupUser(deps.db, request, now, sessions).catch(() => undefined);
      return user?.tokenId ? `token:${user.tokenId}` : user?.session ? `session:${user.session.id}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, ctx) => new HttpProblem(
      429, '请求过于频繁 Too Many Requests', `每分钟最多 ${ctx.max} 次请求，请在 ${ctx.after} 后重试 Limit ${ctx.max}/min; retry after ${ctx.after}`,
    ),
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'doorstep 上门代办 API', version: '1.0.0', description: '为特殊困难残疾人开展上门代办服务' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // PostgreSQL cannot store NUL in text or jsonb: refuse it at the door, with the field, instead of a 500.
  app.addHook('preValidation', async (request) => {
    for (const [where, value] of [['params', request.params], ['querystring', request.query], ['body', request.body]] as const) {
      const at = findNul(value);
      if (at !== undefined) throw badRequest('请求中含有不允许的空字符 (NUL)', [{ path: [where, ...at].join('.'), message: '不能包含空字符 \\u0000' }]);
    }
  });

  await app.register(authPlugin, { db: deps.db, now, limiter: authFailures, sessions });
  // After authentication (keys are per user) and validation: a key reused for another request is a 422.
  await app.register(idempotencyPlugin, { db: deps.db });
  // Whatever the API and the codec endpoint answer may carry personal data: no cache may keep it,
  // unless a route says otherwise (the catalog, which holds none).
  app.addHook('onSend', async (request, reply, payload) => {
    if (isProtectedRequest(request) && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });
  await app.register(auditPlugin, {
    db: deps.db, limits: { unmaskPerDay: deps.config.UNMASK_QUOTA_PER_DAY, idSearchPerHour: deps.config.ID_SEARCH_PER_HOUR },
  });
  await app.register(async (scope) => healthRoutes(scope, deps));
  await app.register(consolePlugin, { dir: consoleFiles });
  await app.register(async (scope) => codecRoutes(scope, { ...deps, now }), { prefix: '/codec' });
  for (const routes of v1Routes) await app.register(async (scope) => routes(scope, { ...deps, now }), { prefix: '/v1' });
  await app.register(async (scope) => authRoutes(scope, { ...deps, now, limiter: authFailures, sessions }), { prefix: '/v1' });
  return app;
}

/** Splits a comma-separated origin list (CORS_ORIGINS). */
export function listOrigins(value: string | undefined): string[] {
  return (value ?? '').split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean);
}

/** The origin (scheme://host:port) of a URL, or undefined when unset or malformed. */
export function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** The path of the first string (value or key) holding a NUL character; iterative, linear in the input. */
export function findNul(root: unknown): string[] | undefined {
  interface Node { value: unknown; key?: string; parent?: Node }
  const pathOf = (n: Node | undefined): string[] => {
    const out: string[] = [];
    for (let p = n; p && p.key !== undefined; p = p.parent) out.push(p.key);
    return out.reverse();
  };
  const stack: Node[] = [{ value: root }];
  let visited = 0;
  while (stack.length > 0 && visited++ < 1_000_000) {
    const node = stack.pop()!;
    const { value } = node;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return pathOf(node);
    } else if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
      for (const [k, v] of Object.entries(value)) {
        if (k.includes('\u0000')) return [...pathOf(node), k.split('\u0000').join('\\0')];
        stack.push({ value: v, key: k, parent: node });
      }
    }
  }
  return undefined;
}
