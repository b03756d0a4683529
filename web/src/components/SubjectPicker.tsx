/** A subject chosen by searching for a name (for households). */
import { useState } from 'react';
import { Select } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../api/client';

export function SubjectPicker({ value, onChange, exclude }: { value?: string; onChange?: (id: string | undefined) => void; exclude?: string }) {
  const [term, setTerm] = useState('');
  const found = useQuery({
    queryKey: ['subjects', 'pick', term],
    queryFn: () => call(api.GET('/v1/subjects', { params: { query: { name: term, limit: 10 } } })),
    enabled: term.trim().length > 0,
  });
  return (
    <Select
      showSearch allowClear value={value} onChange={onChange} filterOption={false} onSearch={setTerm}
      placeholder="输入姓名查找" notFoundContent={term ? (found.isFetching ? '正在查找…' : '未找到') : '输入姓名查找'}
      options={(found.data?.items ?? []).filter((s) => s.id !== exclude).map((s) => ({ value: s.id, label: `${s.name}（${s.idNumber}，${s.county.label}${s.community ? ` ${s.community}` : ''}）` }))}
      aria-label="查找服务对象"
      style={{ width: '100%', minWidth: 240 }}
    />
  );
}
