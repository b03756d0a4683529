import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_KEYS, configSchema } from '../../config';

const root = resolve(import.meta.dirname, '..', '..');
const compose = parse(readFileSync(resolve(root, 'docker-compose.yml'), 'utf8'), { merge: true });

describe('docker-compose.yml agrees with the app configuration', () => {
  it('describes postgres, temporal, temporal-ui, api and worker, prometheus and grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'grafana', 'postgres', 'prometheus', 'temporal', 'temporal-ui', 'worker']);
  });

  for (const name of ['api', 'worker']) {
    it(`${name}: every variable it sets is one the app reads, and the values pass the config schema`, () => {
      const env = compose.services[name].environment as Record<string, string>;
      const unknown = Object.keys(env).filter((k) => !(CONFIG_KEYS as string[]).includes(k));
      expect(unknown).toEqual([]);
      // Substitute the ${VAR:?…} placeholders as an operator would, then validate.
      const filled = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)
        .replace(/\$\{POSTGRES_PASSWORD[^}]*\}/g, 'secret')
        .replace(/\$\{PAYLOAD_KEYS[^}]*\}/g, `k1:${Buffer.alloc(32, 7).toString('base64')}`)
        .replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));
      const parsed = configSchema.safeParse(filled);
      expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
      expect(parsed.data?.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(parsed.data?.DATABASE_URL).toContain('@postgres:5432/doorstep');
    });
  }

  it('the API and worker run compiled entry points of the build (plain node, no tsx), on the same task queue', () => {
    const build = readFileSync(resolve(root, 'bin/build.ts'), 'utf8');
    for (const name of ['api', 'worker']) {
      const cmd = compose.services[name].command as string[];
      expect(cmd).toEqual(['node', `dist/bin/${name}.js`]);
      expect(build).toContain(`'bin/${name}.ts'`);
      expect(existsSync(resolve(root, `bin/${name}.ts`))).toBe(true);
      expect(compose.services[name].environment.TEMPORAL_TASK_QUEUE).toBe('doorstep');
    }
    const dockerfile = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).not.toMatch(/--import[ ",]+tsx/);
    expect(dockerfile).toMatch(/CMD \["node", "dist\/bin\/api.js"\]/);
  });

  it('the Temporal UI points at the codec endpoint the API serves and at the Temporal frontend', () => {
    const ui = compose.services['temporal-ui'].environment;
    expect(ui.TEMPORAL_ADDRESS).toBe(compose.services.api.environment.TEMPORAL_ADDRESS);
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toMatch(/\/codec$/);
  });
});

describe('docker-compose.yml: Prometheus and Grafana', () => {
  const prometheus = parse(readFileSync(resolve(root, 'deploy/prometheus/prometheus.yml'), 'utf8'));
  const alerts = parse(readFileSync(resolve(root, 'deploy/prometheus/alerts.yml'), 'utf8'));
  const mounts = (service: string) => (compose.services[service].volumes as string[])
    .filter((v) => v.startsWith('./')).map((v) => { const [from, to] = v.split(':'); return { from: resolve(root, from), to }; });

  it('mounts configuration files and folders that exist', () => {
    for (const service of ['prometheus', 'grafana']) {
      const m = mounts(service);
      expect(m.length).toBeGreaterThan(0);
      for (const { from } of m) expect(existsSync(from), from).toBe(true);
    }
  });

  it('Prometheus scrapes every API and worker replica on the metrics ports they listen on, and loads the alert rules', () => {
    const env = (s: string) => ({ ...compose['x-app-env'], ...compose.services[s].environment }) as Record<string, string>;
    const configOf = (s: string) => configSchema.parse(Object.fromEntries(Object.entries(env(s)).map(([k, v]) => [k, String(v).replace(/\$\{[^}]*\}/g, '')]).filter(([k]) => ['METRICS_HOST', 'METRICS_PORT', 'TEMPORAL_METRICS_PORT'].includes(k))));
    const job = (name: string) => (prometheus.scrape_configs as Array<{ job_name: string; dns_sd_configs: Array<{ names: string[]; port: number }> }>).find((j) => j.job_name === name)!.dns_sd_configs[0];
    expect(configOf('api').METRICS_HOST).toBe('0.0.0.0');
    expect(job('doorstep-api')).toMatchObject({ names: ['api'], port: configOf('api').METRICS_PORT });
    expect(job('doorstep-worker')).toMatchObject({ names: ['worker'], port: configOf('worker').TEMPORAL_METRICS_PORT });
    // The metrics ports are never published.
    for (const s of ['api', 'worker']) {
      for (const p of (compose.services[s].ports ?? []) as string[]) expect(p).not.toMatch(/946[45]/);
    }
    const ruleTargets = mounts('prometheus').map((m) => m.to);
    for (const file of prometheus.rule_files as string[]) expect(ruleTargets).toContain(file);
  });

  it('alert rules cover an overdue surge, failing workflows, projection lag, a schedule that did not run and a worker with no pollers', () => {
    const rules = (alerts.groups as Array<{ rules: Array<{ alert: string; expr: string; annotations: { summary: string; description: string } }> }>).flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining([
      'DoorstepOverdueSurge', 'DoorstepWorkflowTasksFailing', 'DoorstepProjectionLag', 'DoorstepScheduleDidNotRun', 'DoorstepWorkerNoPollers',
    ]));
    for (const r of rules) {
      expect(r.annotations.summary, r.alert).toBeTruthy();
      expect(r.annotations.description, r.alert).toBeTruthy();
    }
  });

  it('Grafana provisions the Prometheus data source and the dashboard folder it is mounted from', () => {
    const ds = parse(readFileSync(resolve(root, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8'));
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090' });
    const provider = parse(readFileSync(resolve(root, 'deploy/grafana/provisioning/dashboards/doorstep.yml'), 'utf8')).providers[0];
    const dashboardsMount = mounts('grafana').find((m) => m.to === provider.options.path)!;
    expect(dashboardsMount).toBeDefined();
    const dashboard = JSON.parse(readFileSync(resolve(dashboardsMount.from, 'doorstep.json'), 'utf8'));
    expect(dashboard.uid).toBe('doorstep');
    for (const p of dashboard.panels.filter((x: { type: string }) => x.type !== 'row')) expect(p.datasource.uid).toBe('prometheus');
  });
});
