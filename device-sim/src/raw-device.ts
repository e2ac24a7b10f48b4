import { connect, type Socket } from 'node:net';
import type { Cluster, CommandResult, DeviceKind } from '@handoff/protocol';
import { answerPrepare, answerSwitch, helloText, PendingCommands, type FleetDevice } from './fleet-device.ts';
import { frameType, pingFields } from './lean-device.ts';
import { delayLinesFor, type DelayLine } from './link.ts';
import { trueNow } from './true-clock.ts';
import { clientFrame, clientHeaderLength, closeFrame, FrameReader, Opcode, writeClientHeader, type FrameSink } from './ws-frames.ts';
import { readUpgradeReply, upgradeFor, type Upgrade } from './ws-upgrade.ts';

export interface RawDeviceOptions {
  /** Full `ws://` socket URL with its access token. */
  url: string;
  id: string;
  kind?: DeviceKind;
  /** Loopback source address to connect from (a source address has at most ~28k ports). */
  localAddress?: string;
  /**
   * The source port to bind with `localAddress`. Binding to port 0 makes the kernel search the
   * address's ports for a free one, which grows with the sockets already bound (0.05 ms a connect
   * at 500 sockets, 0.7 ms at 8,500 here); a port given is one lookup. A port that is taken
   * (EADDRINUSE, EADDRNOTAVAIL) is given up: the next connect lets the kernel choose.
   */
  localPort?: number;
  /** This device's clock is ahead of true time by this much. */
  skewMs?: number;
  /** One-way delay and up to this much more at random, each way. */
  latencyMs?: number;
  jitterMs?: number;
  /** How long a prepare takes before `transfer.ready`. */
  loadDelayMs?: number;
  /** Parse the welcome and every cluster.update (to know the active device); off, they are never decoded. */
  trackCluster?: boolean;
  /** A welcomed connection closed by the other side or the network (not by `close` or `drop`). */
  onLost?: (device: RawDevice, code: number, reason: string) => void;
}

const TYPE_HEAD = Buffer.from('{"type":"');
const PING_HEAD = Buffer.from('{"type":"clock.ping","pingId":');
/** `{"type":"clock.ping",` and `{"type":"clock.pong",` are the same length. */
const PONG_HEAD = Buffer.from('{"type":"clock.pong",');
const T0 = Buffer.from(',"t0":');

/**
 * The fleet's device: `LeanDevice`'s protocol (hello, clock pongs, prepare -> ready, switch ->
 * started at the scheduled time, command results) over a raw `node:net` socket, with the
 * WebSocket handshake and framing done here (`ws-upgrade.ts`, `ws-frames.ts`), so a device costs
 * the load generator far less than it costs the hub. Its hello frame is built once; a frame's
 * `type` is read from its first bytes, and a clock ping is answered by copying its fields as bytes
 * into the pong, so pings and cluster updates are never decoded to text.
 */
export class RawDevice implements FleetDevice {
  readonly id: string;
  revision = 0;
  activeDeviceId: string | null = null;
  /** Device clock minus server clock, as the hub estimated it. */
  offsetMs = 0;
  connected = false;
  lastSwitchWaitMs = 0;
  private socket: Socket | null = null;
  /** The socket upgraded and no close frame sent yet: frames may be written. */
  private open = false;
  private readonly upgrade: Upgrade;
  private readonly hello: Buffer;
  private readonly pending = new PendingCommands();
  private readonly up: DelayLine | null;
  private readonly down: DelayLine | null;
  private welcomed: ((err?: Error) => void) | null = null;
  /** This side ended the connection (close or drop): its close is not a loss. */
  private ending = false;
  /** The close code and reason the server sent (1006 when the connection ended without one). */
  private closeCode = 1006;
  private closeReason = '';
  private localPort: number | undefined;
  /** What this device's frame reader hands on (one for the device, whichever socket it is on). */
  private readonly sink: FrameSink = {
    text: (payload) => (this.down ? this.down.push(() => this.receive(payload)) : this.receive(payload)),
    ping: (payload) => this.write(clientFrame(payload, Opcode.pong)),
    close: (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason;
      this.shut(code === 1005 ? 1000 : code);
    },
    error: (reason) => {
      this.closeCode = 1002;
      this.closeReason = reason;
      this.open = false;
      this.socket?.destroy();
    },
  };

  constructor(private readonly opts: RawDeviceOptions) {
    this.id = opts.id;
    this.localPort = opts.localAddress ? opts.localPort : undefined;
    this.upgrade = upgradeFor(opts.url);
    this.hello = clientFrame(helloText(opts.id, opts.kind ?? 'speaker'));
    ({ up: this.up, down: this.down } = delayLinesFor(opts));
  }

  localNow(): number {
    return trueNow() + (this.opts.skewMs ?? 0);
  }

  connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.welcomed = (err) => (err ? reject(err) : resolve());
      this.ending = false;
      this.closeCode = 1006;
      this.closeReason = '';
      const { host, port, request, accept } = this.upgrade;
      const local = this.opts.localAddress ? { localAddress: this.opts.localAddress, ...(this.localPort ? { localPort: this.localPort } : {}) } : {};
      const socket = connect({ host, port, noDelay: true, ...local });
      this.socket = socket;
      // Written once the connection is up; the server's answer and then its frames come back on `data`.
      socket.write(request);
      let head: Buffer | null = null;
      let reader: FrameReader | null = null;
      socket.on('data', (chunk: Buffer) => {
        if (reader) return reader.push(chunk);
        head = head ? Buffer.concat([head, chunk]) : chunk;
        const reply = readUpgradeReply(head, accept);
        if (reply.state === 'partial') return;
        head = null;
        if (reply.state === 'refused') {
          this.settle(new Error(reply.reason));
          return void socket.destroy();
        }
        reader = new FrameReader(this.sink);
        this.open = true;
        this.write(this.hello);
        if (reply.rest.length) reader.push(reply.rest);
      });
      socket.on('close', () => {
        reader?.stop();
        if (this.socket !== socket) return;
        if (this.connected && !this.ending) this.opts.onLost?.(this, this.closeCode, this.closeReason);
        this.connected = false;
        this.open = false;
        this.socket = null;
        this.settle(new Error(`closed ${this.closeCode} ${this.closeReason}`));
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE' || err.code === 'EADDRNOTAVAIL') this.localPort = undefined;
        this.settle(err);
      });
    });
  }

  command(command: { type: string; commandId: string } & Record<string, unknown>, timeoutMs = 30_000): Promise<CommandResult> {
    return this.pending.request(command, (text) => this.send(text), timeoutMs);
  }

  send(text: string): void {
    this.write(clientFrame(text));
  }

  drop(): void {
    this.ending = true;
    this.open = false;
    this.socket?.destroy();
  }

  close(): void {
    this.ending = true;
    this.shut(1000);
  }

  private receive(payload: Buffer): void {
    switch (typeOf(payload)) {
      case 'clock.ping':
        return this.pong(payload);
      case 'cluster.update':
        if (this.opts.trackCluster) this.cluster((JSON.parse(payload.toString()) as { cluster: Cluster }).cluster);
        return;
      case 'hub.welcome':
        if (this.opts.trackCluster) this.cluster((JSON.parse(payload.toString()) as { cluster: Cluster }).cluster);
        this.connected = true;
        return this.settle();
      case 'clock.sync':
        this.offsetMs = (JSON.parse(payload.toString()) as { offsetMs: number }).offsetMs;
        return;
      case 'transfer.prepare':
        return answerPrepare(payload.toString(), (t) => this.send(t), this.opts.loadDelayMs);
      case 'transfer.switch': {
        const wait = answerSwitch(payload.toString(), (t) => this.send(t), this.localNow(), this.offsetMs);
        if (wait !== null) this.lastSwitchWaitMs = wait;
        return;
      }
      case 'command.result':
        return this.pending.settle(payload.toString());
      default:
        return;
    }
  }

  /**
   * The pong to a ping, its `"pingId":..,"t0":..` copied as bytes when the ping has the hub's own
   * layout (`{"type":"clock.ping","pingId":N,"t0":T}`, nothing else in it); any other layout is
   * parsed, as `pingFields` does.
   */
  private pong(ping: Buffer): void {
    const t = this.localNow();
    const end = ping.length - 1;
    const t0 = ping.indexOf(T0);
    const hubLayout =
      ping.compare(PING_HEAD, 0, PING_HEAD.length, 0, PING_HEAD.length) === 0 && ping[end] === 0x7d && ping.indexOf(0x7b, 1) < 0 && t0 > 0 && ping.indexOf(0x2c, t0 + 1) < 0;
    if (!hubLayout) return this.send(`{"type":"clock.pong",${pingFields(ping.toString())},"t1":${t},"t2":${t}}`);
    const tail = `,"t1":${t},"t2":${t}}`;
    const length = end + tail.length;
    const out = Buffer.allocUnsafe(clientHeaderLength(length) + length);
    const at = writeClientHeader(out, Opcode.text, length);
    PONG_HEAD.copy(out, at);
    ping.copy(out, at + PONG_HEAD.length, PONG_HEAD.length, end);
    out.write(tail, at + end, 'latin1');
    this.write(out);
  }

  private cluster(c: Cluster): void {
    if (c.revision < this.revision) return;
    this.revision = c.revision;
    this.activeDeviceId = c.activeDeviceId;
  }

  private write(frame: Buffer): void {
    const socket = this.socket;
    const write = () => {
      if (socket && socket === this.socket && this.open) socket.write(frame);
    };
    if (this.up) this.up.push(write);
    else write();
  }

  /** Send a close frame (once) and end the socket's writing side; the server closes it. */
  private shut(code: number): void {
    if (!this.socket) return;
    if (this.open) this.socket.write(closeFrame(code));
    this.open = false;
    this.socket.end();
  }

  private settle(err?: Error): void {
    this.welcomed?.(err);
    this.welcomed = null;
  }
}

/** The `type` of a hub frame from its first bytes (`{"type":"...`), decoding the whole only when it is not first. */
export function typeOf(payload: Buffer): string {
  if (payload.compare(TYPE_HEAD, 0, TYPE_HEAD.length, 0, TYPE_HEAD.length) === 0) {
    const end = payload.indexOf(0x22, TYPE_HEAD.length);
    if (end > TYPE_HEAD.length) return payload.toString('latin1', TYPE_HEAD.length, end);
  }
  return frameType(payload.toString());
}
