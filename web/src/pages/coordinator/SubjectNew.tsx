/** 登记服务对象: the ID number checked as it is typed (sex and birth date shown from it), the address, contacts, consent, household. */
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { Button, Card, Checkbox, Col, Form, Input, Row, Select, Space, Typography, App as AntApp } from 'antd';
import { api, call } from '../../api/client';
import { ErrorAlert, markFieldErrors } from '../../components/States';
import { IdNumberHint, idNumberRule } from '../../components/IdNumberHint';
import { SubjectPicker } from '../../components/SubjectPicker';
import { useCatalog } from '../../lib/queries';
import { useMe } from '../../session';

interface Values {
  idNumber: string; name: string; county: string; township?: string; community?: string; address?: string; phone?: string;
  certificateNumber?: string; guardianName?: string; guardianPhone?: string; guardianRelation?: string; consentToShare?: boolean;
  householdWithSubjectId?: string; notes?: string;
}

export default function SubjectNew() {
  const me = useMe();
  const [form] = Form.useForm<Values>();
  const idNumber = Form.useWatch('idNumber', form);
  const catalog = useCatalog();
  const navigate = useNavigate();
  const { message } = AntApp.useApp();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const counties = catalog.data?.counties.filter((c) => me.scope.cityLevel || me.scope.counties.some((s) => s.code === c.code)) ?? [];

  const submit = async (v: Values) => {
    setBusy(true);
    setError(undefined);
    const opt = (s?: string) => (s && s.trim() ? s.trim() : undefined);
    try {
      const created = await call(api.POST('/v1/subjects', { body: {
        idNumber: v.idNumber.trim().toUpperCase(), name: v.name.trim(), county: v.county as never,
        township: opt(v.township), community: opt(v.community), address: opt(v.address), phone: opt(v.phone),
        certificateNumber: opt(v.certificateNumber), notes: opt(v.notes), consentToShare: Boolean(v.consentToShare),
        householdWithSubjectId: v.householdWithSubjectId,
        ...(opt(v.guardianName) ? { guardian: { name: v.guardianName!.trim(), phone: opt(v.guardianPhone), relation: opt(v.guardianRelation) } } : {}),
      } as never }));
      message.success(`已登记：${created.name}`);
      void navigate(`/subjects/${created.id}`);
    } catch (e) {
      if (markFieldErrors(form, e)) form.scrollToField(form.getFieldsError().find((f) => f.errors.length)?.name ?? 'idNumber');
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0, fontSize: 20 }}>登记服务对象</Typography.Title>
      <ErrorAlert error={error} />
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ county: counties.length === 1 ? counties[0].code : undefined }} scrollToFirstError>
        <Card size="small" title="身份信息">
          <Row gutter={16}>
            <Col xs={24} md={12}>
              <Form.Item label="身份证号码" name="idNumber" validateDebounce={200} rules={[{ required: true, message: '请输入身份证号码' }, idNumberRule]} extra={<IdNumberHint value={idNumber} />}>
                <Input maxLength={18} autoComplete="off" inputMode="text" />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label="姓名" name="name" rules={[{ required: true, message: '请输入姓名' }]}><Input maxLength={50} /></Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label="残疾人证号（可不填）" name="certificateNumber"><Input maxLength={20} /></Form.Item>
            </Col>
          </Row>
        </Card>
        <Card size="small" title="住址与联系方式" style={{ marginTop: 16 }}>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item label="县（市）区" name="county" rules={[{ required: true, message: '请选择县（市）区' }]}>
                <Select options={counties.map((c) => ({ value: c.code, label: c.label }))} loading={catalog.isPending} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}><Form.Item label="乡镇（街道）" name="township"><Input maxLength={100} /></Form.Item></Col>
            <Col xs={24} md={8}><Form.Item label="村（社区）" name="community"><Input maxLength={100} /></Form.Item></Col>
            <Col xs={24} md={16}><Form.Item label="详细地址" name="address"><Input maxLength={200} /></Form.Item></Col>
            <Col xs={24} md={8}><Form.Item label="联系电话" name="phone"><Input maxLength={20} inputMode="tel" /></Form.Item></Col>
            <Col xs={24} md={8}><Form.Item label="监护人姓名" name="guardianName"><Input maxLength={50} /></Form.Item></Col>
            <Col xs={24} md={8}><Form.Item label="监护人电话" name="guardianPhone"><Input maxLength={20} inputMode="tel" /></Form.Item></Col>
            <Col xs={24} md={8}><Form.Item label="与服务对象关系" name="guardianRelation"><Input maxLength={20} /></Form.Item></Col>
          </Row>
        </Card>
        <Card size="small" title="家庭户与授权" style={{ marginTop: 16 }}>
          <Form.Item label="与已登记的服务对象同户（可不选）" name="householdWithSubjectId">
            <SubjectPicker />
          </Form.Item>
          <Form.Item name="consentToShare" valuePropName="checked">
            <Checkbox>本人（或监护人）已同意在相关部门间共享办理信息</Checkbox>
          </Form.Item>
          <Form.Item label="备注" name="notes"><Input.TextArea rows={2} maxLength={2000} /></Form.Item>
        </Card>
        <Button type="primary" htmlType="submit" loading={busy} size="large" style={{ marginTop: 16 }}>登记</Button>
      </Form>
    </Space>
  );
}
