/** 签字确认: the person signs on the screen with a finger; saved as a PNG like any other evidence. */
import { useEffect, useRef, useState } from 'react';
import { Button, Space } from 'antd';

export function SignaturePad({ onSave }: { onSave: (png: Blob) => void | Promise<void> }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [drawn, setDrawn] = useState(false);
  const last = useRef<{ x: number; y: number } | undefined>(undefined);

  useEffect(() => {
    const c = canvas.current!;
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, c.width, c.height);
  }, []);

  const point = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * e.currentTarget.width, y: ((e.clientY - r.top) / r.height) * e.currentTarget.height };
  };
  const clear = () => {
    const c = canvas.current!;
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, c.width, c.height);
    setDrawn(false);
  };
  const save = () => canvas.current!.toBlob((b) => { if (b) void Promise.resolve(onSave(b)).then(clear); }, 'image/png');

  return (
    <div>
      <canvas
        ref={canvas} width={600} height={220} aria-label="签字区域：请服务对象或监护人在此签字"
        style={{ width: '100%', maxWidth: 600, height: 'auto', aspectRatio: '600 / 220', border: '1px dashed #8c8c8c', borderRadius: 6, touchAction: 'none', background: '#fff' }}
        onPointerDown={(e) => { e.currentTarget.setPointerCapture(e.pointerId); last.current = point(e); }}
        onPointerMove={(e) => {
          if (!last.current) return;
          const p = point(e);
          const ctx = e.currentTarget.getContext('2d')!;
          ctx.strokeStyle = '#111';
          ctx.lineWidth = 3;
          ctx.lineCap = 'round';
          ctx.beginPath();
          ctx.moveTo(last.current.x, last.current.y);
          ctx.lineTo(p.x, p.y);
          ctx.stroke();
          last.current = p;
          setDrawn(true);
        }}
        onPointerUp={() => { last.current = undefined; }}
      />
      <Space style={{ marginTop: 8 }}>
        <Button onClick={clear} disabled={!drawn}>重写</Button>
        <Button type="primary" onClick={save} disabled={!drawn}>保存签字</Button>
      </Space>
    </div>
  );
}
