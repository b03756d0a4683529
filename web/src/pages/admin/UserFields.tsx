/** The fields a user is created and edited with: name, role and scope (counties, departments, city level). */
import { Form, Input, Select, Switch } from 'antd';
import { ROLE_LABELS } from '../../../../domain/vocabulary';
import { useCatalog } from '../../lib/queries';
import { useMe } from '../../session';

export const ROLE_OPTIONS = Object.entries(ROLE_LABELS).map(([value, label]) => ({ value, label }));

export interface UserFormValues {
  displayName: string;
  role: string;
  cityLevel: boolean;
  counties: string[];
  departments: string[];
}

/** The scope as the form holds it, from a user's view. */
export function scopeValues(u: { displayName: string; role: { code: string }; scope: { cityLevel: boolean; counties: Array<{ code: string }>; departments: Array<{ code: string }> } }): UserFormValues {
  return {
    displayName: u.displayName, role: u.role.code, cityLevel: u.scope.cityLevel,
    counties: u.scope.counties.map((c) => c.code), departments: u.scope.departments.map((d) => d.code),
  };
}

/**
 * The fields; the scope offered is the admin's own (a county admin grants only their counties and, if
 * they have any, their departments — the API refuses more, naming the field).
 */
export function UserFields() {
  const catalog = useCatalog();
  const me = useMe();
  const cityLevel = Form.useWatch<boolean>('cityLevel');
  const mine = (own: Array<{ code: string }>, all: boolean) => (code: string) => all || own.some((x) => x.code === code);
  const myCounty = mine(me.scope.counties, me.scope.cityLevel);
  const myDepartment = mine(me.scope.departments, me.scope.departments.length === 0);
  return (
    <>
      <Form.Item label="姓名" name="displayName" rules={[{ required: true, whitespace: true, message: '请填写姓名' }, { max: 100 }]}>
        <Input maxLength={100} />
      </Form.Item>
      <Form.Item label="角色" name="role" rules={[{ required: true, message: '请选择角色' }]}>
        <Select options={ROLE_OPTIONS} placeholder="请选择" />
      </Form.Item>
      <Form.Item label="市级用户（全市范围）" name="cityLevel" valuePropName="checked" extra="市级用户可见全市六个县（市）区；否则须指定县（市）区。">
        <Switch checkedChildren="市级" unCheckedChildren="县级" disabled={!me.scope.cityLevel} />
      </Form.Item>
      <Form.Item
        label="县（市）区" name="counties"
        rules={[{ validator: async (_, v: string[] | undefined) => { if (!cityLevel && !v?.length) throw new Error('请至少选择一个县（市）区，或设为市级用户'); } }]}
      >
        <Select mode="multiple" allowClear disabled={cityLevel} placeholder={cityLevel ? '市级用户：全市' : '请选择'} options={catalog.data?.counties.filter((c) => myCounty(c.code)).map((c) => ({ value: c.code, label: c.label })) ?? []} />
      </Form.Item>
      <Form.Item label="部门" name="departments" extra={me.scope.departments.length ? '您只能授予自己范围内的部门。' : '不选：本范围内的全部部门。'}>
        <Select mode="multiple" allowClear placeholder="全部部门" options={catalog.data?.departments.filter((d) => myDepartment(d.code)).map((d) => ({ value: d.code, label: d.label })) ?? []} />
      </Form.Item>
    </>
  );
}
