/**
 * 拨打电话: phones are masked in lists; a tap asks for the full numbers of the worker's own assigned
 * cases (GET /v1/me/tasks?unmask=true, audited) and dials this one.
 */
import { useState } from 'react';
import { Button } from 'antd';
import { api, call } from '../api/client';
import { errorMessage } from './States';

export function CallButton({ caseId, masked, guardian = false }: { caseId: string; masked: string | null | undefined; guardian?: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [number, setNumber] = useState<string>();
  if (!masked) return null;
  const who = guardian ? '监护人' : '';
  if (number) return <a href={`tel:${number}`} className="call-link">拨打{who}电话 {number}</a>;
  const reveal = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const tasks = await call(api.GET('/v1/me/tasks', { params: { query: { unmask: 'true' } } }));
      const subject = tasks.items.find((t) => t.id === caseId)?.subject;
      const full = guardian ? subject?.guardian?.phone : subject?.phone;
      if (!full) throw new Error('未能取得完整电话号码（案件不在您的任务中）');
      setNumber(full);
      window.location.href = `tel:${full}`;
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span>
      <Button type="primary" ghost loading={busy} onClick={() => void reveal()}>拨打{who}电话 {masked}</Button>
      {error && <span role="alert" style={{ color: '#c41d1d', marginInlineStart: 8 }}>{error}</span>}
    </span>
  );
}
