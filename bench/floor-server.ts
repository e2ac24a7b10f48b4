import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

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

/**
 * Frames sent in one turn of the event loop leave in one write per socket, as the hub's do: the
 * first frame to a socket corks it, and the next tick uncorks every socket corked in the turn.
 */
export class TurnWriter {
  private readonly raw = new WeakMap<WebSocket, Duplex>();
  private readonly corked = new Set<WebSocket>();
  private readonly uncorkAll = () => {
    for (const ws of this.corked) this.raw.get(ws)?.uncork();
    this.corked.clear();
  };

  attach(ws: WebSocket, raw: Duplex): void {
    this.raw.set(ws, raw);
  }

  send(ws: WebSocket, text: string): void {
    if (!this.corked.has(ws)) {
      if (this.corked.size === 0) process.nextTick(this.uncorkAll);
      this.corked.add(ws);
      this.raw.get(ws)?.cork();
    }
    ws.send(text);
  }
}

/** A household's state as the hub sends it, with nothing playing. */
export function floorCluster(revision: number, devices: unknown[]) {
  return {
    userId: 'u',
    revision,
    activeDeviceId: null,
    devices,
    playback: {
      contextUri: null,
      track: null,
      position: { positionMs: 0, atServerTime: 0, rate: 0 },
      shuffle: false,
      repeat: 'off',
      upNext: [],
    },
  };
}

/** The sockets of one household on a floor server, with its state. */
export interface FloorHousehold<Device> {
  sockets: WebSocket[];
  revision: number;
  devices: Device[];
}

/** A floor server's households: sockets with the same `access_token` form one. */
export class FloorHouseholds<Device> {
  private readonly byToken = new Map<string, FloorHousehold<Device>>();

  of(url: string | undefined): FloorHousehold<Device> {
    const key = new URL(url ?? '/', 'http://x').searchParams.get('access_token') ?? '';
    let household = this.byToken.get(key);
    if (!household) this.byToken.set(key, (household = { sockets: [], revision: 0, devices: [] }));
    return household;
  }
}
