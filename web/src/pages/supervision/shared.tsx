/**
 * What the supervision pages share: the filters kept in the URL (so a view can be shared), their
 * options limited to the caller's scope, the sub-navigation, the names of the figures and the link
 * from any figure to the list of its cases.
 */
import type { ReactNode } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { Alert, Button, Form, Select, Space, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import { useUrlFilters } from '../../lib/urlFilters';
import { useScopeOptions } from '../../lib/scope';
import './supervision.css';

/** The filters every supervision route takes, as URL query keys. */
export const FILTER_KEYS = ['county', 'department', 'item', 'greenChannel'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Partial<Record<FilterKey, string>>;

/** The summary's figures and the weekly trend's (the `figure` of GET /v1/supervision/cases). */
export const FIGURE_LABELS = {
  open: '在办', overdue: '逾期', dueThisWeek: '本周到期', closedThisMonth: '本月办结', closedOnTimeThisMonth: '本月按时办结',
  opened: '新开', closed: '办结', closedOnTime: '按时办结', becameOverdue: '新增超期',
} as const;
export type Figure = keyof typeof FIGURE_LABELS;
export const SUMMARY_FIGURE_KEYS = ['open', 'overdue', 'dueThisWeek', 'closedThisMonth', 'closedOnTimeThisMonth'] as const;
export const TREND_FIGURE_KEYS = ['opened', 'closed', 'closedOnTime', 'becameOverdue'] as const;
export type TrendFigure = (typeof TREND_FIGURE_KEYS)[number];

export const isFigure = (v: string | null): v is Figure => v !== null && Object.hasOwn(FIGURE_LABELS, v);
export const isTrendFigure = (v: string): v is TrendFigure => (TREND_FIGURE_KEYS as readonly string[]).includes(v);

/** 0.765 → 76.5%; no case 办结 → —. */
export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`;
}

/** The filters in the URL (only known keys, only values in the allowed set), and setters that keep the rest of the query. */
export function useFilters() {
  const [params] = useSearchParams();
  const { filters, setMany } = useUrlFilters(FILTER_KEYS);
  return { params, filters: filters as Filters, set: (changes: Record<string, string | undefined>) => setMany(changes) };
}

/** `/dashboard/cases?figure=…` with the filters and any extra keys (a group's county, a week). */
export function figureLink(figure: Figure, filters: Filters, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams({ figure });
  for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v) q.set(k, v);
  return `/dashboard/cases?${q.toString()}`;
}

/** A supervision page with the filters carried over. */
export function withFilters(path: string, filters: Filters, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export { useScopeOptions };

const PAGES = [
  { path: '/dashboard', label: '看板' },
  { path: '/dashboard/stuck', label: '停滞案件' },
  { path: '/dashboard/escalations', label: '督办升级' },
  { path: '/dashboard/workload', label: '工作量' },
  { path: '/dashboard/failing', label: '工作流异常' },
] as const;

/** The page title and the supervision sub-navigation (links carrying the filters). */
export function SupervisionHeader({ title, filters, extra }: { title: ReactNode; filters: Filters; extra?: ReactNode }) {
  const location = useLocation();
  return (
    <Space direction="vertical" size={8} style={{ width: '100%' }}>
      <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>{title}</Typography.Title>
        {extra}
      </Space>
      <nav aria-label="督办">
        <ul className="sub-nav">
          {PAGES.map((p) => (
            <li key={p.path}>
              <Link to={withFilters(p.path, filters)} aria-current={location.pathname === p.path ? 'page' : undefined}>{p.label}</Link>
            </li>
          ))}
        </ul>
      </nav>
    </Space>
  );
}

/**
 * The filter bar: county, department, item, green channel — options within the caller's scope. A
 * value outside the scope (an edited URL) is named and the API answers nothing for it.
 */
export function FilterBar({ filters, set, children, extra = {} }: {
  filters: Filters; set: (c: Record<string, string | undefined>) => void; children?: ReactNode;
  /** The page's own filters (kept in the URL too), cleared with the rest. */
  extra?: Record<string, string | undefined>;
}) {
  const { counties, departments, items, ready } = useScopeOptions();
  const loading = !ready;
  const outside = !loading && ((filters.county && !counties.some((c) => c.value === filters.county))
    || (filters.department && !departments.some((d) => d.value === filters.department)));
  const select = (k: FilterKey, label: string, options: Array<{ value: string; label: string }>, width = 150) => (
    <Form.Item label={label} key={k} style={{ marginBottom: 0 }}>
      <Select allowClear value={options.some((o) => o.value === filters[k]) ? filters[k] : undefined} onChange={(v: string | undefined) => set({ [k]: v })}
        options={options} style={{ width }} placeholder="全部" aria-label={label} loading={loading} popupMatchSelectWidth={false} />
    </Form.Item>
  );
  return (
    <>
      <Form layout="inline" style={{ rowGap: 8 }} aria-label="筛选">
        {counties.length > 1 || filters.county ? select('county', '县（市）区', counties) : null}
        {departments.length > 1 || filters.department ? select('department', '承办部门', departments) : null}
        {select('item', '服务事项', items, 220)}
        {select('greenChannel', '绿色通道', [{ value: 'true', label: '是' }, { value: 'false', label: '否' }], 100)}
        {children}
        {[...Object.values(filters), ...Object.values(extra)].some(Boolean) && (
          <Button onClick={() => set(Object.fromEntries([...FILTER_KEYS, ...Object.keys(extra)].map((k) => [k, undefined])))}>清除筛选</Button>
        )}
      </Form>
      {outside && <Alert type="warning" showIcon title="筛选的县（市）区或部门不在您的管辖范围内，不显示任何数据。" action={<Button size="small" onClick={() => set({ county: undefined, department: undefined })}>清除</Button>} />}
    </>
  );
}

/** GET /v1/supervision/summary with the filters (and an assignee). */
export function useSummary(filters: Filters & { assignee?: string }, enabled = true) {
  return useQuery({
    enabled,
    queryKey: ['supervision', 'summary', filters],
    queryFn: () => call(api.GET('/v1/supervision/summary', { params: { query: filters as never } })),
  });
}

/** GET /v1/supervision/trend with the filters (and an assignee). */
export function useTrend(filters: Filters & { assignee?: string }, weeks: number, enabled = true) {
  return useQuery({
    enabled,
    queryKey: ['supervision', 'trend', filters, weeks],
    queryFn: () => call(api.GET('/v1/supervision/trend', { params: { query: { ...filters, weeks } as never } })),
  });
}

