/**
 * The building blocks of every response schema (api/schemas/*): a code with its Chinese label, a page
 * of a cursor-paginated list, the problem+json error, and binary (XLSX, CSV, evidence file) bodies.
 *
 * Response schemas do two jobs: the OpenAPI document at /docs shows what each route returns (the
 * consoles' typed client is generated from it), and the serializer (fastify-type-provider-zod) encodes
 * every answer through its schema, so a field the schema does not name never leaves the process.
 * Objects are therefore plain `z.object` (unknown keys are dropped); `z.looseObject` only where the
 * shape is the workflow's own open record (e.g. a timeline event's data).
 */
import { z } from 'zod';

/** A code with its Chinese label: `{ code: 'open', label: '办理中' }`. */
export const labelled = z.object({ code: z.string(), label: z.string() });

/** A code of one vocabulary (domain/vocabulary.ts) with its Chinese label. */
export const labelledOf = <const T extends readonly [string, ...string[]]>(codes: T) => z.object({ code: z.enum(codes), label: z.string() });

/** An instant, ISO 8601 in UTC (`2026-03-01T01:30:00.000Z`). */
export const instant = z.string().meta({ format: 'date-time' });
/** A calendar day, `YYYY-MM-DD` (Asia/Shanghai). */
export const day = z.string().meta({ format: 'date' });

/** The cursor of the next page, or null on the last one. */
export const nextCursor = z.string().nullable().describe('下一页游标；最后一页为 null The next page’s cursor, null on the last page');

/** A page of a cursor-paginated list. */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor });

/** The list answer without pages. */
export const itemsOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

/** One field error of a problem: the dotted path (`body.idNumber`) and the reason. */
export const fieldError = z.object({ path: z.string(), message: z.string(), code: z.string().optional() });

/**
 * An application/problem+json error (RFC 9457, api/problem.ts). Loose: a problem may carry extension
 * members (`existingId`, `surveyId`, `pendingNeeds`, `sharedAt` …).
 */
export const problem = z.looseObject({
  type: z.string(),
  status: z.number().int(),
  title: z.string(),
  detail: z.string().optional(),
  errors: z.array(fieldError).optional(),
}).describe('application/problem+json');

/** The error answers every route may give (4xx: the client's; 5xx: 500, 503 with a Chinese detail). */
export const problemResponses = { '4xx': problem, '5xx': problem } as const;

/** A file's bytes (XLSX, CSV, an evidence file): streamed or sent as a Buffer, never serialized. */
const fileBody: z.ZodType<unknown> = z.any().meta({ type: 'string', format: 'binary' });

type FileContent = Record<string, { schema: typeof fileBody }>;

/** A file body of these media types: not serialized, streamed as it is. */
export function fileResponse(description: string, mediaTypes: readonly string[]): { description: string; content: FileContent } {
  return { description, content: Object.fromEntries(mediaTypes.map((t) => [t, { schema: fileBody }])) };
}

/**
 * A JSON body, or a file of these media types, on the same status (a route with `?format=`): the JSON
 * body is encoded through its schema, the file is streamed as it is.
 */
export function jsonOrFileResponse<T extends z.ZodType>(description: string, json: T, mediaTypes: readonly string[]) {
  const content: FileContent & { 'application/json': { schema: T } } = { ...fileResponse(description, mediaTypes).content, 'application/json': { schema: json } };
  return { description, content };
}

/**
 * No body (204, 304): `send()` without a payload, so nothing is serialized. Typed `null` in the document,
 * which tells @fastify/swagger to list no content (and a fuzzer to expect none).
 */
export const noContent = (description = '无内容 No Content'): z.ZodType<unknown> => z.any().meta({ type: 'null', description });
