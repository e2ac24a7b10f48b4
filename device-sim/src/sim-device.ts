import {
  CloseCode,
  HubMessage,
  PROTOCOL_VERSION,
  positionAt,
  type Capabilities,
  type Cluster,
  type Command,
  type CommandResult,
  type DeviceKind,
  type DeviceMessage,
  type Playback,
} from '@handoff/protocol';
import WebSocket from 'ws';
import { DelayLine } from './link.ts';
import { Player, type Audible } from './player.ts';
import { at, trueNow } from './true-clock.ts';
import { devToken } from './dev-token.ts';

export interface SimDeviceOptions {
  /** Hub socket URLs (ws://host:port/v1/connect); on failure the device moves to the next. */
  hub: string | string[];
  user: string;
  /** A device token; without one the device asks the hub's dev-mode endpoint for one. */
  token?: string;
  id?: string;
  name?: string;
  kind?: DeviceKind;
  capabilities?: Partial<Capabilities>;
  volume?: number;
  /** How far this device's clock is ahead of true time. */
  skewMs?: number;
  /** One-way network delay, and up to this much more at random, each way. */
  latencyMs?: number;
  jitterMs?: number;
  /** How long loading a track takes when asked to prepare. */
  loadDelayMs?: number | (() => number);
  /** Fail every prepare (a device that cannot load). */
  failLoad?: boolean;
  /** Chance per second that the connection drops abruptly (then it reconnects). */
  dropRate?: number;
  /** Longest wait between reconnect attempts. @default 3000 */
  maxBackoffMs?: number;
  random?: () => number;
  /** One line per notable event, for CLIs. */
  onEvent?: (line: string) => void;
}

const FATAL: number[] = [
  CloseCode.UNAUTHORIZED,
  CloseCode.FORBIDDEN,
  CloseCode.CLIENT_TOO_OLD,
  CloseCode.SERVER_TOO_OLD,
  CloseCode.REPLACED,
  CloseCode.TOO_MANY_DEVICES,
  CloseCode.KICKED,
];

type CommandInput = { [K in Command['type']]: Omit<Extract<Command, { type: K }>, 'commandId'> & { commandId?: string } }[Command['type']];

/**
 * A simulated device that connects like a real one: hello, clock sync, two-phase transfers with
 * scheduled switches, fencing by revision, reconnects with backoff. Its Player records what it
 * really played on the true clock.
 */
export class SimDevice {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly player: Player;
  cluster: Cluster | null = null;
  /** Estimated device clock minus server clock, from the hub's clock.sync. */
  offsetMs = 0;
  errorMs = Infinity;
  staleIgnored = 0;
  connects = 0;
  readonly errors: Array<{ code: string; message: string }> = [];
  private ws: WebSocket | null = null;
  private readonly urls: string[];
  private urlIndex = 0;
  private token: string | undefined;
  private stopped = false;
  private attempt = 0;
  private lastHeard = 0;
  private heartbeatMs = 5000;
  private commands = 0;
  private readonly pending = new Map<string, (r: CommandResult) => void>();
  private readonly prepared = new Map<string, Playback>();
  private switchCancel: (() => void) | null = null;
  private startedFor: string | null = null;
  private stoppedFor: string | null = null;
  private readonly up: DelayLine;
  private readonly down: DelayLine;
  private readonly watchers = new Set<() => void>();
  private ticker: NodeJS.Timeout | null = null;
  private welcomed: { resolve: () => void; reject: (e: Error) => void } | null = null;

  constructor(private readonly opts: SimDeviceOptions) {
    const random = opts.random ?? Math.random;
    this.kind = opts.kind ?? 'speaker';
    this.id = opts.id ?? `${this.kind}-${random().toString(36).slice(2, 8)}`;
    this.urls = Array.isArray(opts.hub) ? opts.hub : opts.hub.split(',');
    this.token = opts.token;
    this.player = new Player(() => this.localNow());
    this.up = new DelayLine(opts.latencyMs ?? 0, opts.jitterMs ?? 0, random);
    this.down = new DelayLine(opts.latencyMs ?? 0, opts.jitterMs ?? 0, random);
  }

  /** This device's own clock: true time plus its skew. */
  localNow(): number {
    return trueNow() + (this.opts.skewMs ?? 0);
  }

  /** Server time as this device estimates it. */
  serverNow(): number {
    return this.localNow() - this.offsetMs;
  }

  get truth(): Audible[] {
    return this.player.truth;
  }

  get revision(): number {
    return this.cluster?.revision ?? 0;
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN && this.welcomed === null;
  }

  /** Connect and resolve once the hub welcomed this device. */
  connect(): Promise<void> {
    this.stopped = false;
    const done = new Promise<void>((resolve, reject) => (this.welcomed = { resolve, reject }));
    void this.open();
    this.ticker ??= setInterval(() => this.tick(), 1000);
    return done;
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const url = this.urls[this.urlIndex % this.urls.length]!;
    try {
      this.token ??= await devToken(url, this.opts.user, 'device');
    } catch (err) {
      return this.retry(`token: ${(err as Error).message}`);
    }
    const ws = new WebSocket(`${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(this.token)}`, {
      perMessageDeflate: false,
    });
    this.ws = ws;
    ws.on('open', () => {
      this.lastHeard = performance.now();
      this.up.clear();
      this.send(this.hello());
    });
    ws.on('message', (data) => {
      const text = (data as Buffer).toString();
      this.down.push(() => this.receive(text));
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.down.clear();
      if (this.stopped) return;
      if (code === CloseCode.UNAUTHORIZED && !this.opts.token && this.connects > 0) {
        // A dev-mode hub restarted with a new secret: ask it for a fresh token.
        this.token = undefined;
        return this.retry('token refused, fetching a new one');
      }
      if (FATAL.includes(code)) {
        this.stopped = true;
        this.emit(`closed ${code} ${String(reason)}`);
        this.welcomed?.reject(new Error(`hub closed the socket: ${code} ${String(reason)}`));
        this.welcomed = null;
        return;
      }
      this.retry(`closed ${code}`);
    });
    ws.on('error', () => {});
  }

  private retry(why: string): void {
    if (this.stopped) return;
    this.urlIndex++;
    const base = Math.min(this.opts.maxBackoffMs ?? 3000, 100 * 2 ** this.attempt++);
    const wait = base / 2 + (this.opts.random ?? Math.random)() * (base / 2);
    this.emit(`reconnecting in ${Math.round(wait)} ms (${why})`);
    setTimeout(() => void this.open(), wait);
  }

  private hello(): DeviceMessage {
    const caps: Capabilities = {
      canPlay: true,
      volumeSteps: 100,
      mediaTypes: ['audio/track', 'audio/episode'],
      controllable: true,
      ...this.opts.capabilities,
    };
    return {
      type: 'device.hello',
      protocolVersion: PROTOCOL_VERSION,
      device: {
        id: this.id,
        name: this.opts.name ?? `${this.kind} ${this.id.slice(-4)}`,
        kind: this.kind,
        capabilities: caps,
        ...(this.opts.volume !== undefined ? { volume: this.opts.volume } : {}),
      },
      ...(this.cluster ? { resume: { revision: this.cluster.revision, playing: this.player.playing, playback: this.cluster.playback } } : {}),
    };
  }

  private send(message: DeviceMessage): void {
    const ws = this.ws;
    const text = JSON.stringify(message);
    this.up.push(() => {
      if (ws && ws === this.ws && ws.readyState === WebSocket.OPEN) ws.send(text);
    });
  }

  private receive(text: string): void {
    this.lastHeard = performance.now();
    const parsed = HubMessage.safeParse(JSON.parse(text));
    if (!parsed.success) return this.emit(`unreadable message from hub: ${text.slice(0, 80)}`);
    const m = parsed.data;
    switch (m.type) {
      case 'hub.welcome':
        this.heartbeatMs = m.heartbeatMs;
        this.attempt = 0;
        this.connects++;
        this.apply(m.cluster);
        this.welcomed?.resolve();
        this.welcomed = null;
        this.emit(`connected (revision ${m.cluster.revision})`);
        break;
      case 'cluster.update':
        this.apply(m.cluster);
        break;
      case 'clock.ping':
        this.send({ type: 'clock.pong', pingId: m.pingId, t0: m.t0, t1: this.localNow(), t2: this.localNow() });
        break;
      case 'clock.sync':
        this.offsetMs = m.offsetMs;
        this.errorMs = m.errorMs;
        break;
      case 'transfer.prepare':
        this.prepare(m.transferId, m.playback);
        break;
      case 'transfer.switch':
        this.scheduleSwitch(m.transferId, m.role, m.atServerTime, m.positionMs);
        break;
      case 'transfer.abort':
        this.abort(m.transferId, m.resumeAt);
        break;
      case 'command.result':
        this.pending.get(m.commandId)?.(m);
        this.pending.delete(m.commandId);
        break;
      case 'error':
        this.errors.push({ code: m.code, message: m.message });
        break;
      case 'hub.reconnect':
        this.emit(`hub asks to reconnect: ${m.reason}`);
        this.ws?.close(CloseCode.GOING_AWAY);
        break;
    }
    for (const w of this.watchers) w();
  }

  /** Fencing: a cluster older than what this device has is ignored. */
  private apply(cluster: Cluster): void {
    if (this.cluster && cluster.revision < this.cluster.revision) {
      this.staleIgnored++;
      return;
    }
    const wasActive = this.cluster?.activeDeviceId === this.id;
    this.cluster = cluster;
    const isActive = cluster.activeDeviceId === this.id;
    if (wasActive !== isActive) this.emit(isActive ? 'now active' : 'no longer active');
    this.reconcile();
  }

  /** Make the sound match the cluster: play what it says if this device is active, else be silent. */
  private reconcile(): void {
    if (this.switchCancel || !this.cluster) return;
    const { playback, activeDeviceId } = this.cluster;
    const track = playback.track;
    if (activeDeviceId === this.id && track && playback.position.rate > 0) {
      const want = positionAt(playback.position, this.serverNow(), track.durationMs);
      const drift = Math.abs(this.player.positionMs() - want);
      if (!this.player.playing || this.player.track?.uri !== track.uri || drift > 250) this.player.start(track, want);
    } else if (this.player.playing) {
      this.player.stop();
    }
  }

  private prepare(transferId: string, playback: Playback): void {
    const delay = typeof this.opts.loadDelayMs === 'function' ? this.opts.loadDelayMs() : (this.opts.loadDelayMs ?? 0);
    setTimeout(() => {
      if (this.opts.failLoad) return this.send({ type: 'transfer.failed', transferId, reason: 'load failed' });
      this.prepared.set(transferId, playback);
      this.send({ type: 'transfer.ready', transferId });
    }, delay);
  }

  private scheduleSwitch(transferId: string, role: 'start' | 'stop', atServerTime: number, positionMs: number): void {
    const localT = atServerTime + this.offsetMs;
    const clock = () => this.localNow();
    this.switchCancel?.();
    this.switchCancel = at(clock, localT, () => {
      this.switchCancel = null;
      if (role === 'stop') {
        this.player.stop(transferId);
        this.stoppedFor = transferId;
        return;
      }
      const playback = this.prepared.get(transferId);
      this.prepared.clear();
      if (!playback?.track) return this.send({ type: 'transfer.failed', transferId, reason: 'nothing prepared' });
      // Start where the line is now: a timer that fired late must not put the position behind.
      this.player.start(playback.track, positionMs + (clock() - localT), transferId);
      this.startedFor = transferId;
      this.send({ type: 'transfer.started', transferId, atServerTime: this.serverNow() });
    });
  }

  private abort(transferId: string, resumeAt?: { positionMs: number; atServerTime: number }): void {
    this.prepared.delete(transferId);
    this.switchCancel?.();
    this.switchCancel = null;
    if (this.startedFor === transferId) this.player.stop(transferId);
    const track = this.cluster?.playback.track;
    if (this.stoppedFor === transferId && resumeAt && track) {
      this.player.start(track, resumeAt.positionMs + (this.serverNow() - resumeAt.atServerTime), transferId);
    }
    this.emit(`transfer ${transferId} aborted`);
    this.reconcile();
  }

  /** Send a command and wait for its result. A given `commandId` makes it a retry. */
  command(input: CommandInput, timeoutMs = 15_000): Promise<CommandResult> {
    const commandId = input.commandId ?? `${this.id}-${++this.commands}`;
    const command = { ...input, commandId };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no result for ${command.type} ${commandId}`)), timeoutMs);
      this.pending.set(commandId, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.send(command);
    });
  }

  /** Send any frame as is (for tests of bad input). */
  sendRaw(data: string | Buffer): void {
    this.ws?.send(data);
  }

  /** Resolve once `predicate` holds (checked after every message), or reject after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.id}: timed out waiting for ${what}`));
      }, timeoutMs);
      const poll = setInterval(check, 20);
      const cleanup = () => {
        clearTimeout(timer);
        clearInterval(poll);
        this.watchers.delete(check);
      };
      this.watchers.add(check);
    });
  }

  /** The connection drops abruptly (no goodbye); the device reconnects and keeps playing meanwhile. */
  drop(): void {
    this.ws?.terminate();
  }

  /** The device vanishes: connection gone, no reconnect, but its sound goes on (a car in a tunnel). */
  vanish(): void {
    this.stopped = true;
    this.ws?.terminate();
    this.stopTicker();
  }

  /** Leave on purpose: goodbye, close, silence. */
  async close(): Promise<void> {
    this.stopped = true;
    this.stopTicker();
    this.switchCancel?.();
    this.player.stop();
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ type: 'device.goodbye' }));
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(CloseCode.GOING_AWAY);
        setTimeout(resolve, 500);
      });
    }
    this.ws = null;
  }

  private tick(): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (performance.now() - this.lastHeard > 3 * this.heartbeatMs) return ws.terminate();
    if (this.opts.dropRate && (this.opts.random ?? Math.random)() < this.opts.dropRate) {
      this.emit('connection dropped (fault injection)');
      ws.terminate();
    }
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  private emit(line: string): void {
    this.opts.onEvent?.(`${this.id}: ${line}`);
  }
}
