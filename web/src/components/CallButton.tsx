/**
 * 拨打电话: phones are masked in lists; a tap asks the API for this one record unmasked (audited,
 * one record per request for a worker) and dials it.
 */
import { useState } from 'react';
import { Button } from 'antd';
import { api, call } from '../api/client';
import { errorMessage } from './States';

export function CallButton({ subjectId, masked, guardian = false }: { subjectId: string; masked: string | null | undefined; guardian?: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [number, setNumber] = useState<string>();
  if (!masked) return null;
  if (number) return <a href={`tel:${number}`} className="ant-btn ant-btn-primary" style={{ padding: '4px 12px', borderRadius: 6 }}>拨打 {number}</a>;
  const reveal = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const s = await call(api.GET('/v1/subjects/{id}', { params: { path: { id: subjectId }, query: { unmask: 'true' } } }));
      const full = guardian ? s.guardian?.phone : s.phone;
      if (full) {
        setNumber(full);
        window.location.href = `tel:${full}`;
      }
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span>
      <Button type="primary" ghost loading={busy} onClick={() => void reveal()}>拨打电话 {masked}</Button>
      {error && <span role="alert" style={{ color: '#cf1322', marginInlineStart: 8 }}>{error}</span>}
    </span>
  );
}
