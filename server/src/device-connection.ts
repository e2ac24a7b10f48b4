import {
  CloseCode,
  DeviceMessage,
  PROTOCOL_VERSION,
  type Command,
  type CommandResult,
  type ErrorCode,
  type HubMessage,
} from '@handoff/protocol';
import type { Principal } from './auth/token.ts';
import type { Clock } from './clock.ts';
import { ClockSync } from './clock-sync.ts';
import { mayHaveCommitted, SESSION_MOVED, toHubError } from './errors.ts';
import { FrameGuard, type Refusal } from './frame-guard.ts';
import type { HubSettings } from './hub-settings.ts';
import type { RateDecision } from './limits/rate-limit.ts';
import { TokenBucket } from './limits/token-bucket.ts';
import type { TurnBudget } from './limits/turn-budget.ts';
import type { Log } from './log.ts';
import type { Metrics } from './metrics/metrics.ts';
import { attachDevice } from './session/attach-device.ts';
import type { SessionPort } from './session/session-port.ts';
import type { DeviceLink } from './session/device-link.ts';
import type { HubSocket } from './socket.ts';

let connCount = 0;

/** A second without a dropped frame ends a flood (see `flooding`). */
const FLOOD_QUIET_MS = 1000;

/** What a device connection needs of the hub that holds it (the Hub; tests may bring their own). */
export interface ConnectionHost {
  readonly clock: Clock;
  readonly settings: HubSettings;
  readonly log: Log;
  readonly metrics: Metrics;
  /** Each user's share of one event-loop turn. */
  readonly turns: TurnBudget;
  /** Whether the user may run one more command now. */
  allowCommand(userId: string): RateDecision;
  /** What the user's connections talk to: the session, or a route to it. */
  portFor(userId: string): Promise<SessionPort>;
  /**
   * How long a device's command may go unanswered before the hub answers it COMMAND_TIMEOUT
   * itself (many nodes: a Redis stall or a lost owner), or null for no deadline (one node).
   */
  commandDeadlineMs(command: Command): number | null;
  /** The connection closed. */
  forget(conn: DeviceConnection): void;
}

/**
 * One device socket: parses every frame once, answers bad ones with an error code, keeps the
 * device's clock estimate and liveness, and turns valid messages into session events.
 */
export class DeviceConnection implements DeviceLink {
  readonly id = `c${(++connCount).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  readonly userId: string;
  deviceId: string | null = null;
  session: SessionPort | null = null;
  readonly clock: ClockSync;
  lastHeardAt: number;
  private pingId = 0;
  private helloPending = false;
  private readonly backlog: string[] = [];
  private closed = false;
  /** Why the hub closed the socket, for the trace; null when the device closed it. */
  private closedBy: { code: number; reason: string } | null = null;
  /** Silent past 1.5 heartbeats (traced once, and again when heard from). */
  private silentSince: number | null = null;
  private readonly helloTimer: NodeJS.Timeout;

  private readonly frames: TokenBucket;
  /** Frames dropped over the rate since the last second without a drop, and when the last was. */
  private refusedFrames = 0;
  private lastRefusedAt = -Infinity;
  private readonly guard: FrameGuard;
  /** Frames waiting for a later turn: this user had used up the current one (limits/turn-budget.ts). */
  private readonly deferred: Array<{ data: string | Buffer; isBinary: boolean }> = [];
  /** Commands sent on with a deadline and not answered yet: their timers. */
  private readonly unanswered = new Map<string, unknown>();

  constructor(
    private readonly hub: ConnectionHost,
    private readonly socket: HubSocket,
    principal: Principal,
    readonly address = '?',
  ) {
    this.userId = principal.userId;
    this.lastHeardAt = hub.clock.now();
    this.clock = new ClockSync(32, hub.settings.clockMaxDriftPpm);
    this.frames = new TokenBucket(hub.settings.framesPerSec, hub.settings.frameBurst, this.lastHeardAt);
    this.guard = new FrameGuard(hub.settings.frameGuard, hub.clock, (refusal) => this.reply(refusal));
    this.helloTimer = setTimeout(() => {
      if (!this.deviceId) this.close(CloseCode.HELLO_TIMEOUT, 'no device.hello in time');
    }, hub.settings.helloTimeoutMs);
  }

  /** A frame arrived. Text only; anything else is refused with an error, never a crash. */
  receive(data: string | Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.lastHeardAt = this.hub.clock.now();
    if (this.silentSince !== null) this.heardAgain();
    if (!this.frames.take(this.lastHeardAt)) return this.flooding(this.lastHeardAt);
    if (this.deferred.length > 0 || !this.hub.turns.take(this.userId)) return this.defer(data, isBinary);
    this.accept(data, isBinary);
  }

  private defer(data: string | Buffer, isBinary: boolean): void {
    this.deferred.push({ data, isBinary });
    if (this.deferred.length > 1) return;
    this.socket.pause?.();
    this.hub.turns.later(() => this.drain());
  }

  private drain(): void {
    while (!this.closed && this.deferred.length > 0 && this.hub.turns.take(this.userId)) {
      const { data, isBinary } = this.deferred.shift()!;
      try {
        this.accept(data, isBinary);
      } catch (err) {
        // Outside the socket's own handler here: the same rule, one frame never takes the process down.
        this.close(CloseCode.INTERNAL, toHubError(err).message);
      }
    }
    if (this.closed) return;
    if (this.deferred.length > 0) this.hub.turns.later(() => this.drain());
    else this.socket.resume?.();
  }

  private accept(data: string | Buffer, isBinary: boolean): void {
    const refusal = this.guard.screen(data, isBinary);
    if (refusal) return this.error(refusal.code, refusal.message);
    const text = typeof data === 'string' ? data : data.toString('utf8');
    if (this.helloPending) {
      // One frame is held while the session opens; a client has no reason to send more before the welcome.
      if (this.backlog.length >= 1) return this.error('NOT_READY', 'wait for hub.welcome: one frame is held before it, no more');
      this.backlog.push(text);
      return;
    }
    this.handle(text);
  }

  private handle(text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return this.error('BAD_JSON', 'frame is not valid JSON');
    }
    const parsed = DeviceMessage.safeParse(raw);
    if (!parsed.success) {
      const fields: Record<string, unknown> = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
      const type = fields.type;
      const ref = typeof type === 'string' ? type.slice(0, 64) : undefined;
      if (typeof type !== 'string' || !DeviceMessage.options.some((o) => o.shape.type.value === type)) {
        return this.error('UNKNOWN_TYPE', `unknown message type ${JSON.stringify(ref ?? null)}`, ref);
      }
      const issue = parsed.error.issues[0];
      // A command whose id can be read is answered by this error for good: its sender must not resend it.
      const commandId = typeof fields.commandId === 'string' && fields.commandId.length <= 128 ? fields.commandId : undefined;
      return this.error('BAD_REQUEST', `${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}`, ref, commandId);
    }
    const message = parsed.data;
    if (message.type === 'device.hello') return this.hello(message, text.length);
    if (!this.session || !this.deviceId) return this.error('NOT_READY', 'send device.hello first', message.type);
    const seq = message.type === 'clock.pong' ? 0 : this.session.traceEvent('message.in', message.type, {
      deviceId: this.deviceId,
      payload: message,
      size: text.length,
      ...correlation(message),
    });
    const cause = { parentSeq: seq, ...correlation(message) };
    switch (message.type) {
      case 'clock.pong':
        return this.pong(message.t0, message.t1, message.t2);
      case 'transfer.ready':
        return this.session.send({ type: message.type, deviceId: this.deviceId, transferId: message.transferId }, cause);
      case 'transfer.started': {
        const { transferId, atServerTime } = message;
        return this.session.send({ type: message.type, deviceId: this.deviceId, transferId, ...(atServerTime !== undefined ? { atServerTime } : {}) }, cause);
      }
      case 'transfer.failed':
        return this.session.send({ type: message.type, deviceId: this.deviceId, transferId: message.transferId, reason: message.reason }, cause);
      case 'playback.report':
        return this.session.send({ type: message.type, deviceId: this.deviceId, positionMs: message.positionMs, atServerTime: message.atServerTime }, cause);
      case 'device.goodbye':
        this.session.send({ type: 'device.leave', deviceId: this.deviceId, connId: this.id, goodbye: true }, cause);
        return this.close(CloseCode.GOING_AWAY, 'goodbye');
      default: {
        const allowed = this.hub.allowCommand(this.userId);
        if (!allowed.ok) {
          const seconds = Math.ceil(allowed.retryAfterMs / 1000);
          const refusal = { type: 'command.result', commandId: message.commandId, ok: false, code: 'RATE_LIMITED', message: `too many commands: retry in ${seconds} s` } as const;
          this.session.traceEvent('command.result', 'RATE_LIMITED', { deviceId: this.deviceId, correlationId: message.commandId, payload: refusal });
          this.hub.metrics.refused('device', 'RATE_LIMITED');
          return this.sendMessage(refusal);
        }
        this.answerBy(message);
        return this.session.send({ type: 'command', command: message, replyTo: { kind: 'device', deviceId: this.deviceId }, origin: this.deviceId }, cause);
      }
    }
  }

  /**
   * Many nodes: a command not answered within its deadline (Redis stalled, the owner gone) is
   * answered here with COMMAND_TIMEOUT, which says it may still take effect; the same commandId
   * sent again gets its real outcome. Armed before the command goes on: one node may answer it at once.
   */
  private answerBy(command: Command): void {
    const ms = this.hub.commandDeadlineMs(command);
    if (ms === null || this.unanswered.has(command.commandId)) return;
    const { commandId } = command;
    this.unanswered.set(
      commandId,
      this.hub.clock.setTimeout(() => {
        if (!this.unanswered.delete(commandId)) return;
        const result: CommandResult = { type: 'command.result', commandId, ok: false, code: 'COMMAND_TIMEOUT', message: mayHaveCommitted(ms) };
        this.session?.traceEvent('command.result', 'COMMAND_TIMEOUT', { ...(this.deviceId ? { deviceId: this.deviceId } : {}), correlationId: commandId, payload: result });
        this.sendMessage(result);
      }, ms),
    );
  }

  /** Many nodes: the session stopped where it ran without answering: every command still waiting hears now, not at its deadline. */
  releaseWaiting(): void {
    for (const [commandId, timer] of [...this.unanswered]) {
      this.unanswered.delete(commandId);
      this.hub.clock.clearTimeout(timer);
      const result: CommandResult = { type: 'command.result', commandId, ok: false, code: 'COMMAND_TIMEOUT', message: SESSION_MOVED };
      this.session?.traceEvent('command.result', 'COMMAND_TIMEOUT', { ...(this.deviceId ? { deviceId: this.deviceId } : {}), correlationId: commandId, payload: result });
      this.sendMessage(result);
    }
  }

  /** A command's result on its way out: its deadline is met. */
  private answered(text: string): void {
    const { commandId } = JSON.parse(text) as { commandId?: string };
    if (commandId === undefined) return;
    const timer = this.unanswered.get(commandId);
    if (timer === undefined) return;
    this.unanswered.delete(commandId);
    this.hub.clock.clearTimeout(timer);
  }

  private hello(message: Extract<DeviceMessage, { type: 'device.hello' }>, size: number): void {
    if (this.deviceId) return this.error('BAD_REQUEST', 'device.hello was already sent', message.type);
    if (message.protocolVersion < PROTOCOL_VERSION) return this.close(CloseCode.CLIENT_TOO_OLD, `protocol ${message.protocolVersion} is older than ${PROTOCOL_VERSION}`);
    if (message.protocolVersion > PROTOCOL_VERSION) return this.close(CloseCode.SERVER_TOO_OLD, `protocol ${message.protocolVersion} is newer than ${PROTOCOL_VERSION}`);
    this.helloPending = true;
    this.hub
      .portFor(this.userId)
      .then((session) => {
        if (this.closed) return;
        const { device } = message;
        if (!session.admits(device.id, this.hub.settings.session.maxDevices)) {
          return this.close(CloseCode.TOO_MANY_DEVICES, `at most ${this.hub.settings.session.maxDevices} devices per user`);
        }
        clearTimeout(this.helloTimer);
        this.deviceId = device.id;
        this.session = session;
        session.traceEvent('connection', 'opened', { deviceId: device.id, payload: { connId: this.id } });
        const seq = session.traceEvent('message.in', message.type, { deviceId: device.id, payload: message, size });
        attachDevice(session, this, { type: 'device.join', device, resume: message.resume, connId: this.id, heartbeatMs: this.hub.settings.heartbeatMs }, { parentSeq: seq });
        this.helloPending = false;
        this.startClockSync();
        for (const text of this.backlog.splice(0)) this.handle(text);
      })
      .catch((err: unknown) => {
        this.hub.log.error({ err, userId: this.userId }, 'could not open session');
        this.close(CloseCode.INTERNAL, 'could not open the session');
      });
  }

  /**
   * Over the frame rate: the frame is dropped. The first drop of a flood is answered with
   * RATE_LIMITED (answering every one would amplify the flood); once a second burst's worth has
   * been dropped, the socket is closed. A flood lasts until a whole second passes without a drop:
   * the frames the bucket still lets through meanwhile (its rate) do not end it, so a sustained
   * flood at any rate over the limit is closed, not only one fast enough to overrun a burst
   * between two refills.
   */
  private flooding(now: number): void {
    if (now - this.lastRefusedAt >= FLOOD_QUIET_MS) this.refusedFrames = 0;
    this.lastRefusedAt = now;
    if (++this.refusedFrames === 1) this.error('RATE_LIMITED', `more than ${this.hub.settings.framesPerSec} frames a second: frame dropped`);
    if (this.refusedFrames > this.hub.settings.frameBurst) this.close(CloseCode.RATE_LIMITED, 'flooding', true);
  }

  /**
   * A burst of pings right after the hello, so the estimate is good before any transfer: the
   * bounds of 16 exchanges are far tighter than the first one's (then one per heartbeat). A
   * device whose estimate is already within 1 ms after 4 samples (a LAN, loopback) is spared the
   * rest: more cannot improve a switch scheduled to the ms, and at a connect storm of thousands
   * of devices the pings are most of the work on both ends.
   */
  private startClockSync(): void {
    this.pingBurst(16);
  }

  /** Up to `count` pings 25 ms apart, stopping once the estimate is within 1 ms. */
  private pingBurst(count: number): void {
    let sent = 0;
    const next = () => {
      if (this.closed || sent >= count) return;
      const e = this.clock.estimate();
      if (e && e.samples >= 4 && e.errorMs <= 1) return;
      sent++;
      this.ping();
      setTimeout(next, 25);
    };
    next();
  }

  /**
   * How far ahead to schedule a switch for this device: twice its worst recent round trip, plus
   * its clock error bound, plus a margin for a busy event loop.
   */
  leadMs(): number {
    const e = this.clock.estimate();
    return e ? 2 * e.recentMaxRttMs + 2 * e.errorMs + 40 : 0;
  }

  ping(): void {
    if (this.closed) return;
    const silentMs = this.hub.clock.now() - this.lastHeardAt;
    if (this.silentSince === null && this.session && this.deviceId && silentMs > this.hub.settings.heartbeatMs * 1.5) {
      this.silentSince = this.lastHeardAt;
      this.session.traceEvent('presence', 'silent', { deviceId: this.deviceId, payload: { silentMs: Math.round(silentMs), heartbeatMs: this.hub.settings.heartbeatMs } });
    }
    this.sendMessage({ type: 'clock.ping', pingId: ++this.pingId, t0: this.hub.clock.now() });
  }

  private pong(t0: number, t1: number, t2: number): void {
    const t3 = this.hub.clock.now();
    if (t0 > t3 || t3 - t0 > 60_000) return;
    const before = this.clock.estimate();
    const estimate = this.clock.add(t0, t1, t2, t3);
    if (!estimate || !this.session) return;
    if (before && Math.abs(before.offsetMs - estimate.offsetMs) < 0.5 && Math.abs(before.errorMs - estimate.errorMs) < 0.5) return;
    const sync = { type: 'clock.sync', offsetMs: estimate.offsetMs, errorMs: estimate.errorMs, rttMs: estimate.rttMs } as const;
    this.session.traceEvent('clock', 'estimate', { deviceId: this.deviceId!, payload: sync });
    this.hub.metrics.clockEstimate(estimate.errorMs);
    this.sendMessage(sync);
  }

  /**
   * DeviceLink: the session sends through here; a device that cannot keep up is cut off. A
   * device asked to prepare is about to be given a switch time: a few more clock exchanges first
   * (on a link where the estimate is not already within 1 ms), whose estimates reach it before T.
   */
  send(text: string, message?: HubMessage): void {
    if (this.closed) return;
    if (this.socket.bufferedAmount > this.hub.settings.maxBufferedBytes) {
      return this.close(CloseCode.RATE_LIMITED, 'too slow: output buffer full');
    }
    if (this.unanswered.size > 0 && text.startsWith('{"type":"command.result"')) this.answered(text);
    this.socket.send(text);
    if (message?.type === 'transfer.prepare') this.pingBurst(4);
  }

  sendMessage(message: HubMessage): void {
    this.send(JSON.stringify(message));
  }

  /**
   * Refuse a frame. Every refusal but the flood notice answers a frame that broke the protocol,
   * so it counts against the socket (frame-guard.ts): answered, coalesced, or the socket closed.
   */
  private error(code: ErrorCode, message: string, ref?: string, commandId?: string): void {
    this.hub.metrics.refused('device', code);
    if (code !== 'RATE_LIMITED') {
      const verdict = this.guard.strike({ code, message }, this.deviceId === null);
      if (verdict === 'close') return this.close(this.hub.settings.frameGuard.closeCode, this.guard.closeReason(), true);
      if (verdict === 'quiet') return;
    }
    this.reply({ code, message }, ref, commandId);
  }

  private reply({ code, message }: Refusal, ref?: string, commandId?: string): void {
    this.session?.traceEvent('error', code, {
      ...(this.deviceId ? { deviceId: this.deviceId } : {}),
      ...(commandId !== undefined ? { correlationId: commandId } : {}),
      payload: { message, ref, commandId },
    });
    this.sendMessage({ type: 'error', code, message, ...(ref !== undefined ? { ref } : {}), ...(commandId !== undefined ? { commandId } : {}) });
  }

  private heardAgain(): void {
    const silentMs = Math.round(this.lastHeardAt - this.silentSince!);
    this.silentSince = null;
    if (this.session && this.deviceId) this.session.traceEvent('presence', 'heard-again', { deviceId: this.deviceId, payload: { silentMs } });
  }

  close(code: number, reason: string, hostile = false): void {
    if (this.closed) return;
    this.closedBy = { code, reason };
    this.hub.metrics.deviceClosed(code);
    // Frames waiting for a turn are moot; an honest peer's close handshake needs the socket read again.
    if (this.deferred.splice(0).length > 0 && !hostile) this.socket.resume?.();
    this.socket.close(code, reason, hostile);
    this.onClosed();
  }

  /** The socket is gone (closed by either side): tell the session, which starts the grace period. */
  onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.helloTimer);
    for (const timer of this.unanswered.values()) this.hub.clock.clearTimeout(timer);
    this.unanswered.clear();
    this.guard.stop();
    this.hub.forget(this);
    if (this.session && this.deviceId) {
      this.session.unlink(this.deviceId, this);
      const payload = { connId: this.id, by: this.closedBy ? ('hub' as const) : ('device' as const), ...this.closedBy };
      const seq = this.session.traceEvent('connection', 'closed', { deviceId: this.deviceId, payload });
      // A kicked device will not be back (its client does not reconnect): offline now, as after a goodbye, not after the grace period.
      const goodbye = this.closedBy?.code === CloseCode.KICKED;
      this.session.send({ type: 'device.leave', deviceId: this.deviceId, connId: this.id, goodbye, lastHeardAt: this.lastHeardAt }, { parentSeq: seq });
    }
  }
}

function correlation(message: DeviceMessage): { correlationId?: string } {
  if ('transferId' in message) return { correlationId: message.transferId };
  if ('commandId' in message) return { correlationId: message.commandId };
  return {};
}
