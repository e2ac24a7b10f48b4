import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxy extends AsyncDisposable {
  port: number;
  /** Connections open now keep their sockets but stop passing what the server sends; new ones work. */
  silenceExisting(): void;
  close(): Promise<void>;
}

/** A loopback TCP proxy to `targetPort` that can make its open connections go silent (a fault injector). */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket; silent: boolean }>();
  const server = createServer((client) => {
    const upstream = createConnection({ port: targetPort, host: '127.0.0.1' });
    const pair = { client, upstream, silent: false };
    pairs.add(pair);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (!pair.silent) client.write(d);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const close = async () => {
    for (const p of pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    await new Promise((r) => server.close(r));
  };
  return {
    port,
    silenceExisting: () => {
      for (const p of pairs) p.silent = true;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
