/**
 * The API over the read model (B3, B5): buildApp with the bench's fixed clock (NOW), listening on
 * 127.0.0.1 in this process. These routes never reach Temporal, so the client is a lazy one that
 * never connects. Requests are sequential, so the load generator never competes with the API.
 */
import { Client } from '@temporalio/client';
import { buildApp } from '../api/app';
import { loadConfig } from '../config';
import { makeUser, type TestUser } from '../test/support/fixtures';
import type { BenchContext } from './context';
import { NOW, readModel, type ReadModel } from './readModel';

export interface ReadApi {
  url: string;
  rm: ReadModel;
  /** A city-level supervisor (sees every county and department). */
  supervisor: TestUser;
  /** A county department's coordinator (640104, DPF). */
  coordinator: TestUser;
}

const perRun = new WeakMap<BenchContext, Promise<ReadApi>>();

export function readApi(ctx: BenchContext): Promise<ReadApi> {
  let api = perRun.get(ctx);
  if (!api) {
    api = open(ctx);
    perRun.set(ctx, api);
  }
  return api;
}

async function open(ctx: BenchContext): Promise<ReadApi> {
  const rm = await readModel(ctx);
  const config = { ...loadConfig({}), DATABASE_URL: rm.url, RATE_LIMIT_PER_MINUTE: 1_000_000_000 };
  const app = await buildApp({ db: rm.db, temporal: new Client(), config, now: () => NOW });
  await app.listen({ host: '127.0.0.1', port: 0 });
  ctx.atEnd(async () => { await app.close(); });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const supervisor = await makeUser(rm.db, 'supervisor', { cityLevel: true });
  const coordinator = await makeUser(rm.db, 'coordinator', { counties: ['640104'], departments: ['DPF'] });
  return { url: `http://127.0.0.1:${port}`, rm, supervisor, coordinator };
}

/** Times `n` sequential runs of `fn` (after `warmup` untimed ones); latencies in ms. */
export async function timeRuns(n: number, fn: () => Promise<unknown>, warmup = 3): Promise<number[]> {
  for (let i = 0; i < Math.min(warmup, n); i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

/** GETs a JSON path with a token; throws on a non-2xx answer. */
export async function getJson(base: string, path: string, token: string): Promise<any> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body: any = await res.json().catch(() => undefined);
  if (!res.ok) throw new Error(`GET ${path} → ${res.status}: ${body?.detail ?? body?.title ?? ''}`);
  return body;
}
