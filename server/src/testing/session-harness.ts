import type { Capabilities, CommandResult, DeviceKind, HubMessage } from '@handoff/protocol';
import { PROTOCOL_VERSION } from '@handoff/protocol';
import { SimulatedClock } from 'xstate';
import type { SessionContext } from '../session/context.ts';
import type { SessionEvent } from '../session/events.ts';
import type { DeviceLink } from '../session/device-link.ts';
import { createSessionMachine, type SessionMachine } from '../session/session-machine.ts';
import { Session } from '../session/session.ts';
import type { PersistState, RestoredState } from '../session/session-options.ts';
import { DEFAULT_SESSION_SETTINGS, type SessionSettings } from '../session/settings.ts';
import { TraceLog } from '../trace/trace-log.ts';

/** A device as the session sees it: a link that records everything sent to it. */
export class RecordingLink implements DeviceLink {
  readonly inbox: HubMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  lead = 0;
  send(_text: string, message: HubMessage): void {
    this.inbox.push(message);
  }
  leadMs(): number {
    return this.lead;
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
  /** Messages of one type received so far. */
  of<T extends HubMessage['type']>(type: T): Array<Extract<HubMessage, { type: T }>> {
    return this.inbox.filter((m): m is Extract<HubMessage, { type: T }> => m.type === type);
  }
  last<T extends HubMessage['type']>(type: T): Extract<HubMessage, { type: T }> | undefined {
    return this.of(type).at(-1);
  }
}

const CAPS: Capabilities = { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track'], controllable: true };

/**
 * One user's session on a simulated clock, with recording links for devices and collected
 * HTTP replies: sessions tested without sockets or real time.
 */
export class SessionHarness {
  readonly clock = new SimulatedClock();
  readonly trace: TraceLog;
  readonly links = new Map<string, RecordingLink>();
  readonly http = new Map<string, CommandResult>();
  readonly machine: SessionMachine;
  readonly persisted: PersistState[] = [];
  idled = 0;
  session: Session;
  private conns = 0;
  private commands = 0;

  constructor(
    readonly settings: SessionSettings = DEFAULT_SESSION_SETTINGS,
    restored?: RestoredState,
    startAt = 1_000_000,
  ) {
    this.machine = createSessionMachine(settings);
    this.clock.set(startAt);
    this.trace = new TraceLog(() => this.clock.now());
    this.session = this.create(restored);
  }

  create(restored?: RestoredState): Session {
    return new Session({
      userId: 'alice',
      clock: this.clock,
      machine: this.machine,
      settings: this.settings,
      trace: this.trace,
      replyHttp: (ticket, result) => this.http.set(ticket, result),
      persist: (p) => this.persisted.push(p),
      idle: () => this.idled++,
      onError: (err) => {
        throw err;
      },
      ...(restored ? { restored } : {}),
    });
  }

  get ctx(): SessionContext {
    return this.session.context;
  }

  /** Connect a device; returns its link. */
  join(id: string, opts: { kind?: DeviceKind; caps?: Partial<Capabilities>; resume?: Extract<SessionEvent, { type: 'device.join' }>['resume'] } = {}): RecordingLink {
    const link = new RecordingLink();
    this.links.set(id, link);
    this.session.link(id, link);
    this.session.send({
      type: 'device.join',
      device: { id, name: id, kind: opts.kind ?? 'speaker', capabilities: { ...CAPS, ...opts.caps } },
      resume: opts.resume,
      connId: `conn-${id}-${++this.conns}`,
      heartbeatMs: 5000,
    });
    return link;
  }

  /** The device's connection closes; `lastHeardAt`: when the hub last heard from it (default: now). */
  leave(id: string, goodbye = false, lastHeardAt?: number): void {
    const connId = this.ctx.devices[id]?.connId;
    const link = this.links.get(id);
    if (link) this.session.unlink(id, link);
    if (connId) this.session.send({ type: 'device.leave', deviceId: id, connId, goodbye, ...(lastHeardAt !== undefined ? { lastHeardAt } : {}) });
  }

  /** Send a command from a device (or over HTTP when `from` is 'http'); returns its id. */
  command(from: string, command: Record<string, unknown> & { type: string }, commandId = `cmd-${++this.commands}`): string {
    const full = { ...command, commandId } as Extract<SessionEvent, { type: 'command' }>['command'];
    const replyTo = from === 'http' ? ({ kind: 'http', ticket: commandId } as const) : ({ kind: 'device', deviceId: from } as const);
    this.session.send({ type: 'command', command: full, replyTo, origin: from });
    return commandId;
  }

  /** The result a device (or HTTP) got for a command id. */
  result(from: string, commandId: string): CommandResult | undefined {
    if (from === 'http') return this.http.get(commandId);
    return this.links.get(from)?.of('command.result').find((r) => r.commandId === commandId);
  }

  event(e: SessionEvent): void {
    this.session.send(e);
  }

  advance(ms: number): void {
    this.clock.increment(ms);
  }
}

export { PROTOCOL_VERSION };
