/**
 * What the ledger and statistics pages share: the counties and departments the caller may pick (their
 * scope only; the API decides anyway), the choice kept in the URL so a view can be shared, and the
 * Beijing-time month and quarter of today.
 */
import { useUrlFilters } from '../../lib/urlFilters';
import type { Option } from '../../lib/scope';
import { shanghaiDate } from '../../lib/format';

export { useScopeOptions, type Option } from '../../lib/scope';

/** URL search parameters as a record, and a setter that replaces some of them (undefined removes one). */
export function useUrlState<K extends string>(keys: readonly K[]): [Partial<Record<K, string>>, (changes: Partial<Record<K, string | undefined>>) => void] {
  const { filters, setMany } = useUrlFilters(keys);
  return [filters, setMany];
}

/** This month in Beijing time, `YYYY-MM`. */
export function thisMonth(now = new Date()): string {
  return shanghaiDate(now).slice(0, 7);
}

/** A month as the API takes it (`YYYY-MM`); a hand-edited URL may hold anything. */
export function isMonth(s: string): boolean {
  return /^(?:19|20)\d{2}-(0[1-9]|1[0-2])$/.test(s);
}

/** The month before `month` (`YYYY-MM`). */
export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** 2026年11月. */
export function monthText(month: string): string {
  const [y, m] = month.split('-');
  return `${y}年${Number(m)}月`;
}

/** This quarter in Beijing time, `YYYY-Qn`. */
export function thisQuarter(now = new Date()): string {
  const [y, m] = shanghaiDate(now).split('-').map(Number);
  return `${y}-Q${Math.ceil(m / 3)}`;
}

/** The quarters from `latest` back to the plan's first (2023-Q2, the plan of 2023-04-21), newest first. */
export function quartersUpTo(latest: string): string[] {
  const out: string[] = [];
  let [y, q] = [Number(latest.slice(0, 4)), Number(latest.slice(6))];
  while (y > 2023 || (y === 2023 && q >= 2)) {
    out.push(`${y}-Q${q}`);
    if (--q === 0) { q = 4; y--; }
  }
  return out;
}

/** 2026年第4季度. */
export function quarterText(quarter: string): string {
  return `${quarter.slice(0, 4)}年第${quarter.slice(6)}季度`;
}

/** A download link's URL: the API's own GET with the session cookie. */
export function apiUrl(path: string, query: Record<string, string | undefined>): string {
  const q = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => Boolean(e[1])));
  return `${path}?${q.toString()}`;
}

/** A picker's value when it is one of the options (a hand-edited URL may name a county out of scope: the picker then shows none). */
export function pickable(options: Option[], value: string | undefined): string | undefined {
  return options.some((o) => o.value === value) ? value : undefined;
}
