/** Where a rule comes from: 方案规定 (the plan, blue) or 本地设定 (a local setting, gold). */
import { Tag } from 'antd';

export function RuleTag({ tag }: { tag: { code: string; label: string } }) {
  return <Tag color={tag.code === 'plan' ? 'blue' : 'gold'}>{tag.label}</Tag>;
}
