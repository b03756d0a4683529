/** Small pieces of the plan pages: a checked period's verdict as a tag. */
import { Tag, Tooltip } from 'antd';

export interface Verdict {
  period: string;
  partial: boolean;
  sessions: number;
  qualifying: number;
  required: number;
  compliant: boolean;
  verdict: { code: string; label: string };
  shortfall: string | null;
}

/** 2026-11 2/4 未达标 (red) or 2026-10 4/4 达标 (green); the shortfall in the tooltip. `bare`: the verdict only (in a row that names the period and the counts). */
export function PeriodVerdict({ v, bare }: { v: Verdict; bare?: boolean }) {
  const tag = (
    <Tag color={v.compliant ? 'green' : 'red'} style={{ marginInlineEnd: 0 }}>
      {bare ? v.verdict.label : `${v.period} ${v.qualifying}/${v.required} ${v.verdict.label}`}{v.partial ? '（按比例）' : ''}
    </Tag>
  );
  return v.shortfall ? <Tooltip title={v.shortfall}>{tag}</Tooltip> : tag;
}
