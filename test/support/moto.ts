/**
 * A real S3-protocol server for the tests of the S3 evidence store: moto in server mode, provisioned by
 * bin/setup into .tools/venv (moto[server], pinned there), on a free port of 127.0.0.1, stopped after.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, startProcess, waitUntil, type TestProcess } from './process';

export const MOTO_SERVER = resolve(import.meta.dirname, '../../.tools/venv/bin/moto_server');

export interface Moto {
  endpoint: string;
  /** A client on the server (any credentials do: moto checks none). */
  client: S3Client;
  credentials: { accessKeyId: string; secretAccessKey: string };
  createBucket: (name: string) => Promise<void>;
  stop: () => Promise<void>;
}

export async function startMoto(): Promise<Moto> {
  if (!existsSync(MOTO_SERVER)) throw new Error(`${MOTO_SERVER} is missing: run \`bash bin/setup\` (installs moto[server] into .tools/venv).`);
  const port = await freePort();
  const proc: TestProcess = startProcess(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)]);
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntil('moto_server answering', async () => (await fetch(`${endpoint}/moto-api/`)).ok, 30_000, proc);
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test-secret' };
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  return {
    endpoint, client, credentials,
    createBucket: async (name) => { await client.send(new CreateBucketCommand({ Bucket: name })); },
    stop: async () => {
      client.destroy();
      await proc.stop(5_000);
    },
  };
}
