/**
 * Replays recorded case histories (test/workflows/histories/, recorded by the time-skipping tests with
 * RECORD_HISTORIES=1) against the current workflow code: a change that is not guarded with patched()
 * breaks determinism and fails here before it can break running cases. `<name>.json` are histories of
 * the frozen serviceCase type; `caseEngine-<name>.json` of the type new cases start.
 *
 * Coverage is derived, not listed: every update the contract defines, every timeline event type the
 * presenter names, and every way a case ends must appear in at least one recorded caseEngine history.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { CASE_EVENT_LABELS as EVENT_LABELS } from '../../domain/vocabulary';
import { ACCEPT_WITH_MISSING, STEP_DEADLINE_POLICY } from '../../workflows/caseEngine';
import * as contract from '../../workflows/contract';
import type { CaseState } from '../../workflows/contract';
import { historyTypes } from './caseSupport';

const dir = resolve(import.meta.dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

/** A recorded history, decoded. */
function load(file: string) {
  const doc = JSON.parse(readFileSync(resolve(dir, file), 'utf8')) as { workflowId: string; workflowType?: string; events: string[]; historyProtobufBase64: string };
  const { History } = historyTypes();
  return { doc, history: History.decode(Buffer.from(doc.historyProtobufBase64, 'base64')) };
}

const replayOptions = () => ({ workflowBundle: { codePath: inject('workflowBundlePath') } });
const json = (p: { data?: Uint8Array | null } | undefined | null): unknown => (p?.data ? JSON.parse(Buffer.from(p.data).toString('utf8')) : undefined);

/**
 * What a caseEngine history shows: the updates it accepted, and the states it answered with (each
 * update's outcome and the workflow's result: the projection is a local activity, whose input is not
 * in the history) — their event types and the last status.
 */
function pathsOf(file: string) {
  const { history } = load(file);
  const updates = new Set<string>();
  const states: CaseState[] = [];
  for (const e of history.events ?? []) {
    const name = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    if (name) updates.add(name);
    const answered = e.workflowExecutionUpdateCompletedEventAttributes?.outcome?.success?.payloads?.[0];
    if (answered) states.push(json(answered) as CaseState);
    const result = e.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0];
    if (result) states.push(json(result) as CaseState);
  }
  const signals = (history.events ?? []).flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []);
  const eventTypes = new Set<string>(states.flatMap((st) => st?.events?.map((x) => x.type) ?? []));
  // patched() leaves a marker naming its change id.
  const patches = new Set((history.events ?? []).flatMap((e) => {
    const m = e.markerRecordedEventAttributes;
    return m?.markerName === 'core_patch' ? [(json(m.details?.['patch-data']?.payloads?.[0]) as { id: string }).id] : [];
  }));
  return { updates, signals, eventTypes, patches, status: states.at(-1)?.status };
}

describe('replay of recorded case histories', () => {
  it.each(files)('%s replays deterministically with the current code', async (file) => {
    const { doc, history } = load(file);
    expect(history.events?.length).toBe(doc.events.length);
    await Worker.runReplayHistory(replayOptions(), history, doc.workflowId);
  });

  it('keeps the histories of the frozen serviceCase type', () => {
    expect(files.filter((f) => !f.startsWith('caseEngine-') && !f.startsWith('servicePlan-'))).toHaveLength(9);
  });

  describe('every path of caseEngine has a recorded history', () => {
    const engine = files.filter((f) => f.startsWith('caseEngine-')).map(pathsOf);
    const updateNames = Object.values(contract).flatMap((v) => (v && typeof v === 'object' && (v as { type?: string }).type === 'update' ? [(v as { name: string }).name] : []));
    const signalNames = Object.values(contract).flatMap((v) => (v && typeof v === 'object' && (v as { type?: string }).type === 'signal' ? [(v as { name: string }).name] : []));

    it('finds the contract\'s updates, signals and event types to cover', () => {
      expect(updateNames).toEqual(expect.arrayContaining(['opened', 'assign', 'review', 'cancel']));
      expect(signalNames).toEqual(['setCalendar', 'setPolicy']);
      expect(Object.keys(EVENT_LABELS).length).toBeGreaterThan(20);
    });
    it.each(updateNames)('update %s', (name) => expect(engine.some((p) => p.updates.has(name))).toBe(true));
    it.each(signalNames)('signal %s', (name) => expect(engine.some((p) => p.signals.includes(name))).toBe(true));
    it.each(Object.keys(EVENT_LABELS))('event %s', (type) => expect(engine.some((p) => p.eventTypes.has(type))).toBe(true));
    // Each change made behind patched() has a history recorded with it (and the older histories replay without it).
    it.each([ACCEPT_WITH_MISSING, STEP_DEADLINE_POLICY])('patch %s', (id) => {
      expect(engine.some((p) => p.patches.has(id))).toBe(true);
      expect(engine.some((p) => p.patches.size === 0)).toBe(true);
    });
    it.each(['closed', 'cancelled', 'rejected'])('end %s', (status) => expect(engine.some((p) => p.status === status)).toBe(true));
  });

  it('would catch a change in what the workflow does (a tampered history fails to replay)', async () => {
    for (const [file, activity] of [['happy-path-renew.json', 'projectCase'], ['caseEngine-happy-path-renew.json', 'writeCaseLedgerEntry']]) {
      const { doc, history } = load(file);
      const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity)!;
      scheduled.activityTaskScheduledEventAttributes!.activityType!.name = 'somethingElse';
      await expect(Worker.runReplayHistory(replayOptions(), history, doc.workflowId)).rejects.toMatchObject({ name: 'DeterminismViolationError' });
    }
  });
});
