/**
 * The data converter shared by client and worker: JSON payloads, encrypted by the AES-256-GCM codec
 * when payload keys are configured (PAYLOAD_KEYS). Client and worker must use the same keys.
 */
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './codec';

/** Builds the data converter for the configured payload keys (no keys: plain JSON payloads). */
export function dataConverter(payloadKeys?: string): DataConverter {
  if (!payloadKeys) return {};
  return { payloadCodecs: [EncryptionCodec.fromSpec(payloadKeys)] };
}
