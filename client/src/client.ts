import {
  CloseCode,
  HubMessage,
  isFatalClose,
  positionAt,
  soundsOn,
  type Capabilities,
  type Cluster,
  type Command,
  type CommandResult,
  type DeviceKind,
  type DeviceMessage,
} from '@handoff/protocol';
import { GraceSilence } from './grace-silence.ts';
import { OwnerAffinity } from './owner-affinity.ts';
import { PendingCommands } from './pending-commands.ts';
import type { PlayerPort } from './player.ts';
import { ReconnectPolicy } from './reconnect-policy.ts';
import { OPEN, type SocketFactory, type WebSocketLike } from './socket.ts';
import { runAt } from './schedule.ts';
import { helloOf } from './resume.ts';
import { Switches } from './switches.ts';
import { Watchers } from './watchers.ts';

export interface ClientOptions {
  /** Hub socket URLs (ws://host:port/v1/connect); on failure the client moves to the next. */
  urls: string[];
  /** A token, or a function that gets one (called again when the hub refuses the last). */
  token: string | (() => Promise<string>);
  device: { id: string; name: string; kind: DeviceKind; capabilities: Capabilities; volume?: number };
  player: PlayerPort;
  socket: SocketFactory;
  /** This device's clock in ms (default: performance.timeOrigin + performance.now()). */
  clock?: () => number;
  /** Longest wait between reconnect attempts. @default 3000 */
  maxBackoffMs?: number;
  random?: () => number;
  /** One line per notable event. */
  onEvent?: (line: string) => void;
}

export type CommandInput = {
  [K in Command['type']]: Omit<Extract<Command, { type: K }>, 'commandId'> & { commandId?: string };
}[Command['type']];

const defaultClock = () => performance.timeOrigin + performance.now();

/**
 * A device's connection to the hub, doing the hard parts right: hello with capabilities and what
 * it plays (so a restarted hub can rebuild), clock sync answers, reconnect with backoff and
 * jitter across hubs, fencing by revision, switches at a server time on the device's own clock,
 * commands with ids and retries. The sound itself is the PlayerPort's.
 */
export class HandoffClient {
  cluster: Cluster | null = null;
  /** Device clock minus server clock, as the hub estimated it. */
  offsetMs = 0;
  errorMs = Infinity;
  rttMs = Infinity;
  staleIgnored = 0;
  connects = 0;
  readonly errors: Array<{ code: string; message: string }> = [];
  private ws: WebSocketLike | null = null;
  private token: string | null = null;
  private readonly reconnect: ReconnectPolicy;
  private stopped = false;
  /** When the hub last said anything (any socket), and when the current socket opened. */
  private lastHeard = 0;
  private openedAt = 0;
  private heartbeatMs = 5000;
  private graceMs = Infinity;
  private commands = 0;
  private readonly pending = new PendingCommands((command) => this.send(command));
  /** The URL of the socket open now. */
  private openUrl = '';
  private moving = false;
  private readonly affinity = new OwnerAffinity({
    idle: () => this.pending.size === 0 && !this.switches.waiting,
    moveTo: (url) => {
      this.emit(`moving to the session's node ${url}`);
      this.reconnect.prefer(url);
      this.moving = true;
      this.ws?.close(1000, 'moving to the owner node');
    },
  });
  private readonly switches: Switches;
  private readonly watchers = new Watchers();
  private ticker: ReturnType<typeof setInterval> | null = null;
  private readonly silence = new GraceSilence({
    now: () => this.now(),
    lastHeard: () => this.lastHeard,
    graceMs: () => this.graceMs,
    connected: () => this.connected,
    goSilent: () => this.goSilent(),
  });
  private welcomed: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private welcomedOn: WebSocketLike | null = null;
  readonly now: () => number;

  constructor(private readonly opts: ClientOptions) {
    this.now = opts.clock ?? defaultClock;
    if (typeof opts.token === 'string') this.token = opts.token;
    this.reconnect = new ReconnectPolicy(opts);
    this.switches = new Switches({
      player: opts.player,
      now: this.now,
      offsetMs: () => this.offsetMs,
      serverNow: () => this.serverNow(),
      track: () => this.cluster?.playback.track,
      send: (message) => this.send(message),
    });
  }

  get id(): string {
    return this.opts.device.id;
  }

  get revision(): number {
    return this.cluster?.revision ?? 0;
  }

  /** Welcomed on the socket it has now. */
  get connected(): boolean {
    return this.ws?.readyState === OPEN && this.welcomedOn === this.ws;
  }

  /** Server time as this device estimates it. */
  serverNow(): number {
    return this.now() - this.offsetMs;
  }

  /** Connect; resolves once the hub welcomed this device. */
  connect(): Promise<void> {
    this.stopped = false;
    const done = new Promise<void>((resolve, reject) => (this.welcomed = { resolve, reject }));
    void this.open();
    this.ticker ??= setInterval(() => this.tick(), 1000);
    return done;
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const url = (this.openUrl = this.reconnect.url);
    try {
      if (!this.token && typeof this.opts.token === 'function') this.token = await this.opts.token();
    } catch (err) {
      return this.retry(`token: ${(err as Error).message}`);
    }
    const ws = this.opts.socket(`${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(this.token ?? '')}`);
    this.ws = ws;
    ws.onopen = () => {
      this.openedAt = this.now();
      this.send(helloOf(this.opts.device, this.cluster, this.opts.player.playing));
    };
    ws.onmessage = (ev) => this.receive(typeof ev.data === 'string' ? ev.data : new TextDecoder().decode(ev.data as ArrayBuffer));
    ws.onclose = (ev) => this.closed(ws, ev.code, ev.reason);
    ws.onerror = () => {};
  }

  private closed(ws: WebSocketLike, code: number, reason: string): void {
    if (this.ws !== ws) return;
    this.ws = null;
    if (this.stopped) return;
    this.silence.arm();
    if (this.moving) {
      this.moving = false;
      return void this.open();
    }
    if (code === CloseCode.UNAUTHORIZED && typeof this.opts.token === 'function') {
      // The hub restarted with a new secret, or the token expired: get a fresh one.
      this.token = null;
      return this.retry('token refused, getting a new one');
    }
    if (isFatalClose(code) || code === CloseCode.UNAUTHORIZED) {
      this.stopped = true;
      this.emit(`closed ${code} ${reason}`);
      this.welcomed?.reject(new Error(`hub closed the socket: ${code} ${reason}`));
      this.welcomed = null;
      return;
    }
    this.retry(`closed ${code}`);
  }

  private retry(why: string): void {
    if (this.stopped) return;
    const wait = this.reconnect.failed();
    this.emit(`reconnecting in ${Math.round(wait)} ms (${why})`);
    setTimeout(() => void this.open(), wait);
  }

  private send(message: DeviceMessage): void {
    if (this.ws?.readyState === OPEN) this.ws.send(JSON.stringify(message));
  }

  private receive(text: string): void {
    this.lastHeard = this.now();
    let parsed;
    try {
      parsed = HubMessage.safeParse(JSON.parse(text));
    } catch {
      return this.emit('unreadable frame from hub');
    }
    if (!parsed.success) return this.emit(`unexpected message from hub: ${text.slice(0, 80)}`);
    const m = parsed.data;
    switch (m.type) {
      case 'hub.welcome':
        this.welcomedOn = this.ws;
        this.heartbeatMs = m.heartbeatMs;
        this.graceMs = m.graceMs;
        this.silence.cancel();
        // Before the first clock.sync, the welcome's serverTime is the estimate (late by one trip).
        if (!Number.isFinite(this.errorMs)) this.offsetMs = this.now() - m.serverTime;
        this.reconnect.welcomed();
        this.connects++;
        this.apply(m.cluster);
        this.welcomed?.resolve();
        this.welcomed = null;
        this.emit(`connected (revision ${m.cluster.revision})`);
        // An answer may have been lost with the old socket: ask again, the hub deduplicates by id.
        this.pending.resend();
        this.affinity.welcomed(this.openUrl, m.ownerUrl);
        break;
      case 'cluster.update':
        this.apply(m.cluster);
        break;
      case 'clock.ping': {
        const t1 = this.now();
        this.send({ type: 'clock.pong', pingId: m.pingId, t0: m.t0, t1, t2: this.now() });
        this.reportPlayback();
        break;
      }
      case 'clock.sync':
        this.offsetMs = m.offsetMs;
        this.errorMs = m.errorMs;
        this.rttMs = m.rttMs;
        break;
      case 'transfer.prepare':
        this.switches.prepare(m.transferId, m.playback, m.volume);
        break;
      case 'transfer.switch':
        this.switches.schedule(m.transferId, m.role, m.atServerTime, m.positionMs);
        break;
      case 'transfer.abort':
        this.switches.abort(m.transferId, m.resumeAt);
        this.emit(`transfer ${m.transferId} aborted`);
        this.reconcile();
        break;
      case 'playback.resync':
        this.resync(m.trackUri, m.atServerTime, m.positionMs);
        break;
      case 'command.result':
        this.pending.answered(m);
        break;
      case 'error':
        this.errors.push({ code: m.code, message: m.message });
        // A command the hub could not read is answered for good: resending it would get the same.
        if (m.commandId !== undefined) this.pending.answered({ type: 'command.result', commandId: m.commandId, ok: false, code: m.code, message: m.message });
        break;
      case 'hub.reconnect':
        this.emit(`hub asks to reconnect: ${m.reason}`);
        this.ws?.close(CloseCode.GOING_AWAY);
        break;
    }
    this.watchers.notify();
  }

  /** Fencing: a cluster older than the one this device has is ignored. */
  private apply(cluster: Cluster): void {
    if (this.cluster && cluster.revision < this.cluster.revision) {
      this.staleIgnored++;
      return;
    }
    const wasActive = this.cluster ? soundsOn(this.cluster, this.id) : false;
    this.cluster = cluster;
    const isActive = soundsOn(cluster, this.id);
    if (wasActive !== isActive) this.emit(isActive ? 'now active' : 'no longer active');
    const me = cluster.devices.find((d) => d.id === this.id);
    if (me) this.opts.player.setVolume?.(me.volume);
    this.reconcile();
  }

  /**
   * Make the sound match the cluster: play what it says if this device is active (or plays in
   * the active group), else be silent.
   */
  private reconcile(): void {
    if (this.switches.waiting || !this.cluster) return;
    const { playback } = this.cluster;
    const track = playback.track;
    const player = this.opts.player;
    if (soundsOn(this.cluster, this.id) && track && playback.position.rate > 0) {
      const want = positionAt(playback.position, this.serverNow(), track.durationMs);
      if (!player.playing || player.trackUri !== track.uri || Math.abs(player.positionMs() - want) > 250) player.start(track, want);
    } else if (player.playing) {
      player.stop();
    }
  }

  /** A group member tells the hub where its sound is, with each clock answer, so the hub can correct its drift. */
  private reportPlayback(): void {
    const c = this.cluster;
    const player = this.opts.player;
    if (!c || !player.playing || !c.groups?.some((g) => g.id === c.activeDeviceId) || !soundsOn(c, this.id)) return;
    this.send({ type: 'playback.report', positionMs: player.positionMs(), atServerTime: this.serverNow() });
  }

  /** The hub says this member drifted: at server time T, play the track from `positionMs` (plus any lateness). */
  private resync(trackUri: string, atServerTime: number, positionMs: number): void {
    const localT = () => atServerTime + this.offsetMs;
    runAt(this.now, localT, () => {
      const track = this.cluster?.playback.track;
      const player = this.opts.player;
      if (this.switches.waiting || !track || track.uri !== trackUri || !player.playing || player.trackUri !== trackUri) return;
      player.start(track, positionMs + (this.now() - localT()), `resync@${atServerTime}`);
    });
  }

  /** Send a command and wait for its result. Passing the same `commandId` again is a safe retry. */
  command(input: CommandInput, timeoutMs = 15_000): Promise<CommandResult> {
    const commandId = input.commandId ?? `${this.id}-${Date.now().toString(36)}-${++this.commands}`;
    return this.pending.send({ ...input, commandId }, timeoutMs);
  }

  /** Send any frame as is (tests of bad input). */
  sendRaw(data: string): void {
    this.ws?.send(data);
  }

  /** Resolve once `predicate` holds (checked after every message), or reject after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    return this.watchers.waitFor(predicate, timeoutMs, what, this.id);
  }

  /** The connection drops without a goodbye; the client reconnects and the sound goes on. */
  drop(): void {
    this.ws?.close(CloseCode.GOING_AWAY);
  }

  /** Stop reconnecting and let go of the socket without a goodbye (the device vanished). */
  vanish(close: (ws: WebSocketLike) => void = (ws) => ws.close()): void {
    this.stopped = true;
    if (this.ws) close(this.ws);
    this.stopTicker();
  }

  /** Leave on purpose: goodbye, close, silence. */
  close(): void {
    this.stopped = true;
    this.stopTicker();
    this.switches.cancel();
    this.opts.player.stop();
    if (this.ws?.readyState === OPEN) {
      this.ws.send(JSON.stringify({ type: 'device.goodbye' }));
      this.ws.close(CloseCode.GOING_AWAY);
    }
  }

  /** The socket, for callers that need to end it abruptly. */
  get socket(): WebSocketLike | null {
    return this.ws;
  }

  /** The hub has given this device's role away: playing on would be double playback. */
  private goSilent(): void {
    if (!this.opts.player.playing) return;
    this.switches.cancel();
    this.emit('no hub for the grace period: going silent');
    this.opts.player.stop();
  }

  private tick(): void {
    this.silence.check();
    if (this.ws?.readyState !== OPEN) return;
    this.affinity.check();
    if (this.now() - Math.max(this.lastHeard, this.openedAt) > 3 * this.heartbeatMs) {
      this.emit('hub silent for 3 heartbeats, reconnecting');
      this.ws.close(CloseCode.GOING_AWAY);
    }
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.silence.cancel();
  }

  private emit(line: string): void {
    this.opts.onEvent?.(`${this.id}: ${line}`);
  }
}
