import {
  clockPongOf,
  CloseCode,
  DeviceMessage,
  PROTOCOL_VERSION,
  type Command,
  type CommandResult,
  type ErrorCode,
  type HubMessage,
} from '@handoff/protocol';
import type { Principal } from './auth/token.ts';
import type { ClockSync } from './clock-sync.ts';
import type { ConnectionHost } from './connection-host.ts';
import { CommandDeadlines } from './command-deadlines.ts';
import { DeviceClock, type ClockLink } from './device-clock.ts';
import { correlation, invalidMessage, reportEvent } from './device-messages.ts';
import { mayHaveCommitted, SESSION_MOVED, toHubError } from './errors.ts';
import { FrameGuard, type Refusal } from './frame-guard.ts';
import { DeferredFrames } from './limits/deferred-frames.ts';
import { FloodCount } from './limits/flood-count.ts';
import { FrameRate, type FrameVerdict } from './limits/frame-rate.ts';
import { attachDevice } from './session/attach-device.ts';
import type { SessionPort } from './session/session-port.ts';
import type { DeviceLink } from './session/device-link.ts';
import type { HubSocket } from './socket.ts';

/**
 * One device socket: parses every frame once, answers bad ones with an error code, keeps the
 * device's clock estimate and liveness, and turns valid messages into session events.
 */
export class DeviceConnection implements DeviceLink, ClockLink {
  readonly userId: string;
  deviceId: string | null = null;
  session: SessionPort | null = null;
  lastHeardAt: number;
  /** The hub's loop lag (`ConnectionHost.loopLagMs`) when the device was last heard from. */
  private lagAtHeard: number;
  private readonly deviceClock: DeviceClock;
  private helloPending = false;
  /** The one frame held while the session opens. */
  private backlog: string | null = null;
  private closed = false;
  /** Why the hub closed the socket, for the trace; null when the device closed it. */
  private closedBy: { code: number; reason: string } | null = null;
  /** Silent past 1.5 heartbeats (traced once, and again when heard from). */
  private silentSince: number | null = null;
  /** Until the hello is answered (then dropped: a connection holds nothing it no longer needs). */
  private helloTimer: unknown;

  private readonly frames: FrameRate;
  /** Commands of this socket refused over its user's rate in the current flood. */
  private readonly refusedCommands: FloodCount;
  private readonly guard: FrameGuard;
  /** Frames waiting for a later turn: this user had used up the current one (limits/turn-budget.ts). */
  private readonly deferred: DeferredFrames;
  /** Commands sent on with a deadline and not answered yet (many nodes; made for the first one: one node arms none). */
  private deadlines: CommandDeadlines | null = null;

  /** `id`: the connection's id, unique in its hub (the hub numbers them). */
  constructor(
    private readonly hub: ConnectionHost,
    private readonly socket: HubSocket,
    principal: Principal,
    readonly id: string,
    readonly address = '?',
  ) {
    this.userId = principal.userId;
    this.lastHeardAt = hub.clock.now();
    this.lagAtHeard = hub.loopLagMs();
    // The connection is its clock's link: no closures of its own per connection.
    this.deviceClock = new DeviceClock(hub.clock, this, hub.settings.clockMaxDriftPpm);
    this.frames = new FrameRate(hub.settings.frameBurst, hub.settings.framesPerSec, this.lastHeardAt);
    this.refusedCommands = new FloodCount(hub.settings.commandRefusalsPerFlood);
    this.deferred = new DeferredFrames(
      hub.turns,
      this.userId,
      socket,
      (data, isBinary) => this.accept(data, isBinary),
      (err) => this.close(CloseCode.INTERNAL, toHubError(err).message),
      () => this.closed,
    );
    this.guard = new FrameGuard(hub.settings.frameGuard, hub.clock, (refusal) => this.reply(refusal));
    this.helloTimer = hub.clock.setTimeout(() => {
      if (!this.deviceId) this.close(CloseCode.HELLO_TIMEOUT, 'no device.hello in time');
    }, hub.settings.helloTimeoutMs);
  }

  /** The device's clock estimate (clock-sync.ts). */
  get clock(): ClockSync {
    return this.deviceClock.sync;
  }

  /**
   * How long the device has been silent, in the hub's own time: the wall time since its last frame
   * less what the hub's event loop lagged meanwhile. A frame that arrived while the hub was behind
   * waits unread in the socket, and the pings the device would answer went out late; neither is
   * the device's silence.
   */
  silentForMs(): number {
    return this.hub.clock.now() - this.lastHeardAt - (this.hub.loopLagMs() - this.lagAtHeard);
  }

  /** A frame arrived. Text only; anything else is refused with an error, never a crash. */
  receive(data: string | Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.lastHeardAt = this.hub.clock.now();
    this.lagAtHeard = this.hub.loopLagMs();
    if (this.silentSince !== null) this.heardAgain();
    const verdict = this.frames.take(this.lastHeardAt);
    if (verdict !== 'take') return this.flooding(verdict);
    if (this.deferred.admit(data, isBinary)) this.accept(data, isBinary);
  }

  private accept(data: string | Buffer, isBinary: boolean): void {
    const refusal = this.guard.screen(data, isBinary);
    if (refusal) return this.error(refusal.code, refusal.message);
    const text = typeof data === 'string' ? data : data.toString('utf8');
    if (this.helloPending) {
      // One frame is held while the session opens; a client has no reason to send more before the welcome.
      if (this.backlog !== null) return this.error('NOT_READY', 'wait for hub.welcome: one frame is held before it, no more');
      this.backlog = text;
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
    // Most frames on a connect (the burst) and after it (heartbeats) are pongs: read without zod.
    const pong = this.session && this.deviceId ? clockPongOf(raw) : null;
    if (pong) return this.deviceClock.pong(pong.t0, pong.t1, pong.t2);
    const parsed = DeviceMessage.safeParse(raw);
    if (!parsed.success) {
      const { code, message, ref, commandId } = invalidMessage(raw, parsed.error);
      return this.error(code, message, ref, commandId);
    }
    const message = parsed.data;
    if (message.type === 'device.hello') return this.hello(message);
    if (!this.session || !this.deviceId) return this.error('NOT_READY', 'send device.hello first', message.type);
    const seq = message.type === 'clock.pong' ? 0 : this.session.traceEvent('message.in', message.type, {
      deviceId: this.deviceId,
      payload: message,
      ...correlation(message),
    });
    const cause = { parentSeq: seq, ...correlation(message) };
    switch (message.type) {
      case 'clock.pong':
        return this.deviceClock.pong(message.t0, message.t1, message.t2);
      case 'transfer.ready':
      case 'transfer.started':
      case 'transfer.failed':
      case 'playback.report':
        return this.session.send(reportEvent(message, this.deviceId), cause);
      case 'device.goodbye':
        this.session.send({ type: 'device.leave', deviceId: this.deviceId, connId: this.id, goodbye: true }, cause);
        return this.close(CloseCode.GOING_AWAY, 'goodbye');
      default: {
        const allowed = this.hub.allowCommand(this.userId);
        if (!allowed.ok) {
          // A socket that goes on sending commands its user has no budget for is flooding: closed,
          // not answered one refusal at a time (each costs a parse, a trace and a reply).
          if (this.refusedCommands.refused(this.hub.clock.now()) === 'over') return this.close(CloseCode.RATE_LIMITED, 'flooding: commands over the rate', true);
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

  /** Many nodes: arm the command's deadline before it goes on (command-deadlines.ts). */
  private answerBy(command: Command): void {
    const ms = this.hub.commandDeadlineMs(command);
    if (ms !== null) (this.deadlines ??= new CommandDeadlines(this.hub.clock, (commandId, after) => this.timedOut(commandId, after))).arm(command.commandId, ms);
  }

  /** A command's deadline passed unanswered: COMMAND_TIMEOUT, which says it may still take effect. */
  private timedOut(commandId: string, ms: number): void {
    this.answerTimeout(commandId, mayHaveCommitted(ms));
  }

  /** Many nodes: the session stopped where it ran without answering: every command still waiting hears now, not at its deadline. */
  releaseWaiting(): void {
    for (const commandId of this.deadlines?.release() ?? []) this.answerTimeout(commandId, SESSION_MOVED);
  }

  private answerTimeout(commandId: string, message: string): void {
    const result: CommandResult = { type: 'command.result', commandId, ok: false, code: 'COMMAND_TIMEOUT', message };
    this.session?.traceEvent('command.result', 'COMMAND_TIMEOUT', { ...(this.deviceId ? { deviceId: this.deviceId } : {}), correlationId: commandId, payload: result });
    this.sendMessage(result);
  }

  private hello(message: Extract<DeviceMessage, { type: 'device.hello' }>): void {
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
        this.hub.clock.clearTimeout(this.helloTimer);
        this.helloTimer = null;
        this.deviceId = device.id;
        this.session = session;
        session.traceEvent('connection', 'opened', { deviceId: device.id, payload: { connId: this.id } });
        const seq = session.traceEvent('message.in', message.type, { deviceId: device.id, payload: message });
        attachDevice(session, this, { type: 'device.join', device, resume: message.resume, connId: this.id, heartbeatMs: this.hub.settings.heartbeatMs }, { parentSeq: seq });
        this.helloPending = false;
        // A burst of pings so the estimate is good before any transfer: the bounds of 16 exchanges
        // are far tighter than the first one's (then one per heartbeat).
        this.deviceClock.burst(16);
        const held = this.backlog;
        this.backlog = null;
        if (held !== null) this.handle(held);
      })
      .catch((err: unknown) => {
        this.hub.log.error({ err, userId: this.userId }, 'could not open session');
        this.close(CloseCode.INTERNAL, 'could not open the session');
      });
  }

  /** Over the frame rate (limits/frame-rate.ts): dropped; the first drop of a flood is answered; a flood that goes on is closed. */
  private flooding(verdict: Exclude<FrameVerdict, 'take'>): void {
    if (verdict === 'drop-first') this.error('RATE_LIMITED', `more than ${this.hub.settings.framesPerSec} frames a second: frame dropped`);
    if (verdict === 'close') this.close(CloseCode.RATE_LIMITED, 'flooding', true);
  }

  /** How far ahead to schedule a switch for this device (device-clock.ts). */
  leadMs(): number {
    return this.deviceClock.leadMs();
  }

  /** A heartbeat: a clock ping, and a trace once the device has been silent past 1.5 heartbeats. */
  ping(): void {
    if (this.closed) return;
    const silentMs = this.silentForMs();
    if (this.silentSince === null && this.session && this.deviceId && silentMs > this.hub.settings.heartbeatMs * 1.5) {
      this.silentSince = this.lastHeardAt;
      this.session.traceEvent('presence', 'silent', { deviceId: this.deviceId, payload: { silentMs: Math.round(silentMs), heartbeatMs: this.hub.settings.heartbeatMs } });
    }
    this.deviceClock.ping();
  }

  /** ClockLink: a ping of the device's clock. */
  sendPing(text: string): void {
    this.send(text);
  }

  /** ClockLink: the estimate moved; the trace and the device hear of it. */
  synced(sync: Extract<HubMessage, { type: 'clock.sync' }>): void {
    if (!this.session || !this.deviceId) return;
    this.session.traceEvent('clock', 'estimate', { deviceId: this.deviceId, payload: sync });
    this.hub.metrics.clockEstimate(sync.errorMs);
    this.sendMessage(sync);
  }

  /**
   * DeviceLink: the session sends through here; a device that cannot keep up is cut off. A
   * device asked to prepare is about to be given a switch time: a few more clock exchanges first
   * (on a link where the estimate is not already within 1 ms, or steady and measured within a
   * heartbeat), whose estimates reach it before T.
   */
  send(text: string, message?: HubMessage): void {
    if (this.closed) return;
    if (this.socket.bufferedAmount > this.hub.settings.maxBufferedBytes) {
      return this.close(CloseCode.RATE_LIMITED, 'too slow: output buffer full');
    }
    this.deadlines?.sent(text);
    // (From another node a message comes as text alone, its type first.)
    const type = message?.type ?? (text.startsWith('{"type":"transfer.') ? text.slice(9, text.indexOf('"', 9)) : undefined);
    // A switch time, or a position line to prepare at, is read with the clock estimate: the newest first.
    if (type === 'transfer.switch' || type === 'transfer.prepare') this.deviceClock.beforeSwitch();
    this.socket.send(text);
    if (type === 'transfer.prepare') this.deviceClock.beforePrepare(this.hub.settings.heartbeatMs);
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
    if (this.deferred.clear() > 0 && !hostile) this.socket.resume?.();
    this.socket.close(code, reason, hostile);
    this.onClosed();
  }

  /** The socket is gone (closed by either side): tell the session, which starts the grace period. */
  onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.helloTimer !== null) this.hub.clock.clearTimeout(this.helloTimer);
    this.helloTimer = null;
    this.deadlines?.stop();
    this.deviceClock.stop();
    this.guard.stop();
    this.hub.forget(this.id);
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
