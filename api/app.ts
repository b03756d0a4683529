/**
 * buildApp(deps): the HTTP API as a Fastify instance that never listens by itself
 * (bin/api listens; tests use inject). Plugins in order: external, then auth, then routes.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { authPlugin } from './auth';
import { registerErrorHandler } from './problem';
import { healthRoutes } from './routes/health';
import { v1Routes } from './routes';

export interface AppDeps {
  db: Db;
  temporal: Client;
  config: Config;
  now?: () => Date;
  logger?: boolean | Record<string, unknown>;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? (() => new Date());
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    // Personal data never goes into logs: log the route, never bodies or query strings.
    disableRequestLogging: false,
    genReqId: () => crypto.randomUUID(),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);

  await app.register(swagger, {
    openapi: {
      info: { title: 'doorstep 上门代办 API', version: '1.0.0', description: '为特殊困难残疾人开展上门代办服务' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(authPlugin, { db: deps.db, now });
  await app.register(async (scope) => healthRoutes(scope, deps));
  for (const routes of v1Routes) await app.register(async (scope) => routes(scope, { ...deps, now }), { prefix: '/v1' });
  return app;
}
