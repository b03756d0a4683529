/** A minimal JSON client for the API over real HTTP on loopback (Node's fetch keeps connections alive). */

export interface HttpAnswer { status: number; body: any }

/** Sends a JSON request; throws on a status outside `expect` with the problem's detail. */
export async function call(
  base: string, method: string, path: string, token: string, body?: unknown, opts: { expect?: number[]; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any = text;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
  const ok = opts.expect ? opts.expect.includes(res.status) : res.status >= 200 && res.status < 300;
  if (!ok) throw new Error(`${method} ${path} → ${res.status}: ${typeof parsed === 'object' ? parsed?.detail ?? parsed?.title ?? text : text}`.slice(0, 300));
  return { status: res.status, body: parsed };
}
