/**
 * A TCP proxy in front of PostgreSQL that a test can cut: `down()` closes every open connection and
 * refuses new ones (as a stopped server does), `up()` accepts them again on the same port.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy { port: number; url: (databaseUrl: string) => string; down: () => Promise<void>; up: () => Promise<void>; close: () => Promise<void> }

export async function tcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () => new Promise<void>((resolve, reject) => {
    const s = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      for (const x of [client, upstream]) {
        sockets.add(x);
        x.on('close', () => sockets.delete(x));
        x.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      port = (s.address() as { port: number }).port;
      server = s;
      resolve();
    });
  });
  const stop = async () => {
    const s = server;
    server = undefined;
    for (const x of sockets) x.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return {
    get port() { return port; },
    url: (databaseUrl: string) => { const u = new URL(databaseUrl); u.hostname = '127.0.0.1'; u.port = String(port); return u.toString(); },
    down: stop,
    up: listen,
    close: stop,
  };
}
