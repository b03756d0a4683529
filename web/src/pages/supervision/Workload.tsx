/**
 * 工作量: open cases per worker in scope (unassigned as one row), most overdue first, each figure a link
 * to the cases behind it — GET /v1/supervision/workload.
 */
import { Link } from 'react-router';
import { Space, Table, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api, call, type paths } from '../../api/client';
import { ErrorAlert } from '../../components/States';
import { formatDateTime } from '../../lib/format';
import { FilterBar, figureLink, SupervisionHeader, useFilters, type Figure } from './shared';

type Row = paths['/v1/supervision/workload']['get']['responses'][200]['content']['application/json']['items'][number];

export default function Workload() {
  const { filters, set } = useFilters();
  const q = useQuery({ queryKey: ['supervision', 'workload', filters], queryFn: () => call(api.GET('/v1/supervision/workload', { params: { query: filters as never } })) });
  const rows = q.data?.items ?? [];
  // The unassigned row's cases: assignee=none (the API's filter for cases no one is assigned).
  const cell = (figure: Figure, r: Row, value: number) => <Link to={figureLink(figure, filters, { assignee: r.assignee?.id ?? 'none' })}>{value}</Link>;
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <SupervisionHeader title="工作人员工作量" filters={filters} />
      <FilterBar filters={filters} set={set} />
      <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />
      <Typography.Text type="secondary">在办案件按经办人统计，逾期多的在前；未分派的案件合为一行。</Typography.Text>
      <Table<Row>
        className="supervision-table"
        rowKey={(r) => r.assignee?.id ?? '-'} dataSource={rows} loading={q.isPending} pagination={false} size="middle" scroll={{ x: 700 }}
        locale={{ emptyText: '没有在办案件' }}
        columns={[
          { title: '经办人', render: (_, r) => r.label },
          { title: '在办', align: 'right', render: (_, r) => cell('open', r, r.open) },
          { title: '逾期', align: 'right', render: (_, r) => cell('overdue', r, r.overdue) },
          { title: '本周到期', align: 'right', render: (_, r) => cell('dueThisWeek', r, r.dueThisWeek) },
          { title: '最近的期限', render: (_, r) => formatDateTime(r.nextDueAt) },
        ]}
      />
    </Space>
  );
}
