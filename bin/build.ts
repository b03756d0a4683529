/**
 * `npm run build [-- OUT_DIR]`: the production build, into dist/ (or OUT_DIR).
 *
 * - The processes (bin/api, bin/worker, bin/migrate, bin/admin), each bundled by esbuild into one ES
 *   module under OUT_DIR/bin/ with the npm packages left external (they come from node_modules).
 * - The project's own `import.meta.url` / `import.meta.dirname` are rewritten to the place the file
 *   has in the source tree, mirrored under OUT_DIR, so `db/migrate.ts` finds OUT_DIR/db/migrations
 *   (copied here) and the worker finds OUT_DIR/workflows*.bundle.js.
 * - The Temporal workflow code, bundled once: OUT_DIR/workflows.bundle.js, and
 *   OUT_DIR/workflows-traced.bundle.js with the OpenTelemetry workflow interceptors.
 * - The browser console (web/, Vite) into OUT_DIR/web/dist, where the compiled API serves it from
 *   (api/console.ts DEFAULT_CONSOLE_DIR, mirrored like every import.meta.dirname).
 *
 * Run: `node dist/bin/api.js`, `node dist/bin/worker.js` (no tsx, no TypeScript at run time).
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from '../temporal/client';
import { buildConsole } from '../web/build';
import { WORKFLOW_INTERCEPTORS } from '../temporal/telemetry';

const root = resolve(import.meta.dirname, '..');
const ENTRY_POINTS = ['bin/api.ts', 'bin/worker.ts', 'bin/migrate.ts', 'bin/admin.ts'];

/** Rewrites `import.meta.url` / `.dirname` in the project's files to their mirrored place under OUT_DIR. */
const sourcePlaces: Plugin = {
  name: 'source-places',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const rel = relative(root, args.path);
      const contents = readFileSync(args.path, 'utf8')
        .replaceAll('import.meta.dirname', `__sourceDir(${JSON.stringify(dirname(rel))})`)
        .replaceAll('import.meta.url', `__sourceUrl(${JSON.stringify(rel)})`);
      return { contents, loader: 'ts' };
    });
  },
};

// Every entry point lives in OUT_DIR/bin, so OUT_DIR is one level up from the running file.
const banner = [
  "import { fileURLToPath as __fileURLToPath, pathToFileURL as __pathToFileURL } from 'node:url';",
  "import { dirname as __dirnameOf, resolve as __resolvePath } from 'node:path';",
  "const __outRoot = __resolvePath(__dirnameOf(__fileURLToPath(import.meta.url)), '..');",
  'const __sourceDir = (dir) => __resolvePath(__outRoot, dir);',
  'const __sourceUrl = (file) => __pathToFileURL(__resolvePath(__outRoot, file)).href;',
].join('\n');

/**
 * Compiles `entryPoints` (paths from the project root) into OUT_DIR/bin/<name>.js, copies the migrations,
 * and, unless `workflows` is false, writes the two prebuilt workflow bundles. B4 (bench/b4Export.ts)
 * compiles its export child this way, to measure the process as production runs it.
 */
export async function compile(opts: { outDir: string; entryPoints?: string[]; workflows?: boolean }): Promise<void> {
  const outDir = resolve(opts.outDir);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    absWorkingDir: root,
    // Every entry point lands in OUT_DIR/bin (the banner counts on it), wherever its source is.
    entryPoints: (opts.entryPoints ?? ENTRY_POINTS).map((e) => ({ in: e, out: basename(e, '.ts') })),
    outdir: resolve(outDir, 'bin'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    banner: { js: banner },
    plugins: [sourcePlaces],
    logLevel: 'warning',
  });
  cpSync(resolve(root, 'db/migrations'), resolve(outDir, 'db/migrations'), { recursive: true });
  writeFileSync(resolve(outDir, 'package.json'), `${JSON.stringify({ type: 'module', private: true }, null, 2)}\n`);
  if (opts.workflows === false) return;
  const quiet = { info() {}, warn: console.warn, error: console.error, debug() {}, trace() {}, log() {} } as never;
  const plain = await bundleWorkflowCode({ workflowsPath, logger: quiet });
  writeFileSync(resolve(outDir, 'workflows.bundle.js'), plain.code);
  const traced = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: [WORKFLOW_INTERCEPTORS], logger: quiet });
  writeFileSync(resolve(outDir, 'workflows-traced.bundle.js'), traced.code);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outDir = resolve(process.argv[2] ?? resolve(root, 'dist'));
  const t0 = Date.now();
  await compile({ outDir });
  await buildConsole(resolve(outDir, 'web', 'dist'));
  console.log(`build: ${relative(process.cwd(), outDir) || '.'} in ${Date.now() - t0} ms`);
}
