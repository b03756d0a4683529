/** The bench's command line. */
import { parseArgs } from 'node:util';

export const BENCHMARKS = ['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7'] as const;
export type BenchId = (typeof BENCHMARKS)[number];

export interface BenchOptions {
  only: BenchId[];
  /** Small counts everywhere: a smoke run of the whole harness (seconds, not minutes). */
  quick: boolean;
  /** Cases in the read model of B3 and B5. */
  cases: number;
  /** Rows of the month's ledger that B4 exports. */
  ledgerRows: number;
  /** Rows of the roster that B6 imports. */
  rosterRows: number;
  /** B1: cases started per phase (API and direct each), split over `rounds`. */
  starts: number;
  /** B2: cases driven to closed per phase. */
  lifecycles: number;
  /** In-flight requests of the load phases. */
  concurrency: number;
  /** Alternating rounds of each load phase (API, reference, API, …): spreads a noisy machine's drift over both. */
  rounds: number;
  /** B3: timed runs of each supervision query. */
  queryRuns: number;
  /** Keep the generated read model as a template database and reuse it on the next run with the same options. */
  reuseData: boolean;
  /** Upper bound of each load phase, ms. */
  phaseMs: number;
  /** Write no results file (the smoke test). */
  noWrite: boolean;
}

const HELP = `npm run bench -- [options]
  --only B1,B3        run only these benchmarks (repeatable; default: all)
  --quick             small counts everywhere (a smoke run)
  --cases N           cases in the B3/B5 read model (default 1000000)
  --ledger-rows N     rows of B4's month ledger (default 100000)
  --roster-rows N     rows of B6's imported roster (default 100000)
  --starts N          B1 cases started per phase (default 600)
  --lifecycles N      B2 cases driven to closed per phase (default 150)
  --concurrency N     requests in flight in B1/B2 (default 16)
  --rounds N          alternating rounds per load phase (default 3)
  --query-runs N      B3 timed runs per query (default 200)
  --reuse-data        cache the generated read model as a template database, reuse it next time
  --phase-ms N        upper bound of one load phase in ms (default 120000)
  --no-write          do not write bench/results/*.json`;

/** Parses argv; throws with the help text on a bad option. */
export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      cases: { type: 'string' },
      'ledger-rows': { type: 'string' },
      'roster-rows': { type: 'string' },
      starts: { type: 'string' },
      lifecycles: { type: 'string' },
      concurrency: { type: 'string' },
      rounds: { type: 'string' },
      'query-runs': { type: 'string' },
      'reuse-data': { type: 'boolean', default: false },
      'phase-ms': { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new Error(HELP);
  const int = (name: string, v: string | undefined, dflt: number, min = 1): number => {
    if (v === undefined) return dflt;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}\n\n${HELP}`);
    return n;
  };
  const only = (values.only ?? []).flatMap((s) => s.split(',')).map((s) => s.trim().toUpperCase()).filter(Boolean);
  for (const id of only) if (!(BENCHMARKS as readonly string[]).includes(id)) throw new Error(`--only: unknown benchmark ${id}\n\n${HELP}`);
  const quick = values.quick;
  return {
    only: only.length ? (only as BenchId[]) : [...BENCHMARKS],
    quick,
    cases: int('cases', values.cases, quick ? 20_000 : 1_000_000),
    ledgerRows: int('ledger-rows', values['ledger-rows'], quick ? 5_000 : 100_000),
    rosterRows: int('roster-rows', values['roster-rows'], quick ? 2_000 : 100_000),
    starts: int('starts', values.starts, quick ? 40 : 600),
    lifecycles: int('lifecycles', values.lifecycles, quick ? 8 : 150),
    concurrency: int('concurrency', values.concurrency, quick ? 4 : 16),
    rounds: int('rounds', values.rounds, quick ? 1 : 3),
    queryRuns: int('query-runs', values['query-runs'], quick ? 20 : 200),
    reuseData: values['reuse-data'],
    phaseMs: int('phase-ms', values['phase-ms'], quick ? 30_000 : 120_000),
    noWrite: values['no-write'],
  };
}
