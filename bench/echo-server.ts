import { WebSocketServer } from 'ws';

/**
 * The floor: a bare `ws` server on loopback that sends every text frame straight back, with the
 * same socket settings as the hub (no permessage-deflate, 64 KiB maxPayload). Prints its port.
 */
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 * 1024, clientTracking: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
wss.on('listening', () => {
  const address = wss.address();
  process.stdout.write(`${JSON.stringify({ ready: true, port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.once('SIGTERM', () => process.exit(0));

// The runner is gone (its end of stdin closed): so is this process.
process.stdin.on('end', () => process.exit(0)).resume();
