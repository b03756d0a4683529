import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { EncryptionCodec, generatePayloadKey, KEY_ID_METADATA, parsePayloadKeys, PayloadDecryptionError } from '../../temporal/codec';
import { dataConverter } from '../../temporal/dataConverter';

const ID_NUMBER = '64010419580312122X';
const payload = (v: unknown): Payload => defaultPayloadConverter.toPayload(v);
const text = (u?: Uint8Array | null) => Buffer.from(u ?? []).toString('utf8');
const k1 = generatePayloadKey('k1');
const k2 = generatePayloadKey('k2');

describe('parsePayloadKeys', () => {
  it('reads several keyId:base64 entries in order', () => {
    const keys = parsePayloadKeys(`${k1}, ${k2}`);
    expect(keys.map((k) => k.id)).toEqual(['k1', 'k2']);
    expect(keys.every((k) => k.key.length === 32)).toBe(true);
  });

  it.each([
    ['', /empty/],
    ['nokey', /keyId:base64key/],
    [`k1:${Buffer.alloc(16).toString('base64')}`, /32 bytes/],
    [`k1:!!!`, /not base64/],
    [`${k1},${k1}`, /twice/],
    [`bad id:${Buffer.alloc(32).toString('base64')}`, /key id/],
  ])('rejects %j with a readable message', (spec, message) => {
    expect(() => parsePayloadKeys(spec)).toThrow(message);
  });

  it('never echoes key material in its errors', () => {
    const secret = Buffer.alloc(31, 7).toString('base64');
    expect(() => parsePayloadKeys(`k:${secret}`)).toThrow(/31/);
    try { parsePayloadKeys(`k:${secret}`); } catch (e) { expect(String(e)).not.toContain(secret); }
  });
});

describe('EncryptionCodec', () => {
  it('round-trips payloads and hides the plain text', async () => {
    const codec = EncryptionCodec.fromSpec(k1);
    const original = payload({ notes: `身份证 ${ID_NUMBER}`, n: 1 });
    const [enc] = await codec.encode([original]);
    expect(text(enc.metadata?.[METADATA_ENCODING_KEY])).toBe('binary/encrypted');
    expect(text(enc.metadata?.[KEY_ID_METADATA])).toBe('k1');
    expect(text(enc.data)).not.toContain(ID_NUMBER);
    expect(Buffer.from(enc.data!).includes(Buffer.from(ID_NUMBER))).toBe(false);
    const [dec] = await codec.decode([enc]);
    expect(defaultPayloadConverter.fromPayload(dec)).toEqual({ notes: `身份证 ${ID_NUMBER}`, n: 1 });
  });

  it('uses a fresh IV each time: the same value never encrypts to the same bytes', async () => {
    const codec = EncryptionCodec.fromSpec(k1);
    const [a, b] = await codec.encode([payload('same'), payload('same')]);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
  });

  it('rotation: the first key encrypts, every listed key decrypts', async () => {
    const old = EncryptionCodec.fromSpec(k1);
    const [written] = await old.encode([payload('old data')]);
    const rotated = EncryptionCodec.fromSpec(`${k2},${k1}`);
    expect(rotated.currentKeyId).toBe('k2');
    const [fresh] = await rotated.encode([payload('new data')]);
    expect(text(fresh.metadata?.[KEY_ID_METADATA])).toBe('k2');
    const decoded = await rotated.decode([written, fresh]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['old data', 'new data']);
  });

  it('refuses an unknown key id, a relabelled key id and tampered data', async () => {
    const codec = EncryptionCodec.fromSpec(`${k1},${k2}`);
    const [enc] = await codec.encode([payload('x')]);
    await expect(EncryptionCodec.fromSpec(k2).decode([enc])).rejects.toThrow(/no payload key with id "k1"/);
    const relabelled = { ...enc, metadata: { ...enc.metadata, [KEY_ID_METADATA]: new TextEncoder().encode('k2') } };
    await expect(codec.decode([relabelled])).rejects.toBeInstanceOf(PayloadDecryptionError);
    const data = Buffer.from(enc.data!);
    data[20] ^= 1;
    await expect(codec.decode([{ ...enc, data }])).rejects.toThrow(/tampered/);
    await expect(codec.decode([{ ...enc, data: new Uint8Array(5) }])).rejects.toThrow(/too short/);
  });

  it('passes unencrypted payloads through on decode (history written before keys were set)', async () => {
    const codec = EncryptionCodec.fromSpec(k1);
    const plain = payload({ a: 1 });
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('dataConverter: no keys means no codec; keys mean one encryption codec', () => {
    expect(dataConverter().payloadCodecs).toBeUndefined();
    expect(dataConverter(k1).payloadCodecs?.[0]).toBeInstanceOf(EncryptionCodec);
    expect(() => dataConverter('k1:short')).toThrow(/32 bytes/);
  });
});
