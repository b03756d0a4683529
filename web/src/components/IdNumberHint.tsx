/** What an ID number says, as it is typed: sex, birth date and region, or the one thing wrong with it (domain/idNumber.ts). */
import { Typography } from 'antd';
import { parseIdNumber } from '../../../domain/idNumber';
import { shanghaiDate } from '../lib/format';

export function IdNumberHint({ value }: { value: string | undefined }) {
  const v = (value ?? '').trim();
  if (!v) return null;
  const parsed = parseIdNumber(v, { today: shanghaiDate(new Date()) });
  if (!parsed.ok) {
    return v.length < 18 ? <Typography.Text type="secondary">已输入 {v.length} 位，共 18 位</Typography.Text> : null;
  }
  const { sex, birthDate } = parsed.value;
  return (
    <Typography.Text type="success" data-testid="id-info">
      ✓ 号码有效：{sex === 'male' ? '男' : '女'}，出生日期 {birthDate}
    </Typography.Text>
  );
}

/** An antd rule: the Chinese reason an ID number is invalid. */
export const idNumberRule = {
  validator: async (_: unknown, value: string | undefined) => {
    if (!value) return;
    const parsed = parseIdNumber(value, { today: shanghaiDate(new Date()) });
    if (!parsed.ok) throw new Error(parsed.message);
  },
};
