/** A table of case rows (GET /v1/cases), each linking to its page. */
import { Link } from 'react-router';
import { Table } from 'antd';
import type { CaseRow } from '../api/client';
import { Deadline, StatusTags } from './CaseParts';
import { formatDateTime } from '../lib/format';

export function CaseTable({ rows, loading, empty, linkBase = '/cases' }: { rows: CaseRow[]; loading?: boolean; empty: string; linkBase?: string }) {
  return (
    <Table<CaseRow>
      rowKey="id" dataSource={rows} loading={loading} pagination={false} scroll={{ x: 900 }} locale={{ emptyText: empty }}
      columns={[
        { title: '服务事项', render: (_, c) => <Link to={`${linkBase}/${c.id}`}>{c.item.label} · {c.action.label}</Link> },
        { title: '服务对象', render: (_, c) => c.subject ? `${c.subject.name}（${c.subject.county.label}${c.subject.township ? ` ${c.subject.township}` : ''}）` : '—' },
        { title: '状态', render: (_, c) => <StatusTags c={c} /> },
        { title: '县（市）区', render: (_, c) => c.county.label },
        { title: '承办部门', render: (_, c) => c.department.label },
        { title: '本步骤期限', render: (_, c) => <Deadline dueAt={c.dueAt} open={c.status.code === 'open'} /> },
        { title: '开案时间', render: (_, c) => formatDateTime(c.openedAt) },
      ]}
    />
  );
}
