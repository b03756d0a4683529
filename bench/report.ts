/**
 * The bench's output: one Figure per measured number, printed as a table (figure, value, reference,
 * ratio, target, pass/miss) and written as JSON to bench/results/<timestamp>.json and latest.json.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { round } from './stats';

/**
 * A target: a ratio against the reference (`ratio >= min`), or an absolute bound on the value
 * (`value <= max`, in the figure's unit). Absolute bounds are the issue's own (50 ms, 10 s, 200 MB, 2 s).
 */
export type Target = { kind: 'ratio'; min: number } | { kind: 'max'; max: number } | { kind: 'none' };

export interface Figure {
  id: string;
  name: string;
  value: number;
  unit: string;
  /** The reference measured in the same run (ratio figures). */
  reference?: { name: string; value: number; unit: string };
  ratio?: number;
  target: Target;
  /** null: not measured (see details.error) or no target. */
  pass: boolean | null;
  details?: Record<string, unknown>;
}

/** A ratio figure: value / reference, judged against `min`. */
export function ratioFigure(f: Omit<Figure, 'ratio' | 'pass' | 'target'> & { reference: NonNullable<Figure['reference']>; min: number }): Figure {
  const { min, ...rest } = f;
  const ratio = f.reference.value > 0 ? round(f.value / f.reference.value, 3) : NaN;
  return { ...rest, ratio, target: { kind: 'ratio', min }, pass: Number.isFinite(ratio) ? ratio >= min : null };
}

/** An absolute figure: value judged against `max`. */
export function boundFigure(f: Omit<Figure, 'pass' | 'target'> & { max: number }): Figure {
  const { max, ...rest } = f;
  return { ...rest, target: { kind: 'max', max }, pass: Number.isFinite(f.value) ? f.value <= max : null };
}

/** A figure reported for context only (no target). */
export function infoFigure(f: Omit<Figure, 'pass' | 'target'>): Figure {
  return { ...f, target: { kind: 'none' }, pass: null };
}

/** A figure that could not be measured (its code has not landed, or it failed): reported as such, never as a pass. */
export function missingFigure(id: string, name: string, target: Target, unit: string, why: string): Figure {
  return { id, name, value: NaN, unit, target, pass: null, details: { error: why } };
}

const fmt = (x: number | undefined, unit = ''): string => {
  if (x === undefined) return '';
  if (!Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  const v = a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 0.1 || a === 0 ? x.toFixed(2) : x.toPrecision(2);
  return unit ? `${v} ${unit}` : v;
};

function targetText(f: Figure): string {
  if (f.target.kind === 'ratio') return `ratio ≥ ${f.target.min}`;
  if (f.target.kind === 'max') return `≤ ${fmt(f.target.max, f.unit)}`;
  return '';
}

/** The rows of the table, as strings. */
export function tableRows(figures: Figure[]): string[][] {
  return figures.map((f) => [
    `${f.id} ${f.name}`,
    fmt(f.value, f.unit),
    f.reference ? `${fmt(f.reference.value, f.reference.unit)} (${f.reference.name})` : '',
    f.ratio === undefined ? '' : fmt(f.ratio),
    targetText(f),
    f.pass === null ? (f.details?.error ? 'n/a' : '') : f.pass ? 'pass' : 'MISS',
  ]);
}

const HEADER = ['figure', 'value', 'reference', 'ratio', 'target', 'pass/miss'];

/** The table for a terminal. */
export function formatTable(figures: Figure[]): string {
  const rows = [HEADER, ...tableRows(figures)];
  const width = (s: string) => [...s].reduce((w, ch) => w + (/[\u1100-\uffff]/.test(ch) ? 2 : 1), 0);
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => width(r[i]))));
  const line = (r: string[]) => r.map((c, i) => c + ' '.repeat(widths[i] - width(c))).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The table as GitHub markdown (for README.md). */
export function markdownTable(figures: Figure[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---').join('|')}|`,
    ...tableRows(figures).map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** What the figures ran on. */
export function machineInfo(): Record<string, unknown> {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch { /* not Linux */ }
  let nproc = cpus().length;
  try { nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc; } catch { /* no nproc */ }
  return {
    nproc,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    freeMemoryGiB: round(freemem() / 2 ** 30, 1),
    cpuModel,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg().map((x) => round(x, 2)),
  };
}

/** The commit the bench ran on, and whether the tree had uncommitted changes. */
export function gitInfo(): { commit: string; dirty: boolean } | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim().length > 0;
    return { commit, dirty };
  } catch {
    return undefined;
  }
}

export const resultsDir = resolve(import.meta.dirname, 'results');

/** Writes the run to results/<timestamp>.json and results/latest.json; returns the timestamped path. */
export function writeResults(run: Record<string, unknown>, startedAt: Date): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = resolve(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(run, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  copyFileSync(file, resolve(resultsDir, 'latest.json'));
  return file;
}
