import { WebSocketServer } from 'ws';

/**
 * A floor server's socket, as the benchmark runs it: on loopback with the hub's socket settings (no
 * permessage-deflate, 64 KiB maxPayload); prints its port once listening, and exits on SIGTERM or
 * when the runner is gone (its end of stdin closed).
 */
export function floorServer(): WebSocketServer {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 * 1024, clientTracking: false });
  wss.on('listening', () => {
    const address = wss.address();
    process.stdout.write(`${JSON.stringify({ ready: true, port: typeof address === 'object' && address ? address.port : 0 })}\n`);
  });
  process.once('SIGTERM', () => process.exit(0));
  process.stdin.on('end', () => process.exit(0)).resume();
  return wss;
}
