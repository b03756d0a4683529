/**
 * The 工作情况统计表 (附件3) as the printed form: title, 填报单位 and 统计期间, the two header rows (group
 * labels over the figure columns; single columns spanning both rows), the plan's groups with their 小计,
 * the items, rows carried from the previous quarter, 合计, and the signature line — the layout the API
 * sends (`form`), the same the XLSX download has.
 */
import type { paths } from '../../api/client';
import './forms.css';

export type Form = paths['/v1/reports/quarterly']['get']['responses'][200]['content']['application/json']['form'];

export function PrintedForm({ form, label }: { form: Form; label: string }) {
  // Header cells: a group of span 1 named like its column covers both header rows.
  const merged = new Set<number>();
  let col = 0;
  const top = form.groups.map((g) => {
    const single = g.span === 1 && g.label === form.columns[col];
    if (single) merged.add(col);
    const th = <th key={`g${col}`} scope="col" colSpan={g.span} rowSpan={single ? 2 : 1}>{g.label}</th>;
    col += g.span;
    return th;
  });
  return (
    <div className="printed-form-wrap">
      <h3 className="printed-form-title">{form.title}</h3>
      <div className="printed-form-meta"><span>填报单位：{form.unit}</span><span>统计期间：{form.period}</span></div>
      <table className="printed-form" aria-label={label}>
        <thead>
          <tr>{top}</tr>
          <tr>{form.columns.map((c, i) => (merged.has(i) ? null : <th key={`c${i}`} scope="col">{c}</th>))}</tr>
        </thead>
        <tbody>
          {form.rows.map((r, i) => (
            <tr key={i} className={r[2] === '小计' ? 'subtotal' : String(r[2]).includes('补计') ? 'carried' : undefined}>
              {r.map((v, j) => <td key={j} className={typeof v === 'number' && j >= 3 ? 'num' : undefined}>{v}</td>)}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>{form.totals.map((v, j) => <td key={j} className={typeof v === 'number' ? 'num' : undefined}>{v}</td>)}</tr>
        </tfoot>
      </table>
      <div className="printed-form-footer">{form.footer.filter(Boolean).map((f) => <span key={f}>{f}</span>)}</div>
    </div>
  );
}
