/** One filter of a list page: a labelled, clearable select whose value lives in the URL (lib/urlFilters). */
import { Form, Select } from 'antd';

export function FilterSelect({ label, value, onChange, options, width = 140 }: {
  label: string;
  value: string | undefined;
  onChange: (v: string | undefined) => void;
  options: Array<{ value: string; label: string }>;
  width?: number;
}) {
  return (
    <Form.Item label={label}>
      <Select allowClear value={value} onChange={(v: string | undefined) => onChange(v)} options={options} style={{ width }} placeholder="全部" aria-label={label} />
    </Form.Item>
  );
}
