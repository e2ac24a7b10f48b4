import type { Cluster, CommandResult, DeviceKind } from '@handoff/protocol';
import WebSocket from 'ws';
import { answerPrepare, answerSwitch, helloText, PendingCommands, type FleetDevice } from './fleet-device.ts';
import { delayLinesFor, type DelayLine } from './link.ts';

export interface LeanDeviceOptions {
  /** Full socket URL with its access token. */
  url: string;
  id: string;
  kind?: DeviceKind;
  /** Loopback source address to connect from (a source address has at most ~28k ports). */
  localAddress?: string;
  /** This device's clock is ahead of true time by this much. */
  skewMs?: number;
  /** One-way delay and up to this much more at random, each way. */
  latencyMs?: number;
  jitterMs?: number;
  /** How long a prepare takes before `transfer.ready`. */
  loadDelayMs?: number;
  /** Parse every cluster.update (needed to know the active device); off to keep a load client cheap. */
  trackCluster?: boolean;
  /** Every frame as it arrives (after the simulated delay), before it is handled. */
  onFrame?: (type: string, text: string) => void;
  /** A welcomed connection closed by the other side or the network (not by `close` or `drop`). */
  onLost?: (device: LeanDevice, code: number, reason: string) => void;
}

/**
 * Every frame a lean device sends goes out with the all-zero mask, which `ws` then skips (no
 * random bytes, no copy, no XOR per frame; the hub's unmasking is skipped too, ~1 us a frame).
 * Masking guards proxies against a browser's crafted bytes; a load generator on loopback has none.
 */
const zeroMask = (): void => {};

const origin = performance.timeOrigin;
const trueNow = () => origin + performance.now();

/**
 * A device that speaks the protocol and nothing more: hello, clock pongs, prepare -> ready,
 * switch -> started at the scheduled time, command results. No player and no ground truth, so
 * tens of thousands fit in one process (SimDevice is the one to use when ground truth matters).
 * The type of each frame is read from its first bytes (the hub writes `type` first), so frames
 * nobody needs are never parsed.
 */
export class LeanDevice implements FleetDevice {
  readonly id: string;
  revision = 0;
  activeDeviceId: string | null = null;
  /** Device clock minus server clock, as the hub estimated it. */
  offsetMs = 0;
  connected = false;
  /** How long the last `transfer.switch` (start) had this device wait for the scheduled time. */
  lastSwitchWaitMs = 0;
  private ws: WebSocket | null = null;
  private readonly pending = new PendingCommands();
  private readonly up: DelayLine | null;
  private readonly down: DelayLine | null;
  private welcomed: ((err?: Error) => void) | null = null;
  /** This side ended the connection (close or drop): its close is not a loss. */
  private ending = false;

  constructor(private readonly opts: LeanDeviceOptions) {
    this.id = opts.id;
    ({ up: this.up, down: this.down } = delayLinesFor(opts));
  }

  localNow(): number {
    return trueNow() + (this.opts.skewMs ?? 0);
  }

  /** Open the socket and resolve once the hub welcomed the device. */
  connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.welcomed = (err) => (err ? reject(err) : resolve());
      this.ending = false;
      const ws = new WebSocket(this.opts.url, {
        perMessageDeflate: false,
        generateMask: zeroMask,
        ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}),
      });
      this.ws = ws;
      ws.on('open', () => this.send(helloText(this.id, this.opts.kind ?? 'speaker')));
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (this.down) this.down.push(() => this.receive(text));
        else this.receive(text);
      });
      ws.on('close', (code, reason) => {
        if (this.connected && !this.ending) this.opts.onLost?.(this, code, reason.toString());
        this.connected = false;
        this.ws = null;
        this.welcomed?.(new Error(`closed ${code} ${reason.toString()}`));
        this.welcomed = null;
      });
      ws.on('error', (err) => {
        this.welcomed?.(err);
        this.welcomed = null;
      });
    });
  }

  /** Send a command and resolve with its result. */
  command(command: { type: string; commandId: string } & Record<string, unknown>, timeoutMs = 30_000): Promise<CommandResult> {
    return this.pending.request(command, (text) => this.send(text), timeoutMs);
  }

  send(text: string): void {
    const ws = this.ws;
    const write = () => {
      if (ws && ws === this.ws && ws.readyState === WebSocket.OPEN) ws.send(text);
    };
    if (this.up) this.up.push(write);
    else write();
  }

  /** Drop the connection abruptly (no goodbye). */
  drop(): void {
    this.ending = true;
    this.ws?.terminate();
  }

  close(): void {
    this.ending = true;
    this.ws?.close(1000);
  }

  private receive(text: string): void {
    const type = frameType(text);
    this.opts.onFrame?.(type, text);
    switch (type) {
      case 'hub.welcome': {
        const m = JSON.parse(text) as { cluster: Cluster };
        this.cluster(m.cluster);
        this.connected = true;
        this.welcomed?.();
        this.welcomed = null;
        return;
      }
      case 'cluster.update':
        if (this.opts.trackCluster) this.cluster((JSON.parse(text) as { cluster: Cluster }).cluster);
        return;
      case 'clock.ping': {
        const t = this.localNow();
        return this.send(`{"type":"clock.pong",${pingFields(text)},"t1":${t},"t2":${t}}`);
      }
      case 'clock.sync':
        this.offsetMs = (JSON.parse(text) as { offsetMs: number }).offsetMs;
        return;
      case 'transfer.prepare':
        return answerPrepare(text, (t) => this.send(t), this.opts.loadDelayMs);
      case 'transfer.switch': {
        const wait = answerSwitch(text, (t) => this.send(t), this.localNow(), this.offsetMs);
        if (wait !== null) this.lastSwitchWaitMs = wait;
        return;
      }
      case 'command.result':
        return this.pending.settle(text);
      default:
        return;
    }
  }

  private cluster(c: Cluster): void {
    if (c.revision < this.revision) return;
    this.revision = c.revision;
    this.activeDeviceId = c.activeDeviceId;
  }
}

/** The `type` of a hub frame from its first bytes (`{"type":"...`), parsing only when it is not first. */
export function frameType(text: string): string {
  if (text.startsWith('{"type":"')) {
    const end = text.indexOf('"', 9);
    if (end > 9) return text.slice(9, end);
  }
  try {
    const t = (JSON.parse(text) as { type?: unknown }).type;
    return typeof t === 'string' ? t : '';
  } catch {
    return '';
  }
}

const PING_HEAD = '{"type":"clock.ping",';

/**
 * A ping's `"pingId":..,"t0":..` as text, to echo in the pong: cut from the frame when it is the
 * hub's own layout (`{"type":"clock.ping","pingId":N,"t0":T}`, nothing else in it), else parsed.
 * A fleet of tens of thousands answers thousands of pings a second; parsing each is most of it.
 */
export function pingFields(text: string): string {
  if (text.startsWith(PING_HEAD) && text.endsWith('}') && text.indexOf('{', 1) < 0) {
    const fields = text.slice(PING_HEAD.length, -1);
    if (fields.startsWith('"pingId":') && fields.indexOf(',"t0":') > 0 && fields.indexOf(',', fields.indexOf(',"t0":') + 1) < 0) return fields;
  }
  const m = JSON.parse(text) as { pingId: number; t0: number };
  return `"pingId":${m.pingId},"t0":${m.t0}`;
}
