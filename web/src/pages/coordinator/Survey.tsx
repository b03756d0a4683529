/**
 * 需求摸底: the eligibility questions with the verdict and its reasons updated as they are answered
 * (domain/eligibility.ts, the rule the API applies), the needs with each item's own verdict; recording
 * it opens a case for every one-off need and keeps ongoing needs for a plan.
 */
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Checkbox, Col, Form, Input, InputNumber, List, Radio, Result, Row, Select, Space, Tag, Typography } from 'antd';
import { assessEligibility, assessItemEligibility, ELIGIBILITY_GROUP_LABELS, ELIGIBILITY_QUESTION_LABELS, type EligibilityAnswers, type EligibilityResult } from '../../../../domain/eligibility';
import { api, call, type SurveyView } from '../../api/client';
import { ErrorAlert, markFieldErrors, QueryView } from '../../components/States';
import { useCatalog, useRequestKeys, useSubject } from '../../lib/queries';
import { LinkButton } from '../../components/LinkButton';

const YES_NO = [{ value: true, label: '是' }, { value: false, label: '否' }];
const BOOLEAN_QUESTIONS = ['limitedMobility', 'noCapableCarer', 'blind', 'markedDisability', 'elderlyParentCarer', 'schizophrenia'] as const;

interface NeedValue { itemCode?: string; actionCode?: string; greenChannel?: boolean; notes?: string }
interface Values extends EligibilityAnswers { needs?: NeedValue[] }

function answersOf(v: Values | undefined): EligibilityAnswers {
  const a: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v ?? {})) {
    if (k === 'needs' || x === undefined || x === null || x === '') continue;
    a[k] = typeof x === 'string' ? x.trim() : x;
  }
  if (typeof a.otherDifficulty === 'string' && !a.otherDifficulty) delete a.otherDifficulty;
  return a as EligibilityAnswers;
}

export function Verdict({ result, title }: { result: EligibilityResult; title: string }) {
  return (
    <Alert
      type={result.eligible ? 'success' : result.missing.length ? 'info' : 'warning'} showIcon
      title={`${title}：${result.eligible ? '符合服务条件' : result.missing.length ? '尚待回答' : '不符合服务条件'}`}
      description={
        <div aria-live="polite">
          {result.groups.length > 0 && <div>所属对象：{result.groups.map((g) => ELIGIBILITY_GROUP_LABELS[g]).join('、')}</div>}
          {result.reasons.map((r) => <div key={r}>{r}</div>)}
          {result.missing.length > 0 && <div>还需回答：{result.missing.map((q) => ELIGIBILITY_QUESTION_LABELS[q]).join('、')}</div>}
        </div>
      }
    />
  );
}

export default function Survey() {
  const { id } = useParams();
  const subject = useSubject(id);
  const catalog = useCatalog();
  const [form] = Form.useForm<Values>();
  const values = Form.useWatch([], form) as Values | undefined;
  const keyFor = useRequestKeys();
  // When the survey was taken: when this form was opened (a resend of the same answers is the same request).
  const [surveyedAt] = useState(() => new Date().toISOString());
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [recorded, setRecorded] = useState<SurveyView>();
  const queryClient = useQueryClient();
  const answers = useMemo(() => answersOf(values), [values]);
  const overall = useMemo(() => assessEligibility(answers), [answers]);
  const age = subject.data?.age ?? undefined;

  if (recorded) {
    return (
      <Result status="success" title="摸底已记录" subTitle={recorded.notice}
        extra={<LinkButton to={`/subjects/${recorded.subjectId}`} type="primary">返回服务对象档案</LinkButton>}>
        <List size="small" header="服务需求" dataSource={recorded.needs} renderItem={(n) => (
          <List.Item>
            {n.item.label} · {n.action.label} <Tag>{n.status.label}</Tag>
            {n.caseId && <Link to={`/cases/${n.caseId}`}>查看案件</Link>}
          </List.Item>
        )} />
      </Result>
    );
  }

  const submit = async (v: Values) => {
    setBusy(true);
    setError(undefined);
    try {
      const body = {
        subjectId: id!, surveyedAt, answers: answersOf(v),
        needs: (v.needs ?? []).filter((n) => n.itemCode && n.actionCode).map((n) => ({ itemCode: n.itemCode!, actionCode: n.actionCode!, greenChannel: Boolean(n.greenChannel), ...(n.notes ? { notes: n.notes } : {}) })),
      };
      setRecorded(await call(api.POST('/v1/surveys', { body: body as never, headers: { 'Idempotency-Key': keyFor(body) } })));
      void queryClient.invalidateQueries({ queryKey: ['subject', id] });
      void queryClient.invalidateQueries({ queryKey: ['needs', id] });
      void queryClient.invalidateQueries({ queryKey: ['cases'] });
    } catch (e) {
      markFieldErrors(form, (e as { problem?: { errors?: Array<{ path: string }> } }).problem ? remapAnswers(e) : e);
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <QueryView query={subject}>
      {(s) => (
        <Space direction="vertical" size={16} style={{ width: '100%' }}>
          <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>需求摸底：{s.name}</Typography.Title>
          <ErrorAlert error={error} />
          <Form form={form} layout="vertical" onFinish={submit} initialValues={{
            disabilityCategory: s.certificate?.category?.code, disabilityGrade: s.certificate?.grade?.code, needs: [],
          }}>
            <Row gutter={16}>
              <Col xs={24} lg={14}>
                <Card size="small" title="资格认定问题">
                  <Row gutter={16}>
                    <Col xs={24} sm={12}>
                      <Form.Item label="残疾类别" name="disabilityCategory">
                        <Select allowClear options={catalog.data?.disabilityCategories.map((c) => ({ value: c.code, label: c.label }))} />
                      </Form.Item>
                    </Col>
                    <Col xs={24} sm={12}>
                      <Form.Item label="残疾等级" name="disabilityGrade">
                        <Select allowClear options={catalog.data?.disabilityGrades.map((c) => ({ value: c.code, label: c.label }))} />
                      </Form.Item>
                    </Col>
                    {BOOLEAN_QUESTIONS.map((q) => (
                      <Col xs={24} sm={12} key={q}>
                        <Form.Item label={ELIGIBILITY_QUESTION_LABELS[q]} name={q}>
                          <Radio.Group options={YES_NO} />
                        </Form.Item>
                      </Col>
                    ))}
                    <Col xs={24} sm={12}>
                      <Form.Item label={ELIGIBILITY_QUESTION_LABELS.householdDisabledCount} name="householdDisabledCount">
                        <InputNumber min={1} max={30} style={{ width: '100%' }} />
                      </Form.Item>
                    </Col>
                    <Col xs={24}>
                      <Form.Item label={`${ELIGIBILITY_QUESTION_LABELS.otherDifficulty}（如有，请写明）`} name="otherDifficulty">
                        <Input.TextArea rows={2} maxLength={500} />
                      </Form.Item>
                    </Col>
                  </Row>
                </Card>
              </Col>
              <Col xs={24} lg={10}>
                <div style={{ position: 'sticky', top: 16 }}>
                  <Verdict result={overall} title="资格认定" />
                </div>
              </Col>
            </Row>
            <Card size="small" title="服务需求" style={{ marginTop: 16 }}>
              <Form.List name="needs">
                {(fields, { add, remove }) => (
                  <Space direction="vertical" style={{ width: '100%' }}>
                    {fields.map((f, i) => {
                      const need = values?.needs?.[i];
                      const item = catalog.data?.items.find((x) => x.code === need?.itemCode);
                      const verdict = need?.itemCode ? assessItemEligibility(need.itemCode, answers, { age }) : undefined;
                      return (
                        <Card key={f.key} size="small" type="inner" title={`需求 ${i + 1}${item ? `（${item.ongoing ? '持续性服务，待制定服务计划' : '一次性办理，记录后开案'}）` : ''}`}
                          extra={<Button size="small" onClick={() => remove(f.name)}>删除</Button>}>
                          <Row gutter={16}>
                            <Col xs={24} md={8}>
                              <Form.Item label="服务事项" name={[f.name, 'itemCode']} rules={[{ required: true, message: '请选择服务事项' }]}>
                                <Select showSearch optionFilterProp="label" options={catalog.data?.items.map((x) => ({ value: x.code, label: `${x.number}. ${x.label}` }))}
                                  onChange={() => form.setFieldValue(['needs', f.name, 'actionCode'], undefined)} />
                              </Form.Item>
                            </Col>
                            <Col xs={24} md={8}>
                              <Form.Item label="办理事项" name={[f.name, 'actionCode']} rules={[{ required: true, message: '请选择办理事项' }]}>
                                <Select options={item?.actions.map((a) => ({ value: a.code, label: a.label }))} disabled={!item} />
                              </Form.Item>
                            </Col>
                            <Col xs={24} md={8}>
                              <Form.Item label="绿色通道" name={[f.name, 'greenChannel']} valuePropName="checked">
                                <Checkbox>急需办理，走绿色通道</Checkbox>
                              </Form.Item>
                            </Col>
                            <Col xs={24}><Form.Item label="需求说明" name={[f.name, 'notes']}><Input maxLength={2000} /></Form.Item></Col>
                          </Row>
                          {verdict && item && <Verdict result={verdict} title={`${item.label}的服务对象条件`} />}
                        </Card>
                      );
                    })}
                    {fields.length === 0 && <Typography.Text type="secondary">未添加服务需求：只记录资格认定。一次性需求记录后即开案，持续性需求待制定服务计划。</Typography.Text>}
                    <Button onClick={() => add({})}>添加服务需求</Button>
                  </Space>
                )}
              </Form.List>
            </Card>
            <Button type="primary" htmlType="submit" size="large" loading={busy} style={{ marginTop: 16 }}>记录摸底结果</Button>
          </Form>
        </Space>
      )}
    </QueryView>
  );
}

/** The API names answers as `body.answers.limitedMobility`; the form holds them at the top level. */
function remapAnswers(e: unknown): unknown {
  const err = e as { problem: { errors?: Array<{ path: string; message: string }> } };
  const errors = err.problem.errors?.map((x) => ({ ...x, path: x.path.replace(/^body\.answers\./, 'body.') }));
  return Object.assign(Object.create(Object.getPrototypeOf(e) as object) as object, e, { problem: { ...err.problem, errors } });
}
