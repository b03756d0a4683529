/**
 * Once per test run: a database of its own (created here, dropped after), the committed migrations,
 * one Temporal dev server, one time-skipping server per test worker, and the workflow bundle.
 * Tests read these through vitest's inject().
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedHandle } from '../db/embedded';
import { createDatabase } from './support/database';
import { registerSearchAttributes, startDevServer, startTimeSkippingServer, type RunningServer } from '../temporal/devServer';
import { workflowsPath } from '../temporal/client';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/contract';
import { TEST_WORKERS } from '../vitest.config';
import { ensureConsoleBuilt } from '../web/build';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    devServerAddress: string;
    timeSkippingAddresses: string[];
    workflowBundlePath: string;
  }
}

const dataDir = resolve(import.meta.dirname, '..', '.test-data');

export default async function setup(project: TestProject) {
  mkdirSync(dataDir, { recursive: true });
  const t0 = Date.now();
  const stops: Array<() => Promise<unknown>> = [];

  let serverUrl = process.env.DATABASE_URL;
  let embedded: EmbeddedHandle | undefined;
  if (!serverUrl) {
    embedded = await startEmbeddedPostgres(resolve(dataDir, `postgres-${process.pid}`), undefined, { temporary: true });
    serverUrl = embedded.url;
  }
  const database = await createDatabase(serverUrl, 'doorstep_test');
  const databaseUrl = database.url;
  stops.push(async () => {
    await database.drop();
    await embedded?.stop();
  });

  const [, dev, ...timeSkipping] = await Promise.all([
    // The console the browser tests (test/browser) load: web/dist, rebuilt when its sources changed.
    ensureConsoleBuilt((msg) => console.log(msg)),
    startDevServer({ searchAttributes: SEARCH_ATTRIBUTE_KEYS }),
    ...Array.from({ length: TEST_WORKERS }, () => startTimeSkippingServer()),
  ]) as [string, ...RunningServer[]];
  stops.push(dev.stop, ...timeSkipping.map((s) => s.stop));
  await Promise.all(timeSkipping.map((s) => registerSearchAttributes(s.address, 'default', SEARCH_ATTRIBUTE_KEYS)));

  const { code } = await bundleWorkflowCode({ workflowsPath, logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } as never });
  const workflowBundlePath = resolve(dataDir, `workflows-${process.pid}.js`);
  writeFileSync(workflowBundlePath, code);

  project.provide('databaseUrl', databaseUrl);
  project.provide('devServerAddress', dev.address);
  project.provide('timeSkippingAddresses', timeSkipping.map((s) => s.address));
  project.provide('workflowBundlePath', workflowBundlePath);
  console.log(`test environment ready in ${Date.now() - t0} ms (database ${new URL(databaseUrl).pathname.slice(1)}, dev server ${dev.address})`);

  return async () => {
    for (const stop of stops.reverse()) await stop().catch((e) => console.error(e));
  };
}
