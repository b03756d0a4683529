/**
 * /v1/policy: the rules doorstep applies, as data (domain/policy.ts). Each is tagged 'plan' (the
 * clause it comes from; not editable here) or 'local' (who set it and when). Admins change a local
 * rule's value, or enforce it, with a note; every change is a new version and the history is kept.
 * A local rule is advisory until enforced: shown, never refusing and never an official 未达标.
 *
 * The step-deadline rule (`deadlines.steps`) reaches running cases as the calendar does
 * (api/services/caseBroadcast.ts): each new version is signalled to every running case, which from then
 * on escalates a passed deadline only while the rule is enforced. Enforcing it: a case whose current
 * step is already past its deadline escalates at once to its county department, and three working days
 * later to the leadership group's office if the step is still not done. Making it advisory again: no
 * new escalation; escalations already raised stay on record as they were (official when raised).
 * Its figures (working days per step) are the catalog version's, which each case keeps from its
 * opening (some actions have their own, e.g. 10/5 days for a visit with an assessment): they change
 * with a new catalog version, not here.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loadPolicy, policyHistory, saveRule } from '../../db/queries/policy';
import { isDateString } from '../../domain/calendar';
import { POLICY_RULES, POLICY_TAG_LABELS, ruleOf, type PolicyKind, type PolicyRule } from '../../domain/policy';
import { STEP_KINDS } from '../../domain/vocabulary';
import { audit } from '../audit';
import { currentUser, requireRole } from '../auth';
import { badRequest, conflict, notFound, zodFieldErrors } from '../problem';
import { problemResponses } from '../schemas/common';
import { policyHistoryView, policyList, policySaved } from '../schemas/policy';
import { broadcastStepDeadlineRule } from '../services/caseBroadcast';
import type { AppDeps } from '../types';

const count = (max: number) => z.number().int().min(1).max(max);
const age = z.number().int().min(0).max(120);
const day = z.string().refine(isDateString, '应为 YYYY-MM-DD 格式的日期');

/** The value each kind of rule accepts. */
export const POLICY_VALUES: Record<PolicyKind, z.ZodType> = {
  cadence: z.object({
    period: z.enum(['month', 'week']), minSessions: count(31), minUnitsPerSession: z.number().positive().max(600).optional(), unit: z.enum(['class_hours', 'minutes']).optional(),
  }).strict().refine((c) => (c.minUnitsPerSession === undefined) === (c.unit === undefined), '每次时长与单位须同时给出'),
  ageBand: z.object({ min: age.optional(), max: age.optional() }).strict()
    .refine((b) => b.min !== undefined || b.max !== undefined, '至少给出 min 或 max').refine((b) => b.min === undefined || b.max === undefined || b.min <= b.max, 'min 不能大于 max'),
  age: z.number().int().min(40).max(100),
  stepDeadlines: z.object(Object.fromEntries(STEP_KINDS.map((k) => [k, z.object({ normal: count(60), green: count(60) }).strict()
    .refine((d) => d.green <= d.normal, '绿色通道时限不能长于普通时限')])) as Record<string, z.ZodType>).strict(),
  schoolHolidays: z.record(z.string().regex(/^20\d{2}$/, '年份应为 4 位数字'), z.array(z.object({ name: z.string().trim().min(1).max(20), from: day, to: day }).strict()
    .refine((h) => h.from <= h.to, '结束日期不能早于开始日期')).max(4)),
};

export function presentRule(r: PolicyRule) {
  return {
    key: r.key, kind: r.kind, label: r.label, tag: { code: r.tag, label: POLICY_TAG_LABELS[r.tag] },
    clause: r.clause ?? null, rationale: r.rationale ?? null, value: r.value, version: r.version, setBy: r.setBy, setAt: r.setAt,
    enforced: r.enforced, effect: r.enforced ? { code: 'enforced', label: '执行（可产生未达标、拒绝）' } : { code: 'advisory', label: '建议（仅提示，不产生正式未达标、不督办）' },
    note: r.note,
  };
}

const keyParams = z.object({ key: z.enum(POLICY_RULES.map((r) => r.key) as [string, ...string[]]) }).strict();

export async function policyRoutes(app: FastifyInstance, deps: AppDeps & { now: () => Date }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/policy', {
    schema: { tags: ['policy'], summary: '现行规则：方案规定（注明条款）与本地设定（注明设定人、时间；默认仅作建议）', response: { 200: policyList, ...problemResponses } },
  }, async () => ({ rules: (await loadPolicy(deps.db)).map(presentRule) }));

  r.get('/policy/:key/history', {
    schema: { tags: ['policy'], summary: '某条规则的修改历史', params: keyParams, response: { 200: policyHistoryView, ...problemResponses } },
    preHandler: requireRole('admin'),
  }, async (request) => {
    const current = ruleOf(await loadPolicy(deps.db), request.params.key);
    const versions = await policyHistory(deps.db, request.params.key);
    if (versions.length === 0 && current.version === 0) throw notFound('该规则的修改记录');
    return { key: current.key, versions, initial: { value: current.defaultValue, setBy: 'system' } };
  });

  r.put('/policy/:key', {
    schema: {
      tags: ['policy'], summary: '修改本地规则的数值，或设为执行/建议（须说明理由；保存为新版本）',
      params: keyParams,
      body: z.object({ value: z.unknown().optional(), enforced: z.boolean().optional(), note: z.string().trim().min(4, '请说明理由（至少4个字）').max(500) }).strict(),
      response: { 201: policySaved, ...problemResponses },
    },
    preHandler: requireRole('admin'),
  }, async (request, reply) => {
    const user = currentUser(request);
    const current = ruleOf(await loadPolicy(deps.db), request.params.key);
    if (current.tag === 'plan') throw conflict(`“${current.label}”由实施方案规定（${current.clause}），不能在系统中修改；方案调整后发布新的服务目录版本`);
    const b = request.body;
    let value = current.value;
    if (b.value !== undefined) {
      const parsed = POLICY_VALUES[current.kind].safeParse(b.value);
      if (!parsed.success) {
        const errors = zodFieldErrors(parsed.error, 'body.value');
        throw badRequest(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
      }
      value = parsed.data;
      if (current.kind === 'stepDeadlines' && JSON.stringify(value) !== JSON.stringify(current.value)) {
        throw conflict('办理步骤时限的天数随服务目录版本发布（部分事项有自己的时限），每个案件按开案时的版本计算；此处只能设为执行或建议');
      }
    }
    const saved = await saveRule(deps.db, current.key, { value, enforced: b.enforced ?? current.enforced, note: b.note }, user.id, deps.now());
    await audit(deps.db, { user, action: 'policy.change', resourceType: 'policy', resourceId: current.key, ip: request.ip, detail: { version: saved.version, enforced: saved.enforced } });
    const rule = ruleOf(await loadPolicy(deps.db), current.key);
    let runningCases = null;
    if (rule.kind === 'stepDeadlines') {
      const sent = await broadcastStepDeadlineRule(deps.temporal, deps.config.TEMPORAL_TASK_QUEUE, { version: rule.version, enforced: rule.enforced });
      runningCases = {
        ...sent,
        notice: sent.failed > 0
          ? `已保存；${sent.failed} 个办理中案件未能更新办理时限规则，请再次提交以补发`
          : `已保存，并已下发至 ${sent.signalled} 个办理中案件（${rule.enforced ? '超期将督办升级' : '超期仅作提醒，不再督办升级'}）`,
      };
      await audit(deps.db, { user, action: 'policy.broadcast', resourceType: 'policy', resourceId: current.key, ip: request.ip, detail: { version: rule.version, ...sent } });
    }
    return reply.status(201).send({ ...presentRule(rule), runningCases });
  });
}
