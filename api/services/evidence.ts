/**
 * The evidence store: files of home visits (photos, videos, documents), stored content-addressed as
 * `<sha256[0..2]>/<sha256>` in the configured storage (api/services/evidenceStorage.ts: a local folder
 * or an S3-compatible bucket), so a file uploaded twice is stored once; the `evidence_files` table
 * links each file to the cases it was uploaded to, and a download is served only through that link.
 *
 * Limits: the size limit (UPLOAD_LIMIT_BYTES) is enforced while streaming (nothing larger is ever
 * kept), and only the types below are accepted — checked against the file's first bytes too, so a
 * renamed executable is not stored as a "photo".
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { evidenceFiles } from '../../db/schema';
import type { EvidenceStorage } from './evidenceStorage';

/** Accepted content types, with a Chinese label and a check of the file's first bytes. */
export const EVIDENCE_TYPES: Readonly<Record<string, { label: string; sniff: (head: Buffer) => boolean }>> = Object.freeze({
  'image/jpeg': { label: 'JPEG 图片', sniff: (h) => h.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])) },
  'image/png': { label: 'PNG 图片', sniff: (h) => h.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  'image/webp': { label: 'WebP 图片', sniff: (h) => h.toString('latin1', 0, 4) === 'RIFF' && h.toString('latin1', 8, 12) === 'WEBP' },
  'image/heic': { label: 'HEIC 图片', sniff: (h) => h.toString('latin1', 4, 8) === 'ftyp' && /^(heic|heix|mif1|msf1)$/.test(h.toString('latin1', 8, 12)) },
  'video/mp4': { label: 'MP4 视频', sniff: (h) => h.toString('latin1', 4, 8) === 'ftyp' },
  'video/quicktime': { label: 'MOV 视频', sniff: (h) => ['ftyp', 'moov', 'mdat', 'wide', 'free'].includes(h.toString('latin1', 4, 8)) },
  'application/pdf': { label: 'PDF 文档', sniff: (h) => h.toString('latin1', 0, 5) === '%PDF-' },
});

/** Why an upload was refused. */
export class EvidenceRejected extends Error {
  constructor(public readonly reason: 'too_large' | 'type_not_allowed' | 'content_mismatch' | 'empty', message: string) {
    super(message);
  }
}

export interface EvidenceStore { db: Db; storage: EvidenceStorage; maxBytes: number }

const SHA256_RE = /^[0-9a-f]{64}$/;

/** A stored file's description. */
export interface StoredEvidence { sha256: string; size: number; contentType: string }

/**
 * Streams an upload into the store: hashes it, enforces the size limit and the content type, moves
 * it to its content address, and links it to the case (idempotent: the same file again is a no-op).
 */
export async function storeEvidence(
  store: EvidenceStore,
  upload: { caseId: string; uploadedBy: string; contentType: string; stream: Readable },
): Promise<StoredEvidence> {
  const contentType = upload.contentType.split(';')[0].trim().toLowerCase();
  const type = EVIDENCE_TYPES[contentType];
  if (!type) {
    upload.stream.resume();
    throw new EvidenceRejected('type_not_allowed', `不支持的文件类型 ${contentType}，可上传：${Object.keys(EVIDENCE_TYPES).join('、')}`);
  }
  await mkdir(store.storage.tmpDir, { recursive: true });
  const tmp = join(store.storage.tmpDir, randomUUID());
  const hash = createHash('sha256');
  let size = 0;
  let head = Buffer.alloc(0);
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > store.maxBytes) return done(new EvidenceRejected('too_large', `文件超过大小上限 ${store.maxBytes} 字节`));
      if (head.length < 16) head = Buffer.concat([head, chunk.subarray(0, 16 - head.length)]);
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(upload.stream, meter, createWriteStream(tmp));
    // @fastify/multipart ends a stream at its own limit and marks it truncated instead of failing.
    if ((upload.stream as Readable & { truncated?: boolean }).truncated) throw new EvidenceRejected('too_large', `文件超过大小上限 ${store.maxBytes} 字节`);
    if (size === 0) throw new EvidenceRejected('empty', '文件为空');
    if (!type.sniff(head)) throw new EvidenceRejected('content_mismatch', `文件内容与声明的类型 ${contentType} 不符`);
    const sha256 = hash.digest('hex');
    await store.storage.put(sha256, { path: tmp, size, contentType });
    await store.db.insert(evidenceFiles)
      .values({ caseId: upload.caseId, sha256, size, contentType, uploadedBy: upload.uploadedBy })
      .onConflictDoNothing();
    return { sha256, size, contentType };
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * The case's evidence row for a sha256 and a stream of its bytes: `undefined` when the case has no such
 * file, `missing` when the case has it but the storage does not (lost or not yet replicated: a 404 to
 * the client, an error line for the operators).
 */
export async function openEvidence(store: EvidenceStore, caseId: string, sha256: string): Promise<(StoredEvidence & { stream: Readable }) | 'missing' | undefined> {
  if (!SHA256_RE.test(sha256)) return undefined;
  const [row] = await store.db.select().from(evidenceFiles)
    .where(and(eq(evidenceFiles.caseId, caseId), eq(evidenceFiles.sha256, sha256))).limit(1);
  if (!row) return undefined;
  const stream = await store.storage.get(sha256);
  if (!stream) return 'missing';
  return { sha256, size: row.size, contentType: row.contentType, stream };
}

/** Which of these sha256s were uploaded to the case. */
export async function caseEvidence(db: Db, caseId: string, sha256s: string[]): Promise<Map<string, { size: number; contentType: string }>> {
  if (sha256s.length === 0) return new Map();
  const rows = await db.select().from(evidenceFiles)
    .where(and(eq(evidenceFiles.caseId, caseId), inArray(evidenceFiles.sha256, sha256s)));
  return new Map(rows.map((r) => [r.sha256, { size: r.size, contentType: r.contentType }]));
}
