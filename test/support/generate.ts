/**
 * A generator of realistic read-model data: users (staff per county department), subjects with valid
 * ID numbers, one-off cases with their whole case_events timeline (steps with catalog deadlines in
 * working days, late steps with `overdue` + `escalated` events, rejections, cancellations, cases still
 * open at `now`), ongoing plans with monthly plan_periods, and the ledger rows of finished cases and
 * checked periods — written straight into PostgreSQL with COPY, in chunks, so a million cases fit.
 *
 * Deterministic: the same options give the same data (seeded PRNG; ids carry `prefix`). The event
 * types and data follow workflows/serviceCase.ts, so supervision and statistics read generated and
 * real cases alike. Used by the supervision/ledger/report tests (which recount from the returned
 * events) and by the benchmarks (`seedReadModel(db, { cases: 1_000_000, keep: false })`).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db } from '../../db/client';
import { addDaysToDate, addWorkingDays as addWorkingDaysSlow, monthOf, monthRange, shanghaiDate, startOfShanghaiDay } from '../../domain/calendar';
import { CATALOG, CATALOG_VERSION, oneOffActions, stepDeadline } from '../../domain/catalog';
import type { DeliveryMethod } from '../../domain/vocabulary';
import { makeCertificateNumber, type DisabilityCategory, type DisabilityGrade } from '../../domain/certificateNumber';
import { COUNTY_CODES, LEADERSHIP_OFFICE } from '../../domain/counties';
import { DEPARTMENT_CODES } from '../../domain/departments';
import { makeIdNumber } from '../../domain/idNumber';
import { caseLedgerRow, ledgerEntryId, planPeriodLedgerRow } from '../../activities/ledger';
import type { LedgerRow } from '../../domain/ledger';

export interface GenerateOptions {
  /** PRNG seed; also spaces ID numbers apart, so two generations with different seeds never collide. */
  seed: number;
  /** Number of one-off cases. */
  cases: number;
  /** Number of ongoing plans (items 5, 6, 7, 11, 12), each with its monthly periods up to `now`. */
  plans?: number;
  /** Cases open between `from` and `now`; nothing happens after `now`. */
  from: Date;
  now: Date;
  /** Restrict to these counties / departments (default: all six counties, all departments). */
  counties?: readonly string[];
  departments?: readonly string[];
  /** Prefix of every generated id (default `g<seed>`). */
  prefix?: string;
  /** Write ledger rows for finished cases and checked periods (default true). */
  ledger?: boolean;
  /** Cases per COPY chunk (default 10,000). */
  chunkSize?: number;
  /** Share of steps that run past their deadline (default 0.15). */
  lateRate?: number;
}

export interface GenUser { id: string; username: string; displayName: string; role: string; counties: string[]; departments: string[] }
export interface GenSubject {
  id: string; idNumber: string; name: string; sex: 'male' | 'female'; birthDate: string; county: string; township: string; community: string;
  certificateNumber: string; disabilityCategory: DisabilityCategory; disabilityGrade: DisabilityGrade;
}
export interface GenCase {
  id: string; subjectId: string; itemCode: string; actionCode: string; county: string; department: string;
  status: 'open' | 'closed' | 'cancelled' | 'rejected'; step: string; greenChannel: boolean; overdue: boolean; escalationLevel: number;
  assignee: string | null; dueAt: Date | null; openedAt: Date; visitedAt: Date | null; reviewedAt: Date | null; deliveredAt: Date | null;
  closedAt: Date | null; outcome: string | null; deliveryMethod: string | null; completedOnTime: boolean | null;
  lastEventSeq: number; lastEventAt: Date; createdBy: string;
}
export interface GenEvent { caseId: string; seq: number; type: string; at: Date; actor: string | null; step: string | null; data: Record<string, unknown> }
export interface GenPlan { id: string; subjectId: string; itemCode: string; actionCode: string; county: string; department: string; startDate: string; status: string }
export interface GenPeriod { planId: string; department: string; period: string; startDate: string; endDate: string; sessions: number; required: number; compliant: boolean; checkedAt: Date }
export interface GenLedger {
  id: string; county: string; department: string; month: string; sourceType: string; sourceId: string; subjectId: string;
  itemCode: string; actionCode: string; row: LedgerRow; createdAt: Date;
}

export interface Generated {
  users: GenUser[]; subjects: GenSubject[]; cases: GenCase[]; events: GenEvent[]; plans: GenPlan[]; periods: GenPeriod[]; ledger: GenLedger[];
}

/** mulberry32: small, fast, good enough for test data. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof prng>;

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '马', '赵', '黄', '周', '吴', '徐', '孙', '胡', '朱', '高', '林', '何', '郭', '罗', '丁', '田', '海', '苏'];
const GIVEN = ['桂兰', '建国', '秀英', '海', '小红', '玉梅', '志强', '淑珍', '文', '丽', '军', '芳', '国华', '春花', '永福', '德明', '学军', '彩霞', '有福', '晓东', '梅', '亮', '玉兰', '金花'];
const PLACES: Record<string, Array<[string, string[]]>> = {
  640104: [['富宁街街道', ['丽景社区', '民乐社区']], ['新华街街道', ['湖滨社区', '玉皇阁社区']], ['掌政镇', ['掌政村', '洼路村']]],
  640105: [['文昌路街道', ['同心路社区', '朔方社区']], ['兴泾镇', ['十里铺村', '兴泾村']]],
  640106: [['黄河东路街道', ['阅海社区', '宝湖社区']], ['良田镇', ['植物园村', '和顺村']]],
  640121: [['杨和镇', ['红星村', '纳家户村']], ['望远镇', ['望远村', '板桥村']]],
  640122: [['习岗镇', ['新平村', '桃林村']], ['金贵镇', ['金贵村', '银河村']]],
  640181: [['城区街道', ['朔方社区', '西湖社区']], ['宁东镇', ['宁东村', '杨家窑村']]],
};
const ONGOING = CATALOG.items.filter((i) => i.ongoing);
const DAY_MS = 86_400_000;

/** addWorkingDays memoised by (Shanghai day, n): the result depends on nothing else, and it is the generator's hot path. */
const wdCache = new Map<string, number>();
function addWorkingDays(from: Date, n: number): Date {
  const key = `${Math.floor((from.getTime() + 8 * 3_600_000) / DAY_MS)}|${n}`;
  let v = wdCache.get(key);
  if (v === undefined) { v = addWorkingDaysSlow(from, n).getTime(); wdCache.set(key, v); }
  return new Date(v);
}

/** The staff of every county department: a coordinator, three workers, a reviewer. */
function staff(prefix: string, counties: readonly string[], departments: readonly string[]): GenUser[] {
  const out: GenUser[] = [];
  for (const county of counties) {
    for (const dept of departments) {
      const mk = (role: string, n: number, label: string): GenUser => ({
        id: `${prefix}-u-${county}-${dept}-${role}${n}`, username: `${prefix}-${county}-${dept}-${role}${n}`,
        displayName: `${label}${n}（${county}/${dept}）`, role, counties: [county], departments: [dept],
      });
      out.push(mk('coordinator', 1, '协调员'), mk('worker', 1, '工作人员'), mk('worker', 2, '工作人员'), mk('worker', 3, '工作人员'), mk('reviewer', 1, '审核员'));
    }
  }
  return out;
}
const staffId = (prefix: string, county: string, dept: string, role: string, n = 1) => `${prefix}-u-${county}-${dept}-${role}${n}`;

/** A subject; ID numbers are unique per (seed, index): birth date and sequence enumerate the index. */
function subject(prefix: string, seed: number, k: number, counties: readonly string[], rng: Rng): GenSubject {
  const county = counties[k % counties.length];
  const j = Math.floor(k / counties.length) + seed * 250_000;
  const birthDate = addDaysToDate('1940-01-01', j % 29_000);
  const sequence = Math.floor(j / 29_000) % 1000;
  const idNumber = makeIdNumber({ regionCode: county, birthDate, sequence });
  const category = rng.pick([1, 4, 4, 4, 5, 6, 7] as const);
  const grade = rng.pick([1, 1, 2, 2, 3] as const);
  const [township, communities] = rng.pick(PLACES[county] ?? [['街道', ['社区']]]);
  return {
    id: `${prefix}-s-${k}`, idNumber, name: rng.pick(SURNAMES) + rng.pick(GIVEN), sex: sequence % 2 === 1 ? 'male' : 'female', birthDate,
    county, township, community: rng.pick(communities), certificateNumber: makeCertificateNumber(idNumber, category, grade),
    disabilityCategory: category, disabilityGrade: grade,
  };
}

const STEP_EVENTS: Record<string, string[]> = {
  assignment: ['assigned'], visit: ['visit_scheduled', 'visit_done'], review: ['reviewed'], delivery: ['dispatched', 'received'], ledger: ['ledger_shared'],
};

/** One case and its timeline, simulated step by step against the catalog's deadlines. */
function simulateCase(
  id: string, s: GenSubject, rng: Rng, o: { prefix: string; from: Date; now: Date; lateRate: number; departments: readonly string[] },
  actions: ReturnType<typeof oneOffActions>,
): { c: GenCase; events: GenEvent[] } | undefined {
  const { item, action } = rng.pick(actions);
  const department = action.implementing;
  if (!o.departments.includes(department)) return undefined;
  const county = s.county;
  const green = rng.chance(0.1);
  const span = o.now.getTime() - o.from.getTime();
  const openedAt = new Date(o.from.getTime() + Math.floor(rng.next() * span));
  const coordinator = staffId(o.prefix, county, department, 'coordinator');
  const assignee = staffId(o.prefix, county, department, 'worker', rng.int(1, 3));
  const reviewer = staffId(o.prefix, county, department, 'reviewer');
  const events: GenEvent[] = [];
  const c: GenCase = {
    id, subjectId: s.id, itemCode: item.code, actionCode: action.code, county, department, status: 'open', step: 'assignment',
    greenChannel: green, overdue: false, escalationLevel: 0, assignee: null, dueAt: null, openedAt, visitedAt: null, reviewedAt: null,
    deliveredAt: null, closedAt: null, outcome: null, deliveryMethod: null, completedOnTime: null, lastEventSeq: 0, lastEventAt: openedAt, createdBy: coordinator,
  };
  const push = (type: string, at: Date, actor: string | null, step: string | null, data: Record<string, unknown> = {}) => {
    events.push({ caseId: id, seq: events.length + 1, type, at, actor, step, data });
  };
  push('opened', openedAt, coordinator, 'assignment', { greenChannel: green });
  let t = openedAt;
  let late = false;
  const target1 = { code: department, label: department, county };
  for (const step of action.steps) {
    const due = addWorkingDays(t, stepDeadline(step, green));
    push('step_started', t, null, step.kind, { step: step.kind, workingDays: stepDeadline(step, green), dueAt: due.toISOString() });
    c.step = step.kind;
    c.escalationLevel = 0;
    const runsLate = step.kind !== 'ledger' && rng.chance(o.lateRate);
    const end = runsLate
      ? new Date(due.getTime() + Math.floor(rng.next() * (addWorkingDays(due, rng.int(1, 6)).getTime() - due.getTime())) + 60_000)
      : new Date(t.getTime() + Math.floor(rng.next() * 0.9 * (due.getTime() - t.getTime())) + 60_000);
    // Deadline timers fire while the step is still open.
    const level2 = addWorkingDays(due, 3);
    if (due < end && due < o.now) {
      push('overdue', due, null, step.kind, { dueAt: due.toISOString(), workingDays: stepDeadline(step, green) });
      push('escalated', due, null, step.kind, { level: 1, reason: 'step_overdue', target: target1 });
      c.escalationLevel = 1;
      late = true;
      if (level2 < end && level2 < o.now) {
        push('escalated', level2, null, step.kind, { level: 2, reason: 'step_overdue', target: { code: LEADERSHIP_OFFICE.code, label: LEADERSHIP_OFFICE.label } });
        c.escalationLevel = 2;
      }
    }
    if (end >= o.now) {
      c.dueAt = due;
      c.overdue = due < o.now;
      if (step.kind !== 'assignment') c.assignee = assignee;
      break;
    }
    if (step.kind === 'visit' && rng.chance(0.03)) {
      push('cancelled', end, coordinator, step.kind, { status: 'cancelled', reason: 'subject_request' });
      Object.assign(c, { status: 'cancelled', step: 'done', closedAt: end, outcome: 'cancelled', assignee, dueAt: null });
      break;
    }
    const actor = step.kind === 'assignment' ? coordinator : step.kind === 'review' ? reviewer : step.kind === 'ledger' ? null : assignee;
    for (const type of STEP_EVENTS[step.kind]) {
      const data: Record<string, unknown> = type === 'assigned' ? { assignee } : type === 'dispatched' ? { method: c.deliveryMethod = rng.pick(action.deliveryMethods as DeliveryMethod[]) } : {};
      if (type === 'reviewed') data.decision = rng.chance(0.05) ? 'reject' : 'approve';
      push(type, end, actor, step.kind, data);
      if (type === 'reviewed' && data.decision === 'reject') {
        push('rejected', end, reviewer, step.kind, { reason: '不符合条件' });
        c.outcome = 'rejected';
      }
    }
    if (step.kind === 'assignment') c.assignee = assignee;
    if (step.kind === 'visit') c.visitedAt = end;
    if (step.kind === 'review') c.reviewedAt = end;
    if (step.kind === 'delivery') c.deliveredAt = end;
    t = end;
    if (c.outcome === 'rejected' && step.kind === 'review') {
      // A rejected case skips delivery and goes straight to its ledger step.
      const ledgerStep = action.steps.find((x) => x.kind === 'ledger')!;
      const lt = new Date(t.getTime() + 3_600_000);
      if (lt >= o.now) { c.step = 'ledger'; c.dueAt = addWorkingDays(t, stepDeadline(ledgerStep, green)); break; }
      push('step_started', t, null, 'ledger', { step: 'ledger', workingDays: stepDeadline(ledgerStep, green), dueAt: addWorkingDays(t, stepDeadline(ledgerStep, green)).toISOString() });
      push('ledger_shared', lt, null, 'ledger', {});
      push('closed', lt, null, 'done', { status: 'rejected' });
      Object.assign(c, { status: 'rejected', step: 'done', closedAt: lt, dueAt: null, completedOnTime: !late, escalationLevel: 0 });
      break;
    }
    if (step.kind === 'ledger') {
      push('closed', end, null, 'done', { status: 'closed' });
      Object.assign(c, { status: 'closed', step: 'done', closedAt: end, outcome: 'approved', dueAt: null, completedOnTime: !late, escalationLevel: 0 });
    }
  }
  const last = events[events.length - 1];
  c.lastEventSeq = last.seq;
  c.lastEventAt = last.at;
  return { c, events };
}

/** Yields the data in chunks of `chunkSize` cases (users in the first chunk). Pure and deterministic. */
export function* generateChunks(opts: GenerateOptions): Generator<Generated> {
  const prefix = opts.prefix ?? `g${opts.seed}`;
  const counties = opts.counties ?? COUNTY_CODES;
  const departments = opts.departments ?? DEPARTMENT_CODES;
  const rng = prng(opts.seed);
  const chunkSize = opts.chunkSize ?? 10_000;
  const withLedger = opts.ledger ?? true;
  const users = staff(prefix, counties, departments);
  const names = new Map(users.map((u) => [u.id, u.displayName]));
  const actions = oneOffActions().filter((a) => departments.includes(a.action.implementing));
  const ongoing = ONGOING.filter((i) => departments.includes(i.actions[0].implementing));
  const totalPlans = ongoing.length ? (opts.plans ?? 0) : 0;
  const chunks = Math.max(1, Math.ceil(opts.cases / chunkSize));
  let subjectIndex = 0;
  let caseIndex = 0;
  let planIndex = 0;
  for (let chunk = 0; chunk < chunks; chunk++) {
    const n = Math.min(chunkSize, opts.cases - chunk * chunkSize);
    const plansHere = Math.floor((totalPlans * (chunk + 1)) / chunks) - Math.floor((totalPlans * chunk) / chunks);
    const out: Generated = { users: chunk === 0 ? users : [], subjects: [], cases: [], events: [], plans: [], periods: [], ledger: [] };
    const subjectCount = Math.max(1, Math.ceil((n + plansHere) * 0.75));
    for (let k = 0; k < subjectCount; k++) out.subjects.push(subject(prefix, opts.seed, subjectIndex++, counties, rng));
    for (let k = 0; k < n; k++) {
      const s = rng.pick(out.subjects);
      const sim = actions.length ? simulateCase(`${prefix}-c-${caseIndex++}`, s, rng, { prefix, from: opts.from, now: opts.now, lateRate: opts.lateRate ?? 0.15, departments }, actions) : undefined;
      if (!sim) continue;
      out.cases.push(sim.c);
      for (const e of sim.events) out.events.push(e);
      if (withLedger && (sim.c.status === 'closed' || sim.c.status === 'rejected')) {
        const month = monthOf(sim.c.closedAt!);
        out.ledger.push({
          id: ledgerEntryId(['case', sim.c.id, month]), county: sim.c.county, department: sim.c.department, month, sourceType: 'case',
          sourceId: sim.c.id, subjectId: s.id, itemCode: sim.c.itemCode, actionCode: sim.c.actionCode,
          row: caseLedgerRow(sim.c, s, sim.c.assignee ? names.get(sim.c.assignee) ?? null : null), createdAt: sim.c.closedAt!,
        });
      }
    }
    for (let k = 0; k < plansHere; k++) {
      const s = rng.pick(out.subjects);
      const item = rng.pick(ongoing);
      const action = item.actions[0];
      const startDate = addDaysToDate(shanghaiDate(opts.from), rng.int(0, Math.max(0, Math.floor((opts.now.getTime() - opts.from.getTime()) / DAY_MS) - 1)));
      const plan: GenPlan = {
        id: `${prefix}-p-${planIndex++}`, subjectId: s.id, itemCode: item.code, actionCode: action.code, county: s.county,
        department: action.implementing, startDate, status: 'active',
      };
      out.plans.push(plan);
      for (let month = startDate.slice(0, 7); ; ) {
        const range = monthRange(month);
        const endDate = shanghaiDate(new Date(range.end.getTime() - 1));
        const checkedAt = new Date(range.end.getTime() + 3_600_000);
        if (checkedAt >= opts.now) break;
        const min = item.cadence?.period === 'week' ? 4 : item.cadence?.minSessions ?? 1;
        const sessions = rng.chance(0.8) ? rng.int(min, min + 2) : rng.int(0, Math.max(0, min - 1));
        const compliant = sessions >= min;
        const pStart = month === startDate.slice(0, 7) ? startDate : `${month}-01`;
        out.periods.push({ planId: plan.id, department: plan.department, period: month, startDate: pStart, endDate, sessions, required: min, compliant, checkedAt });
        if (withLedger) {
          out.ledger.push({
            id: ledgerEntryId(['plan_period', plan.id, month]), county: plan.county, department: plan.department, month: monthOf(checkedAt),
            sourceType: 'plan_period', sourceId: `${plan.id}:${month}`, subjectId: s.id, itemCode: plan.itemCode, actionCode: plan.actionCode,
            row: planPeriodLedgerRow(plan, s, { period: month, sessions, compliant, shortfall: compliant ? '' : `本期 ${sessions} 次，少于 ${min} 次`, providerName: '定点服务机构' }),
            createdAt: checkedAt,
          });
        }
        month = monthOf(range.end);
      }
    }
    yield out;
  }
}

/** All the data at once (for tests that recount from it). */
export function generate(opts: GenerateOptions): Generated {
  const all: Generated = { users: [], subjects: [], cases: [], events: [], plans: [], periods: [], ledger: [] };
  for (const g of generateChunks(opts)) {
    for (const k of Object.keys(all) as (keyof Generated)[]) for (const x of g[k]) (all[k] as unknown[]).push(x);
  }
  return all;
}

/** One value in COPY text format. */
function copyValue(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'boolean') return v ? 't' : 'f';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

/** COPYs rows into a table (text format, 5,000 rows per write). */
async function copyInto(db: Db, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const sink = await db.$client.unsafe(`copy ${table} (${columns.join(', ')}) from stdin`).writable();
  function* lines() {
    for (let i = 0; i < rows.length; i += 5000) {
      yield rows.slice(i, i + 5000).map((r) => r.map(copyValue).join('\t')).join('\n') + '\n';
    }
  }
  await pipeline(Readable.from(lines()), sink);
}

/** Writes one chunk (users, subjects, cases, events, plans, periods, ledger rows) with COPY. */
export async function insertGenerated(db: Db, g: Generated): Promise<void> {
  await copyInto(db, 'users', ['id', 'username', 'display_name', 'role', 'counties', 'departments', 'city_level'],
    g.users.map((u) => [u.id, u.username, u.displayName, u.role, u.counties, u.departments, false]));
  await copyInto(db, 'subjects', ['id', 'id_number', 'name', 'sex', 'birth_date', 'certificate_number', 'disability_category', 'disability_grade', 'county', 'township', 'community', 'consent_to_share'],
    g.subjects.map((s) => [s.id, s.idNumber, s.name, s.sex, s.birthDate, s.certificateNumber, s.disabilityCategory, s.disabilityGrade, s.county, s.township, s.community, true]));
  await copyInto(db, 'cases', ['id', 'subject_id', 'item_code', 'action_code', 'county', 'department', 'catalog_version', 'status', 'step', 'green_channel', 'overdue', 'escalation_level', 'assignee', 'due_at', 'opened_at', 'visited_at', 'reviewed_at', 'delivered_at', 'closed_at', 'outcome', 'delivery_method', 'completed_on_time', 'last_event_seq', 'last_event_at', 'created_by', 'state'],
    g.cases.map((c) => [c.id, c.subjectId, c.itemCode, c.actionCode, c.county, c.department, CATALOG_VERSION, c.status, c.step, c.greenChannel, c.overdue, c.escalationLevel, c.assignee, c.dueAt, c.openedAt, c.visitedAt, c.reviewedAt, c.deliveredAt, c.closedAt, c.outcome, c.deliveryMethod, c.completedOnTime, c.lastEventSeq, c.lastEventAt, c.createdBy, { generated: true }]));
  await copyInto(db, 'case_events', ['case_id', 'seq', 'type', 'at', 'actor', 'step', 'data'],
    g.events.map((e) => [e.caseId, e.seq, e.type, e.at, e.actor, e.step, e.data]));
  await copyInto(db, 'plans', ['id', 'subject_id', 'item_code', 'action_code', 'county', 'department', 'catalog_version', 'status', 'provider', 'assessment', 'start_date'],
    g.plans.map((p) => [p.id, p.subjectId, p.itemCode, p.actionCode, p.county, p.department, CATALOG_VERSION, p.status, { type: 'rehabilitation_institution', name: '定点服务机构' }, { generated: true }, p.startDate]));
  await copyInto(db, 'plan_periods', ['plan_id', 'period', 'start_date', 'end_date', 'sessions', 'qualifying', 'required', 'compliant', 'shortfall', 'escalated_to', 'checked_at'],
    g.periods.map((p) => [p.planId, p.period, p.startDate, p.endDate, p.sessions, p.sessions, p.required, p.compliant,
      p.compliant ? {} : { text: `本期 ${p.sessions} 次，少于 ${p.required} 次` }, p.compliant ? null : p.department, p.checkedAt]));
  await copyInto(db, 'ledger_entries', ['id', 'county', 'department', 'month', 'source_type', 'source_id', 'subject_id', 'item_code', 'action_code', 'row', 'created_at', 'updated_at'],
    g.ledger.map((l) => [l.id, l.county, l.department, l.month, l.sourceType, l.sourceId, l.subjectId, l.itemCode, l.actionCode, l.row, l.createdAt, l.createdAt]));
}

/**
 * Generates and writes the data chunk by chunk. With `keep: false` (benchmarks) only counts are
 * kept in memory; otherwise everything generated is returned for recounting.
 */
export async function seedReadModel(db: Db, opts: GenerateOptions & { keep?: boolean }): Promise<Generated & { counts: Record<keyof Generated, number> }> {
  const all: Generated = { users: [], subjects: [], cases: [], events: [], plans: [], periods: [], ledger: [] };
  const counts = { users: 0, subjects: 0, cases: 0, events: 0, plans: 0, periods: 0, ledger: 0 };
  for (const g of generateChunks(opts)) {
    await insertGenerated(db, g);
    for (const k of Object.keys(all) as (keyof Generated)[]) {
      counts[k] += g[k].length;
      if (opts.keep !== false) for (const x of g[k]) (all[k] as unknown[]).push(x);
    }
  }
  return { ...all, counts };
}

/** Midnight Asia/Shanghai of a 'YYYY-MM-DD' plus hours, for readable fixed test times. */
export const shanghai = (date: string, hours = 0) => new Date(startOfShanghaiDay(date).getTime() + hours * 3_600_000);
