/**
 * 督办看板 (supervisor, department lead; coordinators and admins too): headline figures, bars by
 * county, department and service item, a county × department heat map and a weekly trend — all from
 * GET /v1/supervision/summary and /trend in the caller's scope, with the filters in the URL. Every bar,
 * cell, point and number opens the list of its cases (/dashboard/cases); a table under each chart holds
 * the same figures as links, for keyboard and screen-reader users.
 */
import { useMemo } from 'react';
import { Link, useNavigate } from 'react-router';
import { Alert, Card, Col, Form, Row, Select, Space, Statistic, Typography } from 'antd';
import type { paths } from '../../api/client';
import { ErrorAlert } from '../../components/States';
import { Panel } from '../../components/Panel';
import { formatDate, formatDateTime } from '../../lib/format';
import { EChart, type ChartOption } from './EChart';
import {
  FIGURE_LABELS, FilterBar, figureLink, percent, SupervisionHeader, useFilters, useSummary, useTrend,
  type Figure, type Filters,
} from './shared';

type Summary = paths['/v1/supervision/summary']['get']['responses'][200]['content']['application/json'];
type Trend = paths['/v1/supervision/trend']['get']['responses'][200]['content']['application/json'];
type Counts = Summary['totals'];
type Labelled = { code: string; label: string };

const COLORS = { overdue: '#c41d1d', dueThisWeek: '#d46b08', rate: '#1458c6', opened: '#1458c6', closed: '#389e0d', closedOnTime: '#08979c', becameOverdue: '#c41d1d' };
const HEAT_FIGURES = ['overdue', 'dueThisWeek', 'open'] as const;
type HeatFigure = (typeof HEAT_FIGURES)[number];
const WEEK_CHOICES = [4, 8, 12, 26, 52];

export default function Dashboard() {
  const { params, filters, set } = useFilters();
  const heatParam = params.get('heat');
  const heat: HeatFigure = (HEAT_FIGURES as readonly string[]).includes(heatParam ?? '') ? heatParam as HeatFigure : 'overdue';
  const weeksParam = Number(params.get('weeks'));
  const weeks = WEEK_CHOICES.includes(weeksParam) ? weeksParam : 12;
  const summary = useSummary(filters);
  const trend = useTrend(filters, weeks);
  const s = summary.data;

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <SupervisionHeader title="督办看板" filters={filters} extra={s && <Typography.Text type="secondary">数据截至 {formatDateTime(s.asOf)}</Typography.Text>} />
      <FilterBar filters={filters} set={set} />
      <ErrorAlert error={summary.error} onRetry={() => void summary.refetch()} />
      {s?.calendarWarnings.map((w) => <Alert key={w.year} type="warning" showIcon title={w.message} />)}
      <Headline totals={s?.totals} loading={summary.isPending} filters={filters} />
      <GroupPanel title="按县（市）区" groupKey="county" rows={s?.byCounty.map((r) => ({ group: r.county, ...r }))} filters={filters} />
      <GroupPanel title="按承办部门" groupKey="department" rows={s?.byDepartment.map((r) => ({ group: r.department, ...r }))} filters={filters} />
      <GroupPanel title="按服务事项" groupKey="item" rows={s?.byItem.map((r) => ({ group: r.item, ...r }))} filters={filters} horizontal />
      <HeatPanel summary={s} heat={heat} setHeat={(v) => set({ heat: v === 'overdue' ? undefined : v })} filters={filters} />
      <ErrorAlert error={trend.error} onRetry={() => void trend.refetch()} />
      <TrendPanel trend={trend.data} weeks={weeks} setWeeks={(n) => set({ weeks: n === 12 ? undefined : String(n) })} filters={filters} />
    </Space>
  );
}

function Headline({ totals, loading, filters }: { totals: Counts | undefined; loading: boolean; filters: Filters }) {
  const cards: Array<{ title: string; figure: Figure; value: number | string | undefined; danger?: boolean }> = [
    { title: '在办', figure: 'open', value: totals?.open },
    { title: '逾期', figure: 'overdue', value: totals?.overdue, danger: true },
    { title: '本周到期', figure: 'dueThisWeek', value: totals?.dueThisWeek },
    { title: '本月办结', figure: 'closedThisMonth', value: totals?.closedThisMonth },
    { title: '本月按时办结', figure: 'closedOnTimeThisMonth', value: totals?.closedOnTimeThisMonth },
    { title: '本月按时办结率', figure: 'closedThisMonth', value: totals ? percent(totals.onTimeRate) : undefined },
  ];
  return (
    <Row gutter={[16, 16]}>
      {cards.map((c) => (
        <Col key={c.title} xs={12} md={8} xl={4}>
          <Link to={figureLink(c.figure, filters)} className="card-link" aria-label={`${c.title}：${c.value ?? '加载中'}`}>
            <Card hoverable size="small">
              <Statistic title={c.title} value={c.value ?? '—'} loading={loading} styles={{ content: c.danger && Number(c.value) > 0 ? { color: '#c41d1d' } : undefined }} />
            </Card>
          </Link>
        </Col>
      ))}
    </Row>
  );
}

type GroupKey = 'county' | 'department' | 'item';
type GroupRow = Counts & { group: Labelled };

/** The columns of a group's table, each figure a link to its cases. */
const TABLE_FIGURES: Array<{ key: keyof Counts; title: string; figure: Figure }> = [
  { key: 'open', title: '在办', figure: 'open' },
  { key: 'overdue', title: '逾期', figure: 'overdue' },
  { key: 'dueThisWeek', title: '本周到期', figure: 'dueThisWeek' },
  { key: 'closedThisMonth', title: '本月办结', figure: 'closedThisMonth' },
  { key: 'closedOnTimeThisMonth', title: '本月按时办结', figure: 'closedOnTimeThisMonth' },
  { key: 'onTimeRate', title: '按时办结率', figure: 'closedThisMonth' },
];

function GroupPanel({ title, groupKey, rows, filters, horizontal }: { title: string; groupKey: GroupKey; rows: GroupRow[] | undefined; filters: Filters; horizontal?: boolean }) {
  const navigate = useNavigate();
  const option = useMemo<ChartOption>(() => {
    const names = (rows ?? []).map((r) => r.group.label);
    const category = { type: 'category' as const, data: names, axisLabel: horizontal ? { width: 180, overflow: 'truncate' as const } : { interval: 0, rotate: names.length > 6 ? 30 : 0 } };
    const count = { type: 'value' as const, name: '件', minInterval: 1 };
    const rate = { type: 'value' as const, name: '按时办结率', min: 0, max: 100, axisLabel: { formatter: '{value}%' } };
    return {
      tooltip: { trigger: 'axis' },
      legend: { data: ['逾期', '本周到期', '本月按时办结率'], top: 0 },
      grid: { left: horizontal ? 220 : 48, right: horizontal ? 24 : 64, top: 36, bottom: horizontal ? 40 : 56 },
      ...(horizontal
        ? { yAxis: { ...category, inverse: true }, xAxis: [count, { ...rate, position: 'top', show: false }] }
        : { xAxis: category, yAxis: [count, rate] }),
      series: [
        { id: 'overdue', name: '逾期', type: 'bar', color: COLORS.overdue, data: (rows ?? []).map((r) => r.overdue) },
        { id: 'dueThisWeek', name: '本周到期', type: 'bar', color: COLORS.dueThisWeek, data: (rows ?? []).map((r) => r.dueThisWeek) },
        {
          id: 'closedThisMonth', name: '本月按时办结率', type: 'line', color: COLORS.rate, symbolSize: 8,
          ...(horizontal ? { xAxisIndex: 1 } : { yAxisIndex: 1 }),
          data: (rows ?? []).map((r) => (r.onTimeRate === null ? null : Math.round(r.onTimeRate * 1000) / 10)),
        },
      ],
    } as ChartOption;
  }, [rows, horizontal]);
  const height = horizontal ? Math.max(260, (rows?.length ?? 0) * 34 + 80) : 320;
  return (
    <Panel title={title}>
      {rows && rows.length === 0 ? <Typography.Text type="secondary">没有在办或本月办结的案件</Typography.Text> : (
        <>
          <EChart
            option={option} height={height}
            label={`${title}的逾期、本周到期（柱）和本月按时办结率（线）；数字见下表，点击可查看案件`}
            onPick={(p) => {
              const row = rows?.[p.dataIndex];
              if (row) void navigate(figureLink(p.seriesId as Figure, filters, { [groupKey]: row.group.code }));
            }}
          />
          <FigureTable caption={title} groupTitle={{ county: '县（市）区', department: '承办部门', item: '服务事项' }[groupKey]}
            rows={(rows ?? []).map((r) => ({ key: r.group.code, label: r.group.label, counts: r, extra: { [groupKey]: r.group.code } }))} filters={filters} />
        </>
      )}
    </Panel>
  );
}

/** A figures table: a row per group, a link per figure. */
function FigureTable({ caption, groupTitle, rows, filters }: {
  caption: string; groupTitle: string; filters: Filters;
  rows: Array<{ key: string; label: string; counts: Counts; extra: Record<string, string> }>;
}) {
  return (
    <div className="figure-table-wrap">
      <table className="figure-table">
        <caption>{caption}（数据表）</caption>
        <thead>
          <tr><th scope="col">{groupTitle}</th>{TABLE_FIGURES.map((f) => <th scope="col" key={f.key}>{f.title}</th>)}</tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <th scope="row">{r.label}</th>
              {TABLE_FIGURES.map((f) => (
                <td key={f.key} data-figure={f.key}>
                  <Link to={figureLink(f.figure, filters, r.extra)}>{f.key === 'onTimeRate' ? percent(r.counts.onTimeRate) : r.counts[f.key]}</Link>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function HeatPanel({ summary, heat, setHeat, filters }: { summary: Summary | undefined; heat: HeatFigure; setHeat: (v: HeatFigure) => void; filters: Filters }) {
  const navigate = useNavigate();
  const cells = summary?.byCountyDepartment ?? [];
  const counties = summary?.byCounty.map((r) => r.county) ?? [];
  const departments = summary?.byDepartment.map((r) => r.department) ?? [];
  const value = (county: string, department: string) => cells.find((c) => c.county.code === county && c.department.code === department)?.[heat] ?? 0;
  const option = useMemo<ChartOption>(() => {
    const data = counties.flatMap((c, y) => departments.map((d, x) => [x, y, value(c.code, d.code)]));
    const max = Math.max(1, ...data.map((d) => d[2]));
    return {
      tooltip: { position: 'top' },
      grid: { left: 80, right: 24, top: 8, bottom: 90 },
      xAxis: { type: 'category', data: departments.map((d) => d.label), axisLabel: { interval: 0, rotate: departments.length > 5 ? 30 : 0 }, splitArea: { show: true } },
      yAxis: { type: 'category', data: counties.map((c) => c.label), inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120, inRange: { color: ['#fff7f0', '#f4a16b', '#c41d1d'] } },
      series: [{ id: heat, name: FIGURE_LABELS[heat], type: 'heatmap', data, label: { show: true }, emphasis: { itemStyle: { borderColor: '#1f1f1f', borderWidth: 1 } } }],
    } as ChartOption;
  }, [summary, heat]);
  return (
    <Panel title="县（市）区 × 部门热力图" extra={
      <Form.Item label="显示" style={{ margin: 0 }}>
        <Select value={heat} onChange={setHeat} style={{ width: 120 }} aria-label="热力图显示" options={HEAT_FIGURES.map((f) => ({ value: f, label: FIGURE_LABELS[f] }))} />
      </Form.Item>
    }>
      {cells.length === 0 ? <Typography.Text type="secondary">{summary ? '没有在办或本月办结的案件' : '正在加载…'}</Typography.Text> : (
        <>
          <EChart option={option} height={Math.max(220, counties.length * 44 + 110)}
            label={`各县（市）区、各部门的${FIGURE_LABELS[heat]}案件数热力图；数字见下表，点击格子可查看案件`}
            onPick={(p) => {
              const [x, y] = p.data as [number, number, number];
              const c = counties[y];
              const d = departments[x];
              if (c && d) void navigate(figureLink(heat, filters, { county: c.code, department: d.code }));
            }} />
          <div className="figure-table-wrap">
            <table className="figure-table">
              <caption>县（市）区 × 部门：{FIGURE_LABELS[heat]}（数据表）</caption>
              <thead><tr><th scope="col">县（市）区</th>{departments.map((d) => <th scope="col" key={d.code}>{d.label}</th>)}</tr></thead>
              <tbody>
                {counties.map((c) => (
                  <tr key={c.code}>
                    <th scope="row">{c.label}</th>
                    {departments.map((d) => (
                      <td key={d.code}><Link to={figureLink(heat, filters, { county: c.code, department: d.code })}>{value(c.code, d.code)}</Link></td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Panel>
  );
}

const TREND_COLUMNS = [
  { key: 'opened', title: '新开', figure: 'opened' },
  { key: 'closed', title: '办结', figure: 'closed' },
  { key: 'closedOnTime', title: '按时办结', figure: 'closedOnTime' },
  { key: 'onTimeRate', title: '按时办结率', figure: 'closed' },
  { key: 'becameOverdue', title: '新增超期', figure: 'becameOverdue' },
] as const;

/** 06/15–06/21 (the current week up to today). */
function weekLabel(w: Trend['weeks'][number]): string {
  const end = new Date(new Date(w.end).getTime() - 1);
  return `${formatDate(w.start).slice(5)}–${formatDate(end.toISOString()).slice(5)}`;
}

function TrendPanel({ trend, weeks, setWeeks, filters }: { trend: Trend | undefined; weeks: number; setWeeks: (n: number) => void; filters: Filters }) {
  const navigate = useNavigate();
  const rows = trend?.weeks ?? [];
  const option = useMemo<ChartOption>(() => ({
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: ['新开', '办结', '按时办结', '新增超期', '按时办结率'] },
    grid: { left: 48, right: 64, top: 36, bottom: 56 },
    xAxis: { type: 'category', data: rows.map((w) => formatDate(w.start).slice(5)), name: '周（起）', nameLocation: 'middle', nameGap: 32 },
    yAxis: [{ type: 'value', name: '件', minInterval: 1 }, { type: 'value', name: '按时办结率', min: 0, max: 100, axisLabel: { formatter: '{value}%' } }],
    series: [
      ...TREND_COLUMNS.filter((c) => c.key !== 'onTimeRate').map((c) => ({
        id: c.figure, name: c.title, type: 'line' as const, color: COLORS[c.figure], symbolSize: 8, data: rows.map((w) => w[c.key as 'opened']),
      })),
      { id: 'closed-rate', name: '按时办结率', type: 'line' as const, yAxisIndex: 1, color: '#531dab', lineStyle: { type: 'dashed' as const }, symbolSize: 8, data: rows.map((w) => (w.onTimeRate === null ? null : Math.round(w.onTimeRate * 1000) / 10)) },
    ],
  }) as ChartOption, [rows]);
  return (
    <Panel title="每周趋势（北京时间周一至周日）" extra={
      <Form.Item label="周数" style={{ margin: 0 }}>
        <Select value={weeks} onChange={setWeeks} style={{ width: 100 }} aria-label="趋势周数" options={WEEK_CHOICES.map((n) => ({ value: n, label: `近 ${n} 周` }))} />
      </Form.Item>
    }>
      {!trend ? <Typography.Text type="secondary">正在加载…</Typography.Text> : (
        <>
          <EChart option={option} height={320}
            label="每周新开、办结、按时办结、新增超期案件数（实线）和按时办结率（虚线）；数字见下表，点击可查看案件"
            onPick={(p) => {
              const w = rows[p.dataIndex];
              const figure = (p.seriesId === 'closed-rate' ? 'closed' : p.seriesId) as Figure;
              if (w) void navigate(figureLink(figure, filters, { week: w.week }));
            }} />
          <div className="figure-table-wrap">
            <table className="figure-table">
              <caption>每周趋势（数据表）</caption>
              <thead><tr><th scope="col">周</th>{TREND_COLUMNS.map((c) => <th scope="col" key={c.key}>{c.title}</th>)}</tr></thead>
              <tbody>
                {rows.map((w) => (
                  <tr key={w.week}>
                    <th scope="row">{weekLabel(w)}</th>
                    {TREND_COLUMNS.map((c) => (
                      <td key={c.key} data-figure={c.key}>
                        <Link to={figureLink(c.figure, filters, { week: w.week })}>{c.key === 'onTimeRate' ? percent(w.onTimeRate) : w[c.key]}</Link>
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Panel>
  );
}
