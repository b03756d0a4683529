/** Polls until `fn` returns something truthy, or fails after `ms` (projections and workflow tasks land a moment later). */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, ms = 15_000, everyMs = 50): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
