/**
 * Where evidence bytes live, behind one interface: a local folder (EVIDENCE_STORE=local, the embedded
 * default: FILES_DIR, or `<DATA_DIR>/files`), or an S3-compatible bucket (EVIDENCE_STORE=s3: MinIO in
 * docker-compose.yml, AWS S3, any S3-protocol server), so API replicas on several machines share them.
 *
 * Both are content-addressed: an object's key is `<sha256[0..2]>/<sha256>`, so the same bytes are
 * stored once. Hashing, limits and the case's scope are the caller's (api/services/evidence.ts).
 */
import { createReadStream } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../config';

export interface EvidenceStorage {
  /** `local` or `s3` (logs, readiness). */
  readonly kind: 'local' | 's3';
  /** A folder for uploads being received (a temporary file each, until it is hashed and checked). */
  readonly tmpDir: string;
  /** Stores the checked file at `path` (a file in tmpDir, consumed) under its sha256; a no-op when those bytes are stored already. */
  put(sha256: string, file: { path: string; size: number; contentType: string }): Promise<void>;
  /** The stored bytes, or undefined when nothing is stored under this sha256. */
  get(sha256: string): Promise<Readable | undefined>;
  close(): Promise<void>;
}

const SHA256_RE = /^[0-9a-f]{64}$/;

/** The content address of a file: `<sha256[0..2]>/<sha256>` (a folder path locally, an object key in S3). */
export function evidenceKey(sha256: string): string {
  if (!SHA256_RE.test(sha256)) throw new RangeError('not a sha256');
  return `${sha256.slice(0, 2)}/${sha256}`;
}

/** The files directory for a configuration: FILES_DIR, or `<DATA_DIR>/files`. */
export function filesDirFor(config: Pick<Config, 'FILES_DIR' | 'DATA_DIR'>): string {
  return resolve(config.FILES_DIR ?? join(config.DATA_DIR, 'files'));
}

/** Files in a folder, `<dir>/<sha256[0..2]>/<sha256>`; uploads are received in `<dir>/tmp` and renamed into place. */
export function localEvidenceStorage(dir: string): EvidenceStorage {
  return {
    kind: 'local',
    tmpDir: join(dir, 'tmp'),
    async put(sha256, file) {
      const path = join(dir, evidenceKey(sha256));
      await mkdir(join(dir, sha256.slice(0, 2)), { recursive: true });
      await rename(file.path, path); // same content, same name: replacing an existing copy changes nothing
    },
    async get(sha256) {
      const path = join(dir, evidenceKey(sha256));
      return (await stat(path).catch(() => undefined)) ? createReadStream(path) : undefined;
    },
    async close() {},
  };
}

export interface S3Settings {
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
}

/** An S3 error saying there is no such object (HEAD answers a bare 404, GET a NoSuchKey). */
const isMissing = (e: unknown) => {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return err?.name === 'NotFound' || err?.name === 'NoSuchKey' || err?.$metadata?.httpStatusCode === 404;
};

/** Objects in an S3-compatible bucket (which must exist: docker-compose.yml's minio-bucket job creates it). */
export function s3EvidenceStorage(s: S3Settings): EvidenceStorage {
  // The SDK (~20 MB resident) is loaded on first use, so the local default never pays for it.
  let sdk: Promise<{ s3: typeof import('@aws-sdk/client-s3'); client: S3Client }> | undefined;
  const connect = () => (sdk ??= import('@aws-sdk/client-s3').then((s3) => ({
    s3,
    client: new s3.S3Client({
      region: s.region,
      forcePathStyle: s.forcePathStyle,
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      ...(s.accessKeyId && s.secretAccessKey ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } } : {}),
    }),
  })));
  return {
    kind: 's3',
    tmpDir: join(tmpdir(), 'doorstep-uploads'),
    async put(sha256, file) {
      const Key = evidenceKey(sha256);
      const { s3, client } = await connect();
      try {
        await client.send(new s3.HeadObjectCommand({ Bucket: s.bucket, Key }));
        return; // those bytes are there already (content addressing: same key, same bytes)
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
      await client.send(new s3.PutObjectCommand({
        Bucket: s.bucket, Key, Body: createReadStream(file.path), ContentLength: file.size, ContentType: file.contentType,
      }));
    },
    async get(sha256) {
      const { s3, client } = await connect();
      try {
        const res = await client.send(new s3.GetObjectCommand({ Bucket: s.bucket, Key: evidenceKey(sha256) }));
        return res.Body as Readable;
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw e;
      }
    },
    async close() {
      if (sdk) (await sdk).client.destroy();
    },
  };
}

/** The storage a configuration names (EVIDENCE_STORE and its variables). */
export function evidenceStorageFor(config: Config): EvidenceStorage {
  if (config.EVIDENCE_STORE === 'local') return localEvidenceStorage(filesDirFor(config));
  if (!config.S3_BUCKET) throw new Error('EVIDENCE_STORE=s3 needs S3_BUCKET (and S3_ENDPOINT for MinIO or another S3-compatible server).');
  return s3EvidenceStorage({
    endpoint: config.S3_ENDPOINT, bucket: config.S3_BUCKET, region: config.S3_REGION,
    accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY, forcePathStyle: config.S3_FORCE_PATH_STYLE,
  });
}
