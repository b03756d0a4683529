/** Loading, empty and error states: no page is ever blank. */
import type { ReactNode } from 'react';
import { Alert, Button, Empty, Skeleton, Spin } from 'antd';
import type { FormInstance } from 'antd';
import type { UseQueryResult } from '@tanstack/react-query';
import { ApiError, NetworkError } from '../api/client';

export function FullPageSpin({ tip = '正在加载…' }: { tip?: string }) {
  return (
    <div style={{ minHeight: '60vh', display: 'grid', placeItems: 'center' }} role="status" aria-live="polite">
      <Spin size="large" description={tip} />
    </div>
  );
}

export function EmptyState({ description, action }: { description: string; action?: ReactNode }) {
  return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={description}>{action}</Empty>;
}

/** A readable Chinese sentence for any failure. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    const p = error.problem;
    if (error.status === 409) return p.detail ? `当前不能办理：${p.detail}` : '当前不能办理';
    if (error.status === 403) return p.detail || '您没有权限办理此事项';
    if (error.status === 404) return p.detail || '未找到，或不在您的管辖范围内';
    if (error.status === 429) return p.detail || '请求过于频繁，请稍后再试';
    if (error.status >= 500) return p.detail || '服务器暂时无法处理，请稍后重试';
    const fields = (p.errors ?? []).map((e) => `${fieldLabel(e.path)}：${e.message}`);
    return [p.detail || p.title, ...fields].filter(Boolean).join('；') || `请求失败（${error.status}）`;
  }
  if (error instanceof NetworkError) return error.message;
  return (error as Error)?.message || '发生未知错误';
}

/** `body.idNumber` → idNumber; `body.guardian.phone` → guardian.phone. */
function fieldLabel(path: string): string {
  return path.replace(/^(body|querystring|params)\.?/, '') || path;
}

export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <Alert
      type="error" showIcon role="alert"
      title={error instanceof ApiError && error.status === 409 ? '当前不能办理' : '操作未成功'}
      description={errorMessage(error)}
      action={onRetry ? <Button size="small" onClick={onRetry}>重试</Button> : undefined}
      style={{ marginBottom: 16 }}
    />
  );
}

/**
 * Marks the fields a 400 names (problem.errors[].path, e.g. `body.idNumber`) on an antd form; returns
 * whether any field was marked (the rest of the message is shown above the form).
 */
export function markFieldErrors(form: FormInstance, error: unknown): boolean {
  if (!(error instanceof ApiError) || !error.problem.errors?.length) return false;
  const known = new Set(Object.keys(form.getFieldsValue(true) as object));
  const fields = error.problem.errors
    .map((e) => ({ name: e.path.replace(/^body\./, '').split('.').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p)), errors: [e.message] }))
    .filter((f) => f.name.length > 0 && known.has(String(f.name[0])));
  form.setFields(fields as never);
  return fields.length > 0;
}

/** Renders a query: skeleton while loading, a readable error with retry, an empty state, or the data. */
export function QueryView<T>({ query, empty, isEmpty, children }: {
  query: UseQueryResult<T>;
  empty?: string;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <div role="status" aria-label="正在加载"><Skeleton active paragraph={{ rows: 4 }} /></div>;
  if (query.isError) {
    if (query.error instanceof ApiError && query.error.status === 404) {
      return <Empty description={<><strong>未找到</strong><div>{errorMessage(query.error)}</div></>} />;
    }
    return <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />;
  }
  if (empty && isEmpty?.(query.data)) return <EmptyState description={empty} />;
  return <>{children(query.data)}</>;
}
