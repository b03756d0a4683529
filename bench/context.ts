/** What every benchmark receives from the runner. */
import type { BenchOptions } from './options';
import type { PgServer, Stack } from './env';
import type { Figure } from './report';

export interface BenchContext {
  opts: BenchOptions;
  /** The PostgreSQL server (B3–B5 create their read-model database on it). */
  server: PgServer;
  /** Starts (once) and returns the API + worker + dev server stack of B1/B2. */
  stack: () => Promise<Stack>;
  /** A unique id of this run, usable in database names. */
  runId: string;
  log: (line: string) => void;
  /** Registers a cleanup to run when the run ends (before the stack and the server stop). */
  atEnd: (fn: () => Promise<void>) => void;
  /** Things the report should say (skips, caveats). */
  note: (line: string) => void;
}

export type Benchmark = (ctx: BenchContext) => Promise<Figure[]>;
