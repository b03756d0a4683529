/**
 * Replays recorded serviceCase histories (test/workflows/histories/, recorded by the time-skipping
 * tests with RECORD_HISTORIES=1) against the current workflow code: a change that is not guarded with
 * patched() breaks determinism and fails here before it can break running cases.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { historyTypes } from './caseSupport';

const dir = resolve(import.meta.dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

/** A recorded history, decoded. */
function load(file: string) {
  const doc = JSON.parse(readFileSync(resolve(dir, file), 'utf8')) as { workflowId: string; events: string[]; historyProtobufBase64: string };
  const { History } = historyTypes();
  return { doc, history: History.decode(Buffer.from(doc.historyProtobufBase64, 'base64')) };
}

const replayOptions = () => ({ workflowBundle: { codePath: inject('workflowBundlePath') } });

describe('replay of recorded serviceCase histories', () => {
  it('has a history for every path the workflow tests cover', () => {
    expect(files).toEqual([
      'cancel-mid-visit.json', 'escalation-across-holiday.json', 'happy-path-renew.json', 'hold-and-resume.json', 'missed-supplement.json',
      'no-certificate-cancel.json', 'rejection.json', 'return-for-material.json', 'three-failed-visits.json',
    ]);
  });

  it.each(files)('%s replays deterministically with the current code', async (file) => {
    const { doc, history } = load(file);
    expect(history.events?.length).toBe(doc.events.length);
    await Worker.runReplayHistory(replayOptions(), history, doc.workflowId);
  });

  it('would catch a change in what the workflow does (a tampered history fails to replay)', async () => {
    const { doc, history } = load('happy-path-renew.json');
    const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'projectCase')!;
    scheduled.activityTaskScheduledEventAttributes!.activityType!.name = 'somethingElse';
    await expect(Worker.runReplayHistory(replayOptions(), history, doc.workflowId)).rejects.toMatchObject({ name: 'DeterminismViolationError' });
  });
});
