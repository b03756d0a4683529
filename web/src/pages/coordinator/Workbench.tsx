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
  const figures = useQuery({ queryKey: ['workbench'], queryFn: () => call(api.GET('/v1/workbench')) });
  const waiting = useQuery({ queryKey: ['cases', 'assignment'], queryFn: () => call(api.GET('/v1/cases', { params: { query: { step: 'assignment', status: 'open', limit: 10 } } })) });
  const f = figures.data?.scope;

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>工作台 · {figures.data ? figures.data.today : shanghaiDate(new Date())}</Typography.Title>
      <Typography.Text type="secondary">{me.displayName}，您的管辖范围：{scopeText(me)}</Typography.Text>
      <ErrorAlert error={figures.error} onRetry={() => void figures.refetch()} />
      <Row gutter={[16, 16]}>
        {[
          { title: '今日新开案', value: f?.openedToday, to: '/cases?status=open' },
          { title: '今日到期', value: f?.dueToday, to: '/cases?status=open', danger: true },
          { title: '已超期', value: f?.overdue, to: '/cases?overdue=true', danger: true },
          { title: '待分派', value: f?.awaitingAssignment, to: '/cases?step=assignment' },
          { title: '待上门', value: f?.awaitingVisit, to: '/cases?step=visit' },
          { title: '待审核', value: f?.awaitingReview, to: '/cases?step=review' },
          { title: '待送达', value: f?.awaitingDelivery, to: '/cases?step=delivery' },
          { title: '容缺待补', value: f?.supplementsOutstanding, to: '/cases?status=open' },
          { title: '办理中', value: f?.open, to: '/cases?status=open' },
          { title: '绿色通道', value: f?.greenChannel, to: '/cases?greenChannel=true&status=open' },
          { title: '暂停中', value: f?.onHold, to: '/cases?status=open' },
          { title: '今日办结', value: f?.closedToday, to: '/cases?status=closed' },
        ].map((s) => (
          <Col key={s.title} xs={12} md={6} xl={4}>
            <Link to={s.to} className="card-link" aria-label={`${s.title}：${s.value ?? '加载中'}`}>
              <Card hoverable size="small">
                <Statistic title={s.title} value={s.value ?? '—'} loading={figures.isPending} valueStyle={s.danger && Number(s.value) > 0 ? { color: '#c41d1d' } : undefined} />
              </Card>
            </Link>
          </Col>
        ))}
      </Row>
      <Typography.Title level={3} style={{ fontSize: 16, margin: '8px 0 0' }}>待分派的案件</Typography.Title>
      <ErrorAlert error={waiting.error} onRetry={() => void waiting.refetch()} />
      <CaseTable rows={waiting.data?.items ?? []} loading={waiting.isPending} empty="没有待分派的案件" />
      <Space wrap>
        <LinkButton to="/subjects/new" type="primary">登记服务对象</LinkButton>
        <LinkButton to="/subjects">查找服务对象</LinkButton>
        <LinkButton to="/cases">案件列表</LinkButton>
      </Space>
    </Space>
  );
}
