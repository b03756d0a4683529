/** 案件详情: summary and deadline, the steps, every action for the caller, evidence, the timeline. */
import { Link, useParams } from 'react-router';
import { Card, Col, Row, Space, Typography } from 'antd';
import { QueryView } from '../../components/States';
import { CaseActions } from '../../components/CaseActions';
import { CaseTimeline, EvidenceThumbs } from '../../components/CaseParts';
import { CaseSteps, CaseSummary } from '../../components/CaseSummary';
import { useCase, useSubject } from '../../lib/queries';

export default function CasePage() {
  const { id } = useParams();
  const query = useCase(id);
  const subject = useSubject(query.data?.subjectId);
  return (
    <QueryView query={query}>
      {(c) => (
        <Space direction="vertical" size={16} style={{ width: '100%' }}>
          <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>
            案件：{c.item.label} · {c.action.label}
          </Typography.Title>
          <CaseSummary c={c} subjectName={subject.data ? `${subject.data.name}（${subject.data.idNumber}）` : undefined} />
          {subject.data && <Link to={`/subjects/${c.subjectId}`}>查看服务对象档案</Link>}
          <Card size="small" title="办理进度"><CaseSteps c={c} /></Card>
          <Card size="small" title="可办理的操作"><CaseActions view={c} /></Card>
          <Row gutter={[16, 16]}>
            <Col xs={24} lg={12}><Card size="small" title={`佐证材料（${c.evidence.length}）`}><EvidenceThumbs c={c} /></Card></Col>
            <Col xs={24} lg={12}><Card size="small" title="办理记录"><CaseTimeline c={c} /></Card></Col>
          </Row>
        </Space>
      )}
    </QueryView>
  );
}
