import { describe, expect, it } from 'vitest';
import { trackProjection, workerMetrics } from '../../activities/projectionLag';

const lag = async () => Number(/^doorstep_projection_lag_seconds (\S+)$/m.exec(await workerMetrics.metrics())![1]);
const writes = async () => Number(/^doorstep_projection_write_delay_seconds_count (\S+)$/m.exec(await workerMetrics.metrics())?.[1] ?? 0);

describe('projection lag (the worker\'s gauge)', () => {
  it('grows while a batch keeps failing (the database is down) and drops to 0 once it is written', async () => {
    expect(await lag()).toBe(0);
    const before = await writes();
    const eventAt = new Date(Date.now() - 90_000);
    const down = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    await expect(trackProjection('case-a', eventAt, down)).rejects.toThrow('ECONNREFUSED');
    await expect(trackProjection('case-a', eventAt, down)).rejects.toThrow('ECONNREFUSED');
    expect(await lag()).toBeGreaterThanOrEqual(90);
    // Another case written meanwhile does not hide the one still waiting.
    await trackProjection('case-b', new Date(), async () => undefined);
    expect(await lag()).toBeGreaterThanOrEqual(90);
    await trackProjection('case-a', eventAt, async () => undefined);
    expect(await lag()).toBe(0);
    expect(await writes()).toBe(before + 2);
    // No case ids in the exposition.
    expect(await workerMetrics.metrics()).not.toContain('case-a');
  });
});
