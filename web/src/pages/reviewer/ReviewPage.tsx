/** 审核: the visit and its evidence (image, video, PDF) beside the decision form. */
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { Card, Col, List, Row, Space, Typography } from 'antd';
import { QueryView } from '../../components/States';
import { CaseTimeline, EvidenceContent } from '../../components/CaseParts';
import { CaseSummary } from '../../components/CaseSummary';
import { ReviewForm } from '../../components/ReviewForm';
import { CaseActions } from '../../components/CaseActions';
import { useCase, useSubject } from '../../lib/queries';
import { formatDateTime } from '../../lib/format';
import type { CaseView } from '../../api/client';

export default function ReviewPage() {
  const { id } = useParams();
  const query = useCase(id);
  return <QueryView query={query}>{(c) => <Review c={c} />}</QueryView>;
}

function Review({ c }: { c: CaseView }) {
  const subject = useSubject(c.subjectId);
  const [index, setIndex] = useState(0);
  const shown = c.evidence[Math.min(index, c.evidence.length - 1)];
  const visit = c.visits.at(-1);
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Link to="/reviews">‹ 审核队列</Link>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>审核：{c.item.label} · {c.action.label}</Typography.Title>
      <CaseSummary c={c} subjectName={subject.data ? `${subject.data.name}（${subject.data.idNumber}）` : undefined} />
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={15}>
          <Card size="small" title={`佐证材料（${c.evidence.length}）`}>
            {c.evidence.length === 0 ? <Typography.Text type="secondary">本案没有佐证材料</Typography.Text> : (
              <Space direction="vertical" style={{ width: '100%' }}>
                <div role="tablist" aria-label="选择佐证材料" style={{ display: 'flex', gap: 8, flexWrap: 'wrap' }}>
                  {c.evidence.map((e, i) => (
                    <button key={e.sha256} type="button" role="tab" aria-selected={e === shown} onClick={() => setIndex(i)}
                      style={{ padding: '4px 10px', borderRadius: 6, border: e === shown ? '2px solid #1458c6' : '1px solid #d9d9d9', background: '#fff', cursor: 'pointer' }}>
                      {e.kind.label} {i + 1}
                    </button>
                  ))}
                </div>
                {shown && <EvidenceContent evidence={shown} />}
              </Space>
            )}
          </Card>
          {visit && (
            <Card size="small" title="上门情况" style={{ marginTop: 16 }}>
              <List size="small" dataSource={[
                `预约时间：${formatDateTime(visit.scheduledAt)}`, `结果：${visit.outcome?.label ?? '未登记'}（${formatDateTime(visit.reportedAt)}）`,
                ...(visit.notes ? [`说明：${visit.notes}`] : []),
              ]} renderItem={(t) => <List.Item>{t}</List.Item>} />
            </Card>
          )}
        </Col>
        <Col xs={24} lg={9}>
          <Card size="small" title="审核意见">
            {c.step.code === 'review' && c.status.code === 'open' ? <ReviewForm view={c} /> : <CaseActions view={c} />}
          </Card>
          <Card size="small" title="办理记录" style={{ marginTop: 16 }}><CaseTimeline c={c} /></Card>
        </Col>
      </Row>
    </Space>
  );
}
