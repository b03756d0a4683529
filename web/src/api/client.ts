/**
 * The typed API client (openapi-fetch over web/src/api/schema.d.ts, generated from the served OpenAPI
 * document). Same origin, session cookie; state-changing requests carry the CSRF token (the
 * `doorstep_csrf` cookie) and, for steps, an Idempotency-Key. Every failure becomes an ApiError with
 * the problem+json body, so a page can show its Chinese detail and mark the field it names.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { paths, components };

/** An RFC 9457 problem as the API answers it. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: Array<{ path: string; message: string; code?: string }>;
  [key: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Problem) {
    super(problem.detail || problem.title || `请求失败（${status}）`);
  }

  /** The session ended (idle or absolute expiry, or logged out elsewhere). */
  get sessionExpired(): boolean {
    return this.status === 401;
  }
}

/** No answer at all: offline, or the server unreachable. */
export class NetworkError extends Error {
  constructor() {
    super('网络连接中断，请检查网络后重试');
  }
}

export function readCookie(name: string): string | undefined {
  const hit = document.cookie.split('; ').find((c) => c.startsWith(`${name}=`));
  return hit ? decodeURIComponent(hit.slice(name.length + 1)) : undefined;
}

/** Headers every state-changing request sends. */
export function csrfHeaders(): Record<string, string> {
  const token = readCookie('doorstep_csrf');
  return token ? { 'X-CSRF-Token': token } : {};
}

type Listener = () => void;
const expiryListeners = new Set<Listener>();
/** Called when any request answers 401: the app returns to the login page with the reason. */
export function onSessionExpired(listener: Listener): () => void {
  expiryListeners.add(listener);
  return () => expiryListeners.delete(listener);
}
export function notifySessionExpired(): void {
  for (const l of expiryListeners) l();
}

const session: Middleware = {
  onRequest({ request }) {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
      for (const [k, v] of Object.entries(csrfHeaders())) request.headers.set(k, v);
    }
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !new URL(request.url).pathname.startsWith('/v1/auth/login')) notifySessionExpired();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(session);

/**
 * The data of an openapi-fetch call, or an ApiError / NetworkError: `const c = await call(api.GET('/v1/cases/{id}', …))`.
 */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await request;
  } catch {
    throw new NetworkError();
  }
  if (!result.response.ok) {
    const problem = (result.error && typeof result.error === 'object' ? result.error : { detail: String(result.error ?? '') }) as Problem;
    throw new ApiError(result.response.status, problem);
  }
  return result.data as T;
}

/** A fresh Idempotency-Key for a step (kept with the request when it waits in the offline queue). */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

export type CaseView = paths['/v1/cases/{id}']['get']['responses'][200]['content']['application/json'];
export type CaseRow = paths['/v1/cases']['get']['responses'][200]['content']['application/json']['items'][number];
export type SubjectView = paths['/v1/subjects/{id}']['get']['responses'][200]['content']['application/json'];
export type Me = paths['/v1/me']['get']['responses'][200]['content']['application/json'];
export type Catalog = paths['/v1/catalog']['get']['responses'][200]['content']['application/json'];
export type SurveyView = paths['/v1/surveys/{id}']['get']['responses'][200]['content']['application/json'];
