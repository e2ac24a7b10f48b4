import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';

/**
 * `tsx bench/ws-rss-floor.ts [N]`: the memory floor under the hub's per-connection figure: a bare
 * `ws` server (the hub's socket settings) in its own process holding N idle connections that each
 * sent one hello-sized frame; prints its RSS and heap growth per connection. N up to ~18,000 (a
 * process here may hold 20,000 open files).
 */
if (process.argv[2] === 'server') {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 * 1024, clientTracking: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => ws.send(data));
    ws.on('error', () => {});
  });
  wss.on('listening', () => process.send!({ port: (wss.address() as { port: number }).port }));
  process.on('message', () => {
    (globalThis as { gc?: () => void }).gc?.();
    setTimeout(() => process.send!(process.memoryUsage()), 200);
  });
} else {
  const n = Number(process.argv[2] ?? 10_000);
  const server = fork(fileURLToPath(import.meta.url), ['server'], { execArgv: ['--expose-gc', '--import', 'tsx'] });
  const next = <T>(ask = false) =>
    new Promise<T>((resolve) => {
      server.once('message', (m) => resolve(m as T));
      if (ask) server.send('measure');
    });
  const { port } = await next<{ port: number }>();
  const before = await next<NodeJS.MemoryUsage>(true);
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ type: 'device.hello', protocolVersion: 1, device: { id: `d${i}`, name: 'Kitchen speaker', kind: 'speaker' } }));
    sockets.push(ws);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = await next<NodeJS.MemoryUsage>(true);
  const kb = (bytes: number) => (bytes / n / 1024).toFixed(1);
  process.stdout.write(`${n} idle bare ws connections: RSS +${kb(after.rss - before.rss)} KB each, heap +${kb(after.heapUsed - before.heapUsed)} KB each (after a GC)\n`);
  server.kill();
  process.exit(0);
}
