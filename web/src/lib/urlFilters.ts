/** Filters kept in the URL's query string, so a filtered view can be bookmarked and shared. */
import { useSearchParams } from 'react-router';

export function useUrlFilters<K extends string>(keys: readonly K[]) {
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(keys.map((k) => [k, params.get(k) ?? undefined]).filter(([, v]) => v)) as Partial<Record<K, string>>;
  /** Sets (or with undefined removes) one filter; the other query parameters stay. */
  const set = (k: K, v: string | undefined) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v); else next.delete(k);
    setParams(next, { replace: true });
  };
  /** Sets several at once (a date range). */
  const setMany = (values: Partial<Record<K, string | undefined>>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(values) as Array<[K, string | undefined]>) {
      if (v) next.set(k, v); else next.delete(k);
    }
    setParams(next, { replace: true });
  };
  const clear = () => setParams(new URLSearchParams(), { replace: true });
  return { filters, set, setMany, clear };
}
