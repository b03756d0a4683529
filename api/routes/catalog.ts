/**
 * /v1/catalog: the service catalog in force, with every code carrying its Chinese label, plus the
 * reference lists a console needs (departments, counties, disability categories and grades,
 * eligibility groups and questions). Any authenticated role may read it; it changes only with
 * CATALOG_VERSION, so it is served with an ETag and answers 304 to a matching If-None-Match.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  CADENCE_UNIT_LABELS, CATALOG, CATEGORY_LABELS, actionDeadlineWorkingDays, type ActionDef, type Cadence, type ItemCategory, type ServiceItem,
} from '../../domain/catalog';
import { DISABILITY_CATEGORIES, DISABILITY_GRADES } from '../../domain/certificateNumber';
import { CITY, COUNTIES, LEADERSHIP_OFFICE } from '../../domain/counties';
import { DEPARTMENTS, departmentLabel, type DepartmentCode } from '../../domain/departments';
import { ELIGIBILITY_GROUP_LABELS, ELIGIBILITY_QUESTION_LABELS, ITEM_ELIGIBILITY } from '../../domain/eligibility';
import { CASE_MECHANISMS, POLICY_RULES, POLICY_TAG_LABELS } from '../../domain/policy';
import {
  CASE_STEP_LABELS, DELIVERY_METHOD_LABELS, EVIDENCE_KIND_LABELS, HOUSEKEEPING_DELIVERY_LABELS, HOUSEKEEPING_FUNDING_LABELS, labelOf, STEP_KINDS,
} from '../../domain/vocabulary';
import type { RouteModule } from '../types';
import { noContent, problemResponses } from '../schemas/common';
import { catalogView } from '../schemas/catalog';

const CADENCE_PERIOD_LABELS: Record<Cadence['period'], string> = { month: '每月', week: '每周' };

const pairs = (table: Readonly<Record<string, string>>) => Object.entries(table).map(([code, label]) => ({ code, label }));
const depts = (codes: readonly DepartmentCode[]) => codes.map((c) => departmentLabel(c));

function presentCadence(c: Cadence | undefined) {
  if (!c) return null;
  return {
    period: { code: c.period, label: CADENCE_PERIOD_LABELS[c.period] },
    minSessions: c.minSessions,
    minUnitsPerSession: c.minUnitsPerSession ?? null,
    unit: c.unit ? { code: c.unit, label: CADENCE_UNIT_LABELS[c.unit] } : null,
    label: c.label,
  };
}

/** Where a rule comes from: the plan (its clause) or a local setting (advisory by default; current values at GET /v1/policy). */
function ruleTag(key: string) {
  const def = POLICY_RULES.find((r) => r.key === key);
  if (!def) return null;
  return { key, tag: { code: def.tag, label: POLICY_TAG_LABELS[def.tag] }, clause: def.clause ?? null };
}

function presentAction(a: ActionDef) {
  return {
    code: a.code,
    label: a.label,
    labelEn: a.labelEn,
    responsible: depts(a.responsible),
    cooperating: depts(a.cooperating),
    implementing: departmentLabel(a.implementing),
    steps: a.steps.map((s) => ({
      kind: { code: s.kind, label: CASE_STEP_LABELS[s.kind] },
      label: s.label,
      deadlineWorkingDays: s.deadlineWorkingDays,
      greenChannelWorkingDays: s.greenChannelWorkingDays,
      rule: ruleTag('deadlines.steps'),
    })),
    totalWorkingDays: actionDeadlineWorkingDays(a, false),
    totalGreenChannelWorkingDays: actionDeadlineWorkingDays(a, true),
    needsCertificate: a.needsCertificate,
    deliveryMethods: a.deliveryMethods.map((m) => ({ code: m, label: DELIVERY_METHOD_LABELS[m] })),
    evidence: a.evidence.map((e) => ({ kinds: e.kinds.map((k) => ({ code: k, label: EVIDENCE_KIND_LABELS[k] })), minCount: e.minCount, label: e.label })),
    note: a.note ?? null,
  };
}

function presentItem(i: ServiceItem) {
  return {
    code: i.code,
    number: i.number,
    category: { code: i.category, label: CATEGORY_LABELS[i.category] },
    label: i.label,
    labelEn: i.labelEn,
    ongoing: i.ongoing,
    cadence: i.cadence ? { ...presentCadence(i.cadence), rule: ruleTag(`cadence.${i.code}`) } : null,
    responsible: depts(i.responsible),
    cooperating: depts(i.cooperating),
    actions: i.actions.map(presentAction),
    eligibility: ITEM_ELIGIBILITY[i.code] ? { label: ITEM_ELIGIBILITY[i.code].label, clause: ITEM_ELIGIBILITY[i.code].clause } : null,
  };
}

/** The whole catalog view; built once, since the catalog is frozen data. */
export function presentCatalog() {
  return {
    version: CATALOG.version,
    city: { code: CITY.code, label: CITY.name },
    categories: (Object.keys(CATEGORY_LABELS) as ItemCategory[]).map((c) => ({ code: c, label: CATEGORY_LABELS[c] })),
    items: CATALOG.items.map(presentItem),
    departments: DEPARTMENTS.map((d) => ({ code: d.code, label: d.short, name: d.name })),
    leadershipOffice: LEADERSHIP_OFFICE,
    counties: COUNTIES.map((c) => ({ code: c.code, label: c.name })),
    disabilityCategories: DISABILITY_CATEGORIES.map((c) => ({ code: c.code, label: c.label, labelEn: c.labelEn })),
    disabilityGrades: DISABILITY_GRADES.map((g) => ({ code: g.code, label: g.label })),
    eligibilityGroups: pairs(ELIGIBILITY_GROUP_LABELS),
    eligibilityQuestions: pairs(ELIGIBILITY_QUESTION_LABELS),
    stepKinds: STEP_KINDS.map((k) => labelOf(k, CASE_STEP_LABELS)),
    deliveryMethods: pairs(DELIVERY_METHOD_LABELS),
    evidenceKinds: pairs(EVIDENCE_KIND_LABELS),
    // Item 11: where the money comes from, and how the service is delivered (separate fields of the plan's assessment).
    // Which rules the plan sets (with the clause) and which are local (advisory until an admin enforces them; GET /v1/policy).
    rules: POLICY_RULES.map((r) => ({
      key: r.key, label: r.label, tag: { code: r.tag, label: POLICY_TAG_LABELS[r.tag] }, clause: r.clause ?? null, rationale: r.rationale ?? null,
      defaultValue: r.defaultValue, enforcedByDefault: r.tag === 'plan',
    })),
    // The case mechanisms: 绿色通道+容缺后补 is the plan's; the escalations are ours (local).
    mechanisms: CASE_MECHANISMS.map((m) => ({ key: m.key, label: m.label, tag: { code: m.tag, label: POLICY_TAG_LABELS[m.tag] }, clause: m.clause ?? null, rationale: m.rationale ?? null })),
    housekeepingFundingSources: pairs(HOUSEKEEPING_FUNDING_LABELS),
    housekeepingDeliveryWays: pairs(HOUSEKEEPING_DELIVERY_LABELS),
  };
}

export const catalogRoutes: RouteModule = async (app: FastifyInstance) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const view = presentCatalog();
  // The view (catalog, rule tags, labels) changes with the code: the tag names the version and the view's hash.
  const etag = `"catalog-${CATALOG.version}-${createHash('sha256').update(JSON.stringify(view)).digest('hex').slice(0, 12)}"`;

  r.get('/catalog', {
    schema: {
      tags: ['catalog'], summary: '服务目录（含服务事项、办理事项、部门、时限、送达方式、佐证材料、服务频次及各类代码表）',
      response: { 200: catalogView, 304: noContent('与 If-None-Match 相同：目录未变 Not Modified'), ...problemResponses },
    },
  }, async (request, reply) => {
    reply.header('etag', etag).header('cache-control', 'private, max-age=300');
    if (request.headers['if-none-match'] === etag) return reply.status(304).send();
    return view;
  });
};
