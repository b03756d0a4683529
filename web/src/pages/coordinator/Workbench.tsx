/** 工作台: today's figures for the coordinator's scope, each a link to the matching list. */
import { Link } from 'react-router';
import { Card, Col, Row, Space, Statistic, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import { ErrorAlert } from '../../components/States';
import { CaseTable } from '../../components/CaseTable';
import { shanghaiDate } from '../../lib/format';
import { useMe, scopeText } from '../../session';
import { LinkButton } from '../../components/LinkButton';

export default function Workbench() {
  const me = useMe();
  const summary = useQuery({ queryKey: ['summary'], queryFn: () => call(api.GET('/v1/supervision/summary')) });
  const waiting = useQuery({ queryKey: ['cases', 'assignment'], queryFn: () => call(api.GET('/v1/cases', { params: { query: { step: 'assignment', status: 'open', limit: 100 } } })) });
  const recent = useQuery({ queryKey: ['cases', 'recent'], queryFn: () => call(api.GET('/v1/cases', { params: { query: { status: 'open', limit: 100 } } })) });
  const today = shanghaiDate(new Date());
  const openedToday = recent.data?.items.filter((c) => shanghaiDate(new Date(c.openedAt)) === today).length;
  const count = (n: number | undefined, more?: string | null) => (n === undefined ? undefined : more ? `${n}+` : n);
  const t = summary.data?.totals;

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>工作台 · {today}</Typography.Title>
      <Typography.Text type="secondary">{me.displayName}，您的管辖范围：{scopeText(me)}</Typography.Text>
      <ErrorAlert error={summary.error ?? waiting.error} onRetry={() => { void summary.refetch(); void waiting.refetch(); }} />
      <Row gutter={[16, 16]}>
        {[
          { title: '今日新开案', value: openedToday, to: '/cases?status=open' },
          { title: '待分派', value: count(waiting.data?.items.length, waiting.data?.nextCursor), to: '/cases?step=assignment' },
          { title: '办理中', value: t?.open, to: '/cases?status=open' },
          { title: '已超期', value: t?.overdue, to: '/cases?overdue=true', danger: true },
          { title: '本周到期', value: t?.dueThisWeek, to: '/cases?status=open' },
          { title: '本月办结', value: t?.closedThisMonth, to: '/cases?status=closed' },
        ].map((s) => (
          <Col key={s.title} xs={12} md={8} xl={4}>
            <Link to={s.to} className="card-link" aria-label={`${s.title}：${s.value ?? '加载中'}`}>
              <Card hoverable size="small">
                <Statistic title={s.title} value={s.value ?? '—'} loading={s.value === undefined && !summary.isError} valueStyle={s.danger && Number(s.value) > 0 ? { color: '#cf1322' } : undefined} />
              </Card>
            </Link>
          </Col>
        ))}
      </Row>
      {t?.onTimeRate !== undefined && t?.onTimeRate !== null && (
        <Typography.Text>本月按期办结率：{(t.onTimeRate * 100).toFixed(1)}%</Typography.Text>
      )}
      <Typography.Title level={3} style={{ fontSize: 16, margin: '8px 0 0' }}>待分派的案件</Typography.Title>
      <CaseTable rows={waiting.data?.items.slice(0, 10) ?? []} loading={waiting.isPending} empty="没有待分派的案件" />
      <Space wrap>
        <LinkButton to="/subjects/new" type="primary">登记服务对象</LinkButton>
        <LinkButton to="/subjects">查找服务对象</LinkButton>
        <LinkButton to="/cases">案件列表</LinkButton>
      </Space>
    </Space>
  );
}
