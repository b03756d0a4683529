/**
 * `npm run chaos [-- --cases 1000 --plans 100 --users 12 --rounds 3 --power-cuts 2 --seed 1 --keep]`:
 * the fault-injection suite (bench/chaos.ts). Prints the table and writes the report as JSON next to the
 * bench results (bench/results/chaos-<time>.json and chaos-latest.json). Exit 1 when an invariant broke.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chaosResultsDir, chaosTable, runChaos } from './chaos';
import { gitInfo, machineInfo } from './report';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000' },
    plans: { type: 'string', default: '100' },
    users: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '3' },
    'power-cuts': { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const startedAt = new Date();
const machineBefore = machineInfo();
const report = await runChaos({
  cases: Number(values.cases), plans: Number(values.plans), users: Number(values.users), rounds: Number(values.rounds),
  powerCuts: Number(values['power-cuts']), seed: Number(values.seed), keep: values.keep, log: (m) => console.log(m),
});
console.log(`\n${chaosTable(report)}\n`);
console.log(`cases ${report.cases}, plans ${report.plans}; wrong state ${report.wrongState}, not applied exactly once ${report.notAppliedOnce}, refused ${report.refused}, unanswered ${report.unanswered}, crashes ${report.crashes} (and ${report.driverCrashes} of the postgres.js nextWrite bug, restarted), 500s ${report.answered500} (5xx ${report.answered5xx}); API killed with ${report.inFlightAtApiKill} requests in flight; ${report.terminatedBackends} backends terminated; ${report.seconds} s`);
for (const p of report.problems) console.log(`  ! ${p}`);
mkdirSync(chaosResultsDir, { recursive: true });
const file = resolve(chaosResultsDir, `chaos-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), git: gitInfo(), machine: { ...machineBefore, loadAverageAtEnd: machineInfo().loadAverage }, report }, null, 2)}\n`);
copyFileSync(file, resolve(chaosResultsDir, 'chaos-latest.json'));
console.log(`written ${file}`);
const broken = report.lost + report.duplicated + report.mismatches + report.wrongState + report.notAppliedOnce + report.unanswered + report.answered500 + report.crashes;
process.exit(broken > 0 ? 1 : 0);
