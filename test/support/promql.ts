/**
 * The metric names a PromQL expression reads: identifiers that are not functions, aggregation
 * keywords, label names (inside `{…}`, `by (…)`, `without (…)`, `on (…)`, `ignoring (…)`,
 * `group_left (…)`, `group_right (…)`), string literals, durations or numbers.
 */
const KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan',
]);

export function metricNamesIn(expr: string): string[] {
  const cleaned = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of cleaned.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const after = cleaned.slice(m.index + m[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(m[0].toLowerCase())) continue; // a function or a keyword
    if (/\d$/.test(cleaned.slice(0, m.index)) && /^[smhdwy]+$/.test(m[0])) continue; // 5m outside a range
    names.add(m[0]);
  }
  return [...names];
}
