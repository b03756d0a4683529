/** A titled section (a light stand-in for antd's Card on the phone's pages: a heading, an optional corner, a body). */
import { useId, type ReactNode } from 'react';

export function Panel({ title, extra, children }: { title?: ReactNode; extra?: ReactNode; children: ReactNode }) {
  const id = useId();
  return (
    <section className="panel" aria-labelledby={title ? id : undefined}>
      {title && (
        <div className="panel-head">
          <h3 id={id}>{title}</h3>
          {extra}
        </div>
      )}
      <div className="panel-body">{children}</div>
    </section>
  );
}
