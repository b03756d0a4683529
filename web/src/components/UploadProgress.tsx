/** An upload's progress (a native <progress>, light enough for the phone). */
export function UploadProgress({ fraction, label }: { fraction: number; label: string }) {
  const percent = Math.round(fraction * 100);
  return (
    <span style={{ display: 'inline-flex', alignItems: 'center', gap: 6 }}>
      <progress value={percent} max={100} aria-label={`${label} 上传进度`} style={{ width: 140 }} />
      <span>{percent}%</span>
    </span>
  );
}
