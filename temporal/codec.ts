/**
 * The payload codec: AES-256-GCM over every payload that the client and the worker send to Temporal,
 * so the workflow history holds no personal data in plain text. Each encrypted payload names its key
 * in its metadata (`encryption-key-id`), so keys can rotate: the first key encrypts, every key decrypts.
 *
 * Wire format of an encrypted payload (the layout of Temporal's own encryption samples):
 *   metadata: { encoding: "binary/encrypted", "encryption-key-id": <key id>, "workflow-id": <owner> }
 *   data:     12-byte IV ‖ AES-256-GCM ciphertext of the original Payload protobuf ‖ 16-byte tag
 * `workflow-id` names the workflow that owns the payload (the SDK's serialization context; `case-<id>`
 * or `plan-<id>`, no personal data) so that the codec endpoint can decode by the caller's scope; it is
 * bound into the tag with the key id, so a payload cannot be relabelled to another workflow. Payloads
 * written without it (before it existed, or without a context) still decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec, type SerializationContext } from '@temporalio/common';
import proto from '@temporalio/proto';

// @temporalio/proto is CommonJS: Node's ESM loader (bin/* under tsx) cannot see its named exports.
const { temporal } = proto;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const WORKFLOW_ID_METADATA = 'workflow-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface PayloadKey { id: string; key: Buffer }

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Parses PAYLOAD_KEYS: `keyId:base64(32 bytes)[,keyId:base64(32 bytes)…]`. Throws a readable error
 * (never echoing key material) on a malformed list, a key that is not 32 bytes, or a repeated id.
 */
export function parsePayloadKeys(spec: string): PayloadKey[] {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new Error('PAYLOAD_KEYS is empty: expected keyId:base64key[,keyId:base64key…]');
  const seen = new Set<string>();
  return parts.map((part, i) => {
    const colon = part.indexOf(':');
    if (colon <= 0) throw new Error(`PAYLOAD_KEYS entry ${i + 1}: expected keyId:base64key`);
    const id = part.slice(0, colon);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new Error(`PAYLOAD_KEYS entry ${i + 1}: key id must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    if (seen.has(id)) throw new Error(`PAYLOAD_KEYS: key id ${id} appears twice`);
    seen.add(id);
    const b64 = part.slice(colon + 1);
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) throw new Error(`PAYLOAD_KEYS key ${id}: not base64`);
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32) throw new Error(`PAYLOAD_KEYS key ${id}: must be 32 bytes (AES-256), got ${key.length}`);
    return { id, key };
  });
}

/** A fresh key entry for PAYLOAD_KEYS (used by bin/dev and bin/admin). */
export function generatePayloadKey(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

/** Thrown when a payload cannot be decrypted: unknown key id, or tampered/corrupt data. */
export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

/** The authenticated data of a payload: its key id, and its owning workflow when it names one. */
const additionalData = (keyId: string, workflowId: string | undefined): Uint8Array =>
  encoder.encode(workflowId === undefined ? keyId : `${keyId}\n${workflowId}`);

/** The workflow an encrypted payload names in its metadata (undefined: none). */
export function payloadWorkflowId(payload: Payload): string | undefined {
  const raw = payload.metadata?.[WORKFLOW_ID_METADATA];
  return raw ? decoder.decode(raw) : undefined;
}

/** AES-256-GCM payload codec with key rotation: encrypts with the first key, decrypts with any. */
export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly current: PayloadKey;

  constructor(keys: PayloadKey[]) {
    if (keys.length === 0) throw new Error('EncryptionCodec needs at least one key');
    this.current = keys[0];
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** Builds a codec from a PAYLOAD_KEYS string. */
  static fromSpec(spec: string): EncryptionCodec {
    return new EncryptionCodec(parsePayloadKeys(spec));
  }

  /** The id of the key that encrypts new payloads. */
  get currentKeyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    const workflowId = context?.workflowId;
    return payloads.map((p) => this.encryptOne(p, workflowId));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decryptOne(p));
  }

  private encryptOne(payload: Payload, workflowId: string | undefined): Payload {
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    // The key id (and the owning workflow) are bound into the tag, so a payload cannot be relabelled.
    cipher.setAAD(additionalData(this.current.id, workflowId));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: encoder.encode(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: encoder.encode(this.current.id),
        ...(workflowId ? { [WORKFLOW_ID_METADATA]: encoder.encode(workflowId) } : {}),
      },
      data: new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()])),
    };
  }

  private decryptOne(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    // Payloads written before encryption was turned on pass through unchanged.
    if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const rawKeyId = payload.metadata?.[KEY_ID_METADATA];
    if (!rawKeyId) throw new PayloadDecryptionError('encrypted payload without a key id');
    const keyId = decoder.decode(rawKeyId);
    const key = this.byId.get(keyId);
    if (!key) throw new PayloadDecryptionError(`no payload key with id ${JSON.stringify(keyId.slice(0, 64))} (add it to PAYLOAD_KEYS)`);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload too short');
    const iv = data.subarray(0, IV_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const body = data.subarray(IV_BYTES, data.length - TAG_BYTES);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(additionalData(keyId, payloadWorkflowId(payload)));
      decipher.setAuthTag(tag);
      plain = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`payload does not authenticate under key ${keyId} (tampered or wrong key)`);
    }
    const decoded = temporal.api.common.v1.Payload.decode(plain);
    return { metadata: decoded.metadata ?? {}, data: decoded.data ?? new Uint8Array() };
  }
}
