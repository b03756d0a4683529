/** The dependencies of the HTTP API and the shape of a route module (kept apart from app.ts so routes need not import it). */
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db/client';
import type { Logger } from '../logger';

export interface AppDeps {
  db: Db;
  temporal: Client;
  config: Config;
  now?: () => Date;
  /** The process logger (logger.ts); without one the app logs nothing. */
  logger?: Logger;
  /** Told of every route as it is registered (the authorization matrix test checks that it covers them all). */
  onRoute?: (route: RouteOptions) => void;
}

/** A /v1 route module: `(app, deps) => Promise<void>`, declaring its routes with full zod schemas. */
export type RouteModule = (app: FastifyInstance, deps: AppDeps & { now: () => Date }) => Promise<void>;
