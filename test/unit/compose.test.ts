import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_KEYS, configSchema } from '../../config';

const root = resolve(import.meta.dirname, '..', '..');
const compose = parse(readFileSync(resolve(root, 'docker-compose.yml'), 'utf8'), { merge: true });

describe('docker-compose.yml agrees with the app configuration', () => {
  it('describes postgres, Temporal (server and its setup jobs), its UI, two API replicas behind a proxy, the worker, MinIO, prometheus and grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'api-1', 'api-2', 'grafana', 'minio', 'minio-bucket', 'postgres', 'prometheus', 'proxy',
      'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui', 'worker',
    ]);
  });

  for (const name of ['api-1', 'api-2', 'worker']) {
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
      // Everything it needs is there: its database, Temporal, the keys, and the evidence bucket in MinIO.
      expect(parsed.data).toMatchObject({ TEMPORAL_NAMESPACE: 'default', EVIDENCE_STORE: 's3', S3_ENDPOINT: 'http://minio:9000', S3_FORCE_PATH_STYLE: true });
      for (const key of ['PAYLOAD_KEYS', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const) expect(parsed.data?.[key], key).toBeTruthy();
      expect(new URL(parsed.data!.S3_ENDPOINT!).hostname).toBe('minio');
      // Docker waits for stop_grace_period before it kills: the drain's bound must be shorter.
      const grace = Number(/^(\d+)s$/.exec(compose.services[name].stop_grace_period)?.[1]) * 1000;
      expect(parsed.data!.SHUTDOWN_TIMEOUT_MS).toBeLessThan(grace);
      // It starts after the schema, the namespace and the bucket exist.
      expect(compose.services[name].depends_on).toMatchObject({
        postgres: { condition: 'service_healthy' },
        'temporal-namespace': { condition: 'service_completed_successfully' },
        'minio-bucket': { condition: 'service_completed_successfully' },
      });
    });
  }

  it('the API and worker run compiled entry points of the build (plain node, no tsx), on the same task queue', () => {
    const build = readFileSync(resolve(root, 'bin/build.ts'), 'utf8');
    for (const [service, name] of [['api-1', 'api'], ['api-2', 'api'], ['worker', 'worker']]) {
      const cmd = compose.services[service].command as string[];
      expect(cmd[0]).toBe('node');
      expect(cmd.at(-1)).toBe(`dist/bin/${name}.js`);
      // Between them only node's own flags (no loader: no --import tsx).
      for (const flag of cmd.slice(1, -1)) expect(flag).toMatch(/^--(max-old-space-size|max-semi-space-size)=\d+$/);
      expect(build).toContain(`'bin/${name}.ts'`);
      expect(existsSync(resolve(root, `bin/${name}.ts`))).toBe(true);
      expect(compose.services[service].environment.TEMPORAL_TASK_QUEUE).toBe('doorstep');
    }
    const dockerfile = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).not.toMatch(/--import[ ",]+tsx/);
    // The image's default command is the API as compose runs it.
    expect(dockerfile).toContain(`CMD ${JSON.stringify(compose.services['api-1'].command).replace(/","/g, '", "')}`);
  });

  it('the Temporal UI points at the codec endpoint the API serves and at the Temporal frontend', () => {
    const ui = compose.services['temporal-ui'].environment;
    expect(ui.TEMPORAL_ADDRESS).toBe(compose.services['api-1'].environment.TEMPORAL_ADDRESS);
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
    expect(configOf('api-1').METRICS_HOST).toBe('0.0.0.0');
    expect(job('doorstep-api')).toMatchObject({ names: ['api-1', 'api-2'], port: configOf('api-1').METRICS_PORT });
    expect(job('doorstep-worker')).toMatchObject({ names: ['worker'], port: configOf('worker').TEMPORAL_METRICS_PORT });
    // The metrics ports are never published.
    for (const s of ['api-1', 'api-2', 'worker']) {
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

describe('docker-compose.yml: past one machine', () => {
  const caddyfile = readFileSync(resolve(root, 'deploy/Caddyfile'), 'utf8');
  const published = (service: string) => ((compose.services[service].ports ?? []) as string[]).map((p) => String(p));
  const hostPort = (p: string) => p.split(':').at(-2);

  it('only the proxy publishes the API port; the replicas publish nothing', () => {
    expect(published('proxy')).toEqual(['3000:3000']);
    for (const name of ['api-1', 'api-2', 'worker']) expect(published(name), name).toEqual([]);
    const apiPort = compose.services['api-1'].environment.API_PORT;
    const others = Object.keys(compose.services).filter((s) => s !== 'proxy').flatMap((s) => published(s).map(hostPort));
    expect(others).not.toContain(apiPort);
  });

  it("the proxy's upstreams are the replicas' service names and API port, with active health checks", () => {
    const upstreams = /reverse_proxy\s+([^{]+)\{/.exec(caddyfile)![1].trim().split(/\s+/);
    const replicas = Object.keys(compose.services).filter((s) => (compose.services[s].command as string[] | undefined)?.includes('dist/bin/api.js'));
    expect(replicas.sort()).toEqual(['api-1', 'api-2']);
    expect(upstreams.sort()).toEqual(replicas.map((r) => `${r}:${compose.services[r].environment.API_PORT}`));
    expect(caddyfile).toMatch(/health_uri \/(healthz|readyz)/);
    expect(caddyfile).toMatch(/health_interval \d+s/);
    expect(caddyfile).toMatch(new RegExp(`^:${published('proxy')[0].split(':').at(-1)} \\{`, 'm'));
    const mount = (compose.services.proxy.volumes as string[]).find((v) => v.startsWith('./deploy/Caddyfile:'));
    expect(mount).toBe('./deploy/Caddyfile:/etc/caddy/Caddyfile:ro');
    // The replicas trust the proxy's X-Forwarded-For (rate limits per client address).
    for (const r of replicas) expect(compose.services[r].environment.TRUST_PROXY).toBe('true');
  });

  it('Temporal: the server image (pinned), no deprecated auto-setup, schema and namespace set up by admin-tools jobs in order', () => {
    for (const [name, s] of Object.entries(compose.services as Record<string, { image?: string }>)) {
      expect(s.image ?? '', name).not.toMatch(/auto-setup/);
      if (s.image) expect(s.image, name).toMatch(/:[\w.-]+$/);
      if (s.image) expect(s.image, name).not.toMatch(/:latest$/);
    }
    expect(compose.services.temporal.image).toMatch(/^temporalio\/server:\d+\.\d+\.\d+$/);
    const version = compose.services.temporal.image.split(':')[1];
    for (const job of ['temporal-schema', 'temporal-namespace']) {
      expect(compose.services[job].image).toMatch(new RegExp(`^temporalio/admin-tools:${version.replace(/\./g, '\\.')}\\b`));
      const script = (compose.services[job].entrypoint as string[]).at(-1)!.replace('/scripts/', 'deploy/temporal/');
      expect(existsSync(resolve(root, script)), script).toBe(true);
    }
    expect(compose.services['temporal-schema'].depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(compose.services.temporal.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(compose.services['temporal-namespace'].depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(readFileSync(resolve(root, 'deploy/temporal/setup-schema.sh'), 'utf8')).toMatch(/temporal-sql-tool .*update-schema|update-schema/);
  });

  it('the namespace job registers every search attribute the workflows use, with its type', async () => {
    const { SEARCH_ATTRIBUTE_KEYS } = await import('../../workflows/contract');
    const script = readFileSync(resolve(root, 'deploy/temporal/setup-namespace.sh'), 'utf8');
    const cliType: Record<string, string> = { KEYWORD: 'Keyword', DATETIME: 'Datetime', BOOL: 'Bool', INT: 'Int', DOUBLE: 'Double', TEXT: 'Text', KEYWORD_LIST: 'KeywordList' };
    const added = [...script.matchAll(/^add (\w+) (\w+)$/gm)].map((m) => `${m[1]}:${m[2]}`).sort();
    expect(added).toEqual(SEARCH_ATTRIBUTE_KEYS.map((k) => `${k.name}:${cliType[k.type]}`).sort());
    expect(script).toContain(`--namespace "$NS"`);
    expect(compose.services['temporal-namespace'].environment.TEMPORAL_NAMESPACE).toBe(compose['x-app-env'].TEMPORAL_NAMESPACE);
  });

  it('MinIO holds the evidence: the bucket job creates the bucket the app uses, with the same credentials', () => {
    const app = compose['x-app-env'] as Record<string, string>;
    const job = compose.services['minio-bucket'];
    expect(job.depends_on).toEqual({ minio: { condition: 'service_healthy' } });
    expect((job.entrypoint as string[]).join(' ')).toContain(`mc mb --ignore-existing doorstep/${app.S3_BUCKET}`);
    expect(compose.services.minio.environment.MINIO_ROOT_USER).toBe(app.S3_ACCESS_KEY_ID);
    expect(compose.services.minio.environment.MINIO_ROOT_PASSWORD).toBe(app.S3_SECRET_ACCESS_KEY);
    expect(published('minio').every((p) => p.startsWith('127.0.0.1:'))).toBe(true);
    // No service keeps evidence in a local folder any more.
    for (const name of ['api-1', 'api-2', 'worker']) expect(compose.services[name].environment.FILES_DIR, name).toBeUndefined();
  });
});
