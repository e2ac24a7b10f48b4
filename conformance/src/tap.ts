import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

/** One frame through the tap, stamped on the kit's clock (the hub's: both run in this process). */
export interface Frame {
  /** `in`: device to hub; `out`: hub (or the kit) to device. */
  dir: 'in' | 'out';
  at: number;
  /** Which device connection (1, 2, ...), in the order they opened. */
  conn: number;
  /** The parsed frame, or null when it was not JSON. */
  msg: Record<string, unknown> | null;
  /** Sent by the kit itself, not by the hub. */
  injected?: true;
}

/** A device connection through the tap. */
export interface TapConnection {
  n: number;
  openedAt: number;
  closedAt: number | null;
  /** Close code as the tap saw it from the device's side (1006 when it vanished). */
  closeCode: number | null;
  /** Who ended it: the device, the hub, or the kit. */
  closedBy: 'device' | 'hub' | 'kit' | null;
}

/**
 * The kit's man in the middle: the device connects here (its HANDOFF_URL), and every frame is
 * passed to the real hub and back, recorded on the way. The kit can also speak to the device as
 * the hub (inject), add unknown fields to everything the hub says (decorate), drop the socket
 * abruptly, go silent on it (blackhole), and refuse new connections (a hub that is gone).
 */
export class Tap {
  readonly frames: Frame[] = [];
  readonly connections: TapConnection[] = [];
  /** Refuse new device connections (they are accepted and cut at once, as an unreachable hub would). */
  refusing = false;
  /** Add unknown fields to every hub frame (and unknown message types now and then). */
  decorate = false;
  private readonly live = new Map<number, { device: WebSocket; hub: WebSocket; meta: TapConnection; blackholed: boolean }>();
  private readonly watchers = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    private readonly hubUrl: string,
    private readonly now: () => number,
    readonly url: string,
  ) {}

  static async start(hubWsUrl: string, now: () => number, host = '127.0.0.1', port = 0): Promise<Tap> {
    const server = createServer((_req, res) => res.writeHead(404).end());
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const tap = new Tap(server, wss, hubWsUrl, now, `ws://${host}:${address.port}/v1/connect`);
    server.on('upgrade', (req: IncomingMessage, socket, head) => {
      if (tap.refusing) {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => tap.attach(ws, req));
    });
    return tap;
  }

  /** The connection open now (the latest one), if any. */
  get current(): TapConnection | null {
    const open = [...this.live.values()].map((l) => l.meta);
    return open.at(-1) ?? null;
  }

  private attach(device: WebSocket, req: IncomingMessage): void {
    const meta: TapConnection = {
      n: this.connections.length + 1,
      openedAt: this.now(),
      closedAt: null,
      closeCode: null,
      closedBy: null,
    };
    this.connections.push(meta);
    const query = new URL(req.url ?? '/', 'http://tap').search;
    const hub = new WebSocket(`${this.hubUrl}${query}`, {
      perMessageDeflate: false,
      headers: pick(req.headers, 'authorization'),
    });
    const entry = { device, hub, meta, blackholed: false };
    this.live.set(meta.n, entry);
    const early: string[] = [];
    device.on('message', (data: Buffer, isBinary) => {
      const text = isBinary ? null : data.toString('utf8');
      this.record('in', meta.n, text);
      if (entry.blackholed) return;
      if (hub.readyState === WebSocket.OPEN) hub.send(isBinary ? data : text!);
      else if (text !== null) early.push(text);
    });
    hub.on('open', () => {
      for (const text of early.splice(0)) hub.send(text);
    });
    hub.on('message', (data: Buffer) => {
      if (entry.blackholed || device.readyState !== WebSocket.OPEN) return;
      const text = data.toString('utf8');
      this.sendToDevice(entry, this.decorate ? decorate(text) : text, false);
      if (this.decorate && Math.random() < 0.2)
        this.sendToDevice(entry, JSON.stringify({ type: 'hub.kit-future', note: 'a message type from a newer hub' }), true);
    });
    hub.on('close', (code, reason) => {
      if (entry.blackholed) return;
      this.end(meta, 'hub', code);
      if (device.readyState === WebSocket.OPEN) device.close(sendable(code), reason);
    });
    hub.on('error', () => device.terminate());
    device.on('close', (code) => {
      this.end(meta, meta.closedBy ?? 'device', code);
      this.live.delete(meta.n);
      if (hub.readyState === WebSocket.OPEN || hub.readyState === WebSocket.CONNECTING) hub.terminate();
    });
    device.on('error', () => {});
    this.changed();
  }

  private sendToDevice(entry: { device: WebSocket; meta: TapConnection }, text: string, injected: boolean): void {
    entry.device.send(text);
    this.record('out', entry.meta.n, text, injected);
  }

  /** Speak to the device on its current connection as if the hub had said it. */
  inject(message: Record<string, unknown>): boolean {
    const entry = [...this.live.values()].at(-1);
    if (!entry || entry.device.readyState !== WebSocket.OPEN) return false;
    this.sendToDevice(entry, JSON.stringify(message), true);
    return true;
  }

  /** Cut the device's connection abruptly (no close frame), as a network loss would. The hub sees it close too. */
  drop(): void {
    for (const entry of this.live.values()) {
      entry.meta.closedBy = 'kit';
      entry.device.terminate();
      entry.hub.terminate();
    }
  }

  /** Stop passing anything on the current connection, either way, and keep it open: a hub gone silent. */
  blackhole(): void {
    const entry = [...this.live.values()].at(-1);
    if (!entry) return;
    entry.blackholed = true;
    entry.hub.terminate();
  }

  /** The last frame the device was sent, on any connection. */
  lastOut(): Frame | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) if (this.frames[i]!.dir === 'out') return this.frames[i];
    return undefined;
  }

  /** Frames from `since` on (an index into `frames`) that match. */
  find(since: number, dir: 'in' | 'out', type?: string): Frame[] {
    return this.frames.slice(since).filter((f) => f.dir === dir && (type === undefined || f.msg?.type === type));
  }

  /** Resolve once `predicate` holds (checked on every frame and connection change), or false after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!predicate()) return;
        done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.watchers.delete(check);
        resolve(value);
      };
      this.watchers.add(check);
    });
  }

  private record(dir: 'in' | 'out', conn: number, text: string | null, injected = false): void {
    let msg: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = text === null ? null : JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) msg = parsed as Record<string, unknown>;
    } catch {
      msg = null;
    }
    this.frames.push({ dir, at: this.now(), conn, msg, ...(injected ? { injected: true as const } : {}) });
    this.changed();
  }

  private end(meta: TapConnection, by: 'device' | 'hub' | 'kit', code: number): void {
    if (meta.closedAt !== null) return;
    meta.closedAt = this.now();
    meta.closeCode = code;
    meta.closedBy = by;
    this.changed();
  }

  private changed(): void {
    for (const w of [...this.watchers]) w();
  }

  async close(): Promise<void> {
    for (const entry of this.live.values()) {
      entry.device.terminate();
      entry.hub.terminate();
    }
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Codes a close frame may carry (1005, 1006 and 1015 are only ever reported, never sent). */
const sendable = (code: number) => (code === 1005 || code === 1006 || code === 1015 || code < 1000 ? 1001 : code);

function pick(headers: IncomingMessage['headers'], name: string): Record<string, string> {
  const value = headers[name];
  return typeof value === 'string' ? { [name]: value } : {};
}

/** Every object of a hub frame gets a field no version of the protocol has. */
export function decorate(text: string): string {
  const add = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(add);
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = add(v);
      out['x-kit-unknown'] = { from: 'a newer hub', list: [1, 'two'] };
      return out;
    }
    return value;
  };
  try {
    return JSON.stringify(add(JSON.parse(text)));
  } catch {
    return text;
  }
}
