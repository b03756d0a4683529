/**
 * Every metric the Grafana dashboard and the Prometheus alert rules in deploy/ use is one the app
 * exports: checked against real scrapes of the API's /metrics and of the worker's Temporal SDK
 * /metrics (the exporter test/setup.ts installs the way bin/worker does), after a case opened with
 * one failed projection attempt, so the failure counters exist too.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createActivities } from '../../activities';
import { buildMetricsServer } from '../../api/metrics';
import { startStack, type TestStack } from '../support/env';
import { eventually } from '../support/eventually';
import { makeSubject, makeUser } from '../support/fixtures';
import { runtimeLogs, temporalMetrics } from '../support/logs';
import { metricNamesIn } from '../support/promql';

const root = resolve(import.meta.dirname, '..', '..');
let stack: TestStack;
let exported: Set<string>;

/**
 * The metric names a Prometheus text exposition exports: every sample's name, and every family it
 * declares (`# TYPE`; a histogram's `_bucket`, `_sum` and `_count` too), even one with no sample yet.
 */
function exportedNames(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) names.push(type[1], ...(type[2] === 'histogram' || type[2] === 'summary' ? ['_bucket', '_sum', '_count'].map((x) => type[1] + x) : []));
    else if (line && !line.startsWith('#')) names.push(/^[a-zA-Z_:][\w:]*/.exec(line)![0]);
  }
  return names;
}

/** Series Prometheus makes itself for every target. */
const PROMETHEUS_OWN = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

beforeAll(async () => {
  // The failures below are on purpose: keep their warnings off the console.
  runtimeLogs.echoFromLevel = Infinity;
  let failed = false;
  let sharingFailed = false;
  stack = await startStack({}, {
    projectCaseEvents: async (input) => {
      if (!failed) {
        failed = true;
        throw new Error('injected projection failure');
      }
      return createActivities({ db: stack.db }).projectCaseEvents(input);
    },
    // A regular activity that fails once too (the projection is a local activity, counted apart).
    shareLedgerMonth: async (input) => {
      if (!sharingFailed) {
        sharingFailed = true;
        throw new Error('injected sharing failure');
      }
      return createActivities({ db: stack.db }).shareLedgerMonth(input);
    },
  });
  const coordinator = await makeUser(stack.db, 'coordinator', { cityLevel: true });
  const subject = await makeSubject(stack.db, { county: '640106' });
  const opened = await stack.app.inject({ method: 'POST', url: '/v1/cases', headers: coordinator.auth, payload: { subjectId: subject.id, itemCode: 'DISABILITY_CERT', actionCode: 'RENEW' } });
  expect(opened.statusCode).toBe(201);
  await stack.client.workflow.execute('shareMonthlyLedgers', { taskQueue: stack.config.TEMPORAL_TASK_QUEUE, workflowId: `share-${randomUUID()}`, args: [{ month: '2019-01' }] });
  // A workflow task that fails (its type is unknown to the worker), for the failing-workflow counters.
  const broken = await stack.client.workflow.start('noSuchWorkflow', { taskQueue: stack.config.TEMPORAL_TASK_QUEUE, workflowId: `broken-${randomUUID()}` });
  const server = await buildMetricsServer(stack.app.metrics);
  const api = (await server.inject({ url: '/metrics' })).body;
  await server.close();
  const sdk = await eventually(async () => {
    const text = await (await fetch(`http://127.0.0.1:${temporalMetrics.port}/metrics`)).text();
    return /^temporal_activity_execution_failed\{/m.test(text) && /^temporal_local_activity_execution_failed\{/m.test(text) && /^temporal_workflow_task_execution_failed\{/m.test(text) ? text : undefined;
  });
  await broken.terminate('test over');
  exported = new Set([...exportedNames(api), ...exportedNames(sdk)]);
}, 120_000);
afterAll(async () => {
  await stack?.close();
  runtimeLogs.echoFromLevel = 40;
});

describe('deploy/ uses only metrics the app exports', () => {
  const alerts = parse(readFileSync(resolve(root, 'deploy/prometheus/alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  const dashboard = JSON.parse(readFileSync(resolve(root, 'deploy/grafana/dashboards/doorstep.json'), 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
  const unknown = (exprs: string[]) => [...new Set(exprs.flatMap(metricNamesIn))].filter((n) => !exported.has(n) && !PROMETHEUS_OWN.has(n)).sort();

  it('the scrapes hold the HTTP, business and Temporal SDK metrics', () => {
    for (const name of ['doorstep_http_requests_total', 'doorstep_cases_overdue', 'doorstep_schedule_next_run_timestamp_seconds', 'temporal_num_pollers', 'temporal_workflow_task_execution_latency_bucket']) {
      expect(exported.has(name), name).toBe(true);
    }
  });

  it('every alert rule', () => {
    const exprs = alerts.groups.flatMap((g) => g.rules.map((r) => r.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(5);
    expect(unknown(exprs)).toEqual([]);
  });

  it('every dashboard panel', () => {
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    expect(unknown(exprs)).toEqual([]);
  });
});
