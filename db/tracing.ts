/**
 * SQL spans. postgres.js has no OpenTelemetry instrumentation (and drizzle's own spans stay off without
 * one), so every query the driver runs (drizzle's, raw tagged templates, transactions) is wrapped where
 * they all pass: the query's `handle()`, called once when it is first awaited. The span is a child of
 * the span active where the query was awaited (the request's handler or the activity) and carries the
 * statement text with its `$n` placeholders, never the parameters (those hold personal data).
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import postgres from 'postgres';

interface PendingQuery {
  executed: boolean;
  tagged: boolean;
  strings: string | readonly string[];
  resolve: (x: unknown) => unknown;
  reject: (e: unknown) => unknown;
  handle: () => Promise<void>;
}

let installed = false;

/** Wraps postgres.js query execution in spans (once per process; a no-op tracer makes it free). */
export function instrumentPostgres(): void {
  if (installed) return;
  installed = true;
  const sql = postgres({ max: 1, host: '127.0.0.1', port: 1 });
  const proto = Object.getPrototypeOf(sql`select 1`) as PendingQuery;
  void sql.end({ timeout: 0 });
  const handle = proto.handle;
  const tracer = trace.getTracer('doorstep-postgres');
  proto.handle = function (this: PendingQuery) {
    if (!this.executed && trace.getSpan(context.active())) {
      const statement = statementOf(this);
      const span = tracer.startSpan(`postgres ${statement.split(/\s+/, 1)[0]?.toUpperCase() || 'QUERY'}`, {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system': 'postgresql', 'db.statement': statement },
      });
      const { resolve, reject } = this;
      this.resolve = (x) => {
        span.end();
        return resolve(x);
      };
      this.reject = (e) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message?.slice(0, 200) });
        span.end();
        return reject(e);
      };
    }
    return handle.call(this);
  };
}

/** The statement text with placeholders (a tagged template's parts joined by `$n`), at most 2000 characters. */
function statementOf(q: PendingQuery): string {
  const text = typeof q.strings === 'string' ? q.strings : q.strings.reduce((acc, s, i) => `${acc}$${i}${s}`);
  return text.trim().slice(0, 2000);
}
