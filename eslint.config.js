// Lint rules. Workflow files run in Temporal's deterministic sandbox: no Node built-ins,
// no I/O, no wall clock, no floating promises (a dropped promise is a lost step).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises',
  'http', 'http2', 'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers',
  'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.data/**', '.test-data/**', 'db/migrations/**', 'web/vendor/**', 'web/dist/**', 'web/src/api/schema.d.ts', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['web/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The console (web/src, its own web/tsconfig.json): browser code.
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The workflow sandbox: deterministic code only.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: 'Workflow code must not use Node built-ins (Temporal sandbox).' })),
        patterns: [
          { group: ['../activities/*', '../db/*', '../api/*', '../bin/*', 'postgres', 'drizzle-orm', 'drizzle-orm/*', 'fastify'], message: 'Workflow code may import only domain/, workflows/ and @temporalio/workflow.' },
          { group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing'], message: 'Workflow code may import only @temporalio/workflow.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'No process in workflow code.' },
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'fetch', message: 'No I/O in workflow code.' },
      ],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Use workflow time (Date in the sandbox is deterministic, but say so explicitly via workflowInfo or domain helpers).' },
        { object: 'Math', property: 'random', message: 'Use uuid4() / the workflow random from @temporalio/workflow.' },
      ],
    },
  },
  {
    // domain/ is pure: no I/O, no clock.
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.flatMap((m) => [m, `node:${m}`]),
        patterns: ['../db/*', '../api/*', '../activities/*', '../workflows/*', '@temporalio/*', 'postgres', 'drizzle-orm'],
      }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'domain/ takes the time as an argument.' },
        { object: 'Math', property: 'random', message: 'domain/ is deterministic.' },
      ],
    },
  },
);
