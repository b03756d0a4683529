/**
 * The bench runner works: a tiny --quick run of the read-side benchmarks (B3 supervision, B5
 * statistics) on a generated read model prints figures with targets, shows the overdue page's index
 * in its EXPLAIN plan, and drops the databases it made. No speed is asserted here: speed targets
 * live in bench/ only (`npm run bench`).
 */
import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { formatTable, markdownTable } from '../../bench/report';
import { runBench } from '../../bench/run';

describe('bench runner (--quick smoke run)', () => {
  it('measures B3 and B5 on a generated read model, reports every figure with its target, and cleans up', async () => {
    const lines: string[] = [];
    const result = await runBench(
      ['--quick', '--only', 'B3,B5', '--cases', '200', '--ledger-rows', '50', '--query-runs', '2', '--no-write'],
      (l) => lines.push(l),
      { databaseUrl: inject('databaseUrl') },
    );
    expect(result.notes).toEqual([]);
    expect(result.file).toBeUndefined();
    const ids = new Set(result.figures.map((f) => f.id));
    expect([...ids]).toEqual(['B3', 'B5']);
    for (const f of result.figures) {
      expect(Number.isFinite(f.value), `${f.id} ${f.name}`).toBe(true);
      if (f.target.kind !== 'none') expect(typeof f.pass, `${f.id} ${f.name}`).toBe('boolean');
    }
    const overdue = result.figures.find((f) => f.name.startsWith('overdue page p99, city'))!;
    expect(overdue.target).toEqual({ kind: 'max', max: 50 });
    expect(overdue.details?.usesIndex).toBe(true);
    expect(String(overdue.details?.explain)).toMatch(/cases_open_due_idx/);
    const stats = result.figures.find((f) => f.id === 'B5' && f.target.kind === 'max')!;
    expect(stats.target).toEqual({ kind: 'max', max: 0.5 }); // issue 15 point 8
    expect((stats.details?.totals as { casesOpened: number }).casesOpened).toBeGreaterThan(0);
    // The first request counts the ended quarter and stores it; the recount is reported beside the stored reads.
    expect(result.figures.filter((f) => f.id === 'B5').map((f) => f.name)).toEqual(expect.arrayContaining([
      expect.stringContaining('first request'), expect.stringContaining('recount of the quarter'),
    ]));

    const table = formatTable(result.figures);
    expect(table.split('\n')[0]).toMatch(/^figure\s+value\s+reference\s+ratio\s+target\s+pass\/miss$/);
    expect(markdownTable(result.figures).split('\n')).toHaveLength(result.figures.length + 2);

    const admin = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} });
    try {
      const left = await admin`select datname from pg_database where datname like ${`%${result.runId}%`}`;
      expect(left).toEqual([]);
    } finally {
      await admin.end();
    }
  });
});
