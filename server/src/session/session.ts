import type { ClusterUpdate, CommandResult, HubMessage, TraceExtraOf, TraceKind } from '@handoff/protocol';
import { createActor, type Actor } from 'xstate';
import type { TraceInput } from '../trace/trace-log.ts';
import { initialContext, type Effect, type ReplyTo, type SessionContext, type Step } from './context.ts';
import type { DeviceLink } from './device-link.ts';
import type { MachineEvent, SessionEvent } from './events.ts';
import { joinRunsPlain, plainJoin, plainStep, runsPlain } from './plain-command.ts';
import type { SessionMachine } from './session-machine.ts';
import { ClusterText } from './cluster-text.ts';
import { DeadlineTimers } from './deadline-timers.ts';
import { ResultMemory } from './result-memory.ts';
import type { PersistState, SessionOptions } from './session-options.ts';
import { stateName, stateValue, type SessionStateName } from './session-state.ts';
import type { Cause, SessionPort, TraceExtra } from './session-port.ts';

/**
 * Hosts one user's session actor: feeds it events, carries out the effects it emits (sends,
 * fan-out, replies, traces), keeps real timers in line with the deadlines in its context, and
 * persists every committed change.
 */
export class Session implements SessionPort {
  readonly userId: string;
  private readonly machine: SessionMachine;
  private actor: Actor<SessionMachine>;
  /**
   * Where the session stands after commands run on the plain path (plain-command.ts), ahead of
   * the actor's snapshot; the actor is restarted from it before the next event it must take.
   */
  private ahead: { value: unknown; context: SessionContext } | null = null;
  private readonly links = new Map<string, DeviceLink>();
  private readonly timers: DeadlineTimers;
  private cause: Cause = {};
  /** Durable: an answer was remembered since the last write (the write must hold it). */
  private remembered = false;
  private stopped = false;
  /** Durable: the effects of the transition running now, held until it is stored. */
  private held: Effect[] | null = null;
  /** Durable: every write so far and the effects waiting on it, in order. */
  private written: Promise<void> = Promise.resolve();
  /** The text of the last push, reused for what did not change (cluster-text.ts). */
  private readonly clusterText = new ClusterText();
  /** The recent command results, for retries: here, not in the machine's context (result-memory.ts). */
  private readonly results: ResultMemory;

  constructor(private readonly opts: SessionOptions) {
    this.userId = opts.userId;
    this.timers = new DeadlineTimers(opts.clock, {
      armed: (id, at, inMs) => this.traceEvent('timer.armed', id, { payload: { at, inMs } }),
      cancelled: (id, at) => this.traceEvent('timer.cancelled', id, { payload: { at } }),
      fired: (id, event) => {
        const seq = this.traceEvent('timer.fired', id, { payload: event });
        this.send(event, { parentSeq: seq, ...correlationOf(event) });
      },
    });
    this.machine = opts.machine;
    this.results = new ResultMemory(opts.restored?.results);
    const nonce = Math.random().toString(36).slice(2, 8);
    this.actor = this.start(opts.restored ?? { value: 'idle', context: initialContext(opts.userId, nonce) });
    if (opts.restored) this.traceEvent('transition', 'restored', { to: stateName(opts.restored.value), payload: { revision: opts.restored.context.revision } });
    this.syncTimers();
    this.send({ type: 'session.opened', restored: Boolean(opts.restored) });
  }

  get context(): SessionContext {
    return (this.ahead ?? this.actor.getSnapshot()).context;
  }

  get state(): SessionStateName {
    return stateName((this.ahead ?? this.actor.getSnapshot()).value);
  }

  /** Route the device's messages to `link`; returns the link it replaces, if any. */
  link(deviceId: string, link: DeviceLink): DeviceLink | undefined {
    const previous = this.links.get(deviceId);
    this.links.set(deviceId, link);
    return previous === link ? undefined : previous;
  }

  unlink(deviceId: string, link: DeviceLink): void {
    if (this.links.get(deviceId) === link) this.links.delete(deviceId);
  }

  /** The lead a switch needs to reach each linked device in time, as measured by its link now. */
  private leads(): Record<string, number> {
    const leads: Record<string, number> = {};
    for (const [id, link] of this.links) leads[id] = link.leadMs();
    return leads;
  }

  /** The event as the machine takes it: stamped with the time now (and the leads, for a ready target). */
  private stamp(event: SessionEvent): MachineEvent {
    const now = this.opts.clock.now();
    // Commands are most of the traffic: built field by field, one shape, no spread of a union.
    if (event.type === 'command') return { type: 'command', command: event.command, replyTo: event.replyTo, origin: event.origin, now };
    return event.type === 'transfer.ready' || event.type === 'playback.report' ? { ...event, now, leads: this.leads() } : { ...event, now };
  }

  admits(deviceId: string, maxDevices: number): boolean {
    const devices = this.context.devices;
    return deviceId in devices || Object.keys(devices).length < maxDevices;
  }

  /** Durable: resolves once every change so far is stored and its effects carried out. */
  settled(): Promise<void> {
    return this.written;
  }

  /** Feed one event; `cause` links what it produces to the trace event that brought it. */
  send(event: SessionEvent, cause: Cause = {}): void {
    if (this.stopped) return;
    this.cause = cause;
    this.opts.observer?.input(event);
    if (event.type === 'command') {
      const done = this.results.get(event.command.commandId);
      if (done) return this.replay({ type: 'reply', to: event.replyTo, result: done });
    }
    const stamped = this.stamp(event);
    if (stamped.type === 'command' && runsPlain(this.state, this.context, stamped)) return this.sendPlain(stamped, (ctx) => plainStep(ctx, stamped));
    if (stamped.type === 'device.join' && joinRunsPlain(this.state, this.context, stamped)) {
      return this.sendPlain(stamped, (ctx) => plainJoin(ctx, stamped, this.opts.settings));
    }
    if (this.ahead) {
      this.actor.stop();
      this.actor = this.start(this.ahead);
      this.ahead = null;
    }
    const before = this.actor.getSnapshot();
    if (this.opts.durable) this.held = [];
    try {
      this.actor.send(stamped);
    } catch (err) {
      this.opts.onError(err);
    }
    const after = this.actor.getSnapshot();
    if (after.status === 'error') {
      // A bug in a transition must not end the user's session: go on from the state before it.
      this.opts.onError(after.error);
      this.held = null;
      this.traceEvent('error', 'session.recovered', { payload: { event: event.type } });
      this.actor = this.start({ value: before.value, context: before.context });
      return;
    }
    if (after.value !== before.value) {
      const from = stateName(before.value);
      const to = stateName(after.value);
      if (from !== to) this.traceEvent('transition', event.type, { from, to });
    }
    if (this.opts.durable) this.hold(after.context !== before.context || this.remembered ? after : null);
    else if (after.context.revision !== before.context.revision) this.opts.persist(this.persisted(after));
    this.syncTimers();
    this.cause = {};
  }

  /**
   * A command the chart would only `apply`, or a join it would only run the reducer for: the
   * reducers' step without the interpreter (about a third of a command's CPU), with what the actor
   * path does around it, in the same order.
   */
  private sendPlain(event: MachineEvent, reduce: (ctx: SessionContext) => Step): void {
    const before = this.ahead ?? this.actor.getSnapshot();
    let step: Step;
    try {
      step = reduce(before.context);
    } catch (err) {
      this.opts.onError(err);
      this.traceEvent('error', 'session.recovered', { payload: { event: event.type } });
      this.cause = {};
      return;
    }
    // The chart's assign always makes a new context object; a durable session stores each.
    const after = { value: before.value, context: step.ctx === before.context ? { ...step.ctx } : step.ctx };
    this.ahead = after;
    const effects = this.noted(step.effects);
    if (this.opts.durable) {
      this.held = [...effects];
      this.hold(after);
    } else {
      this.performAll(effects);
      if (after.context.revision !== before.context.revision) this.opts.persist(this.persisted(after));
    }
    this.syncTimers();
    this.cause = {};
  }

  /** Record a trace event for this user, linked to the current cause. */
  traceEvent<K extends TraceKind, T extends string>(kind: K, type: T, extra?: TraceExtraOf<K, T>): number {
    const correlationId = extra?.correlationId ?? this.cause.correlationId;
    const parentSeq = this.cause.parentSeq;
    // The signature checks kind, type and payload against the union; TypeScript cannot see that
    // the generic spread is one of its members.
    const input = {
      kind,
      type,
      ...extra,
      ...(correlationId !== undefined ? { correlationId } : {}),
      ...(parentSeq !== undefined ? { parentSeq } : {}),
    } as TraceInput;
    return this.opts.trace.record(this.userId, input);
  }

  /** Many nodes: a record another node made with a typed `traceEvent` call, sent here as data. */
  traceRelayed(tr: { kind: TraceKind; type: string; extra?: TraceExtra }): number {
    return this.traceEvent(tr.kind, tr.type, tr.extra);
  }

  stop(): void {
    this.stopped = true;
    this.timers.clear();
    this.actor.stop();
  }

  private start(snapshot: { value: unknown; context: SessionContext }): Actor<SessionMachine> {
    const resolved = this.machine.resolveState({ value: stateValue(snapshot.value), context: snapshot.context });
    const actor = createActor(this.machine, { snapshot: resolved, clock: this.opts.clock, input: snapshot.context });
    actor.on('effects', (emitted) => {
      const effects = this.noted(emitted.effects);
      if (this.held) return void this.held.push(...effects);
      this.performAll(effects);
    });
    actor.start();
    return actor;
  }

  /**
   * A transition's effects as the host carries them out: each answer remembered for retries (as
   * the step is decided, so a durable write of it holds them), and each `replay` turned into the
   * answer it names.
   */
  private noted(effects: Effect[]): Effect[] {
    let replays = false;
    for (const effect of effects) {
      if (effect.type === 'reply') {
        this.results.remember({ commandId: effect.result.commandId, result: effect.result });
        this.remembered = true;
      } else if (effect.type === 'replay') replays = true;
    }
    if (!replays) return effects;
    return effects.flatMap((e): Effect[] => {
      if (e.type !== 'replay') return [e];
      const result = this.results.get(e.commandId);
      return result ? [{ type: 'reply', to: e.to, result }] : [];
    });
  }

  /** A retry of a command already answered: the same answer again (after every write before it, when durable). */
  private replay(reply: Extract<Effect, { type: 'reply' }>): void {
    if (this.opts.durable) {
      this.held = [reply];
      this.hold(null);
    } else this.performAll([reply]);
    this.cause = {};
  }

  private persisted(s: { value: unknown; context: SessionContext }): PersistState {
    return { revision: s.context.revision, value: s.value, context: s.context, results: this.results.entries() };
  }

  private performAll(effects: Effect[]): void {
    for (const effect of effects) {
      try {
        this.perform(effect);
      } catch (err) {
        this.opts.onError(err);
      }
    }
  }

  /**
   * Durable: store the change (if the context changed) and carry out the transition's effects
   * once it is stored, after everything before it. A failed write ends the session.
   */
  private hold(changed: { value: unknown; context: SessionContext } | null): void {
    const effects = this.held!;
    this.held = null;
    if (!changed && effects.length === 0) return;
    this.remembered = false;
    const write = changed
      ? this.opts.durable!.save(this.persisted(changed)).then(
          () => null,
          (err: unknown) => ({ err }),
        )
      : null;
    const cause = this.cause;
    this.written = this.written.then(async () => {
      const failed = write && (await write);
      if (this.stopped) return;
      if (failed) {
        this.stop();
        return this.opts.durable!.lost(failed.err);
      }
      const outer = this.cause;
      this.cause = cause;
      this.performAll(effects);
      this.cause = outer;
    });
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case 'send':
        return this.deliver(effect.deviceId, effect.message);
      case 'push':
        return this.push(effect.message, effect.exclude);
      case 'reply':
        return this.reply(effect.to, effect.result);
      case 'trace':
        this.opts.observer?.traced(effect);
        this.traceEvent(effect.kind, effect.name, {
          ...(effect.deviceId !== undefined ? { deviceId: effect.deviceId } : {}),
          ...(effect.correlationId !== undefined ? { correlationId: effect.correlationId } : {}),
          payload: effect.payload,
        });
        return;
      case 'replay':
        // Turned into its answer as the step was noted (`noted`).
        return;
      case 'idle':
        return this.opts.idle();
    }
  }

  /** A push to every linked device but `exclude`: encoded once for all of them, and traced once, naming them. */
  private push(pushed: ClusterUpdate, exclude: string[] | undefined): void {
    const recipients: string[] = [];
    for (const deviceId of this.links.keys()) if (!exclude?.includes(deviceId)) recipients.push(deviceId);
    if (recipients.length === 0) return;
    const { text, message } = this.clusterText.encode(pushed);
    for (const deviceId of recipients) this.links.get(deviceId)!.send(text, message);
    this.traceEvent('message.out', message.type, { recipients, payload: message, payloadText: text });
  }

  private deliver(deviceId: string, message: HubMessage): void {
    const link = this.links.get(deviceId);
    if (!link) return;
    const text = JSON.stringify(message);
    link.send(text, message);
    this.traceOut(deviceId, message, text);
  }

  private reply(to: ReplyTo, result: CommandResult): void {
    this.traceEvent('command.result', result.ok ? 'ok' : result.code, { correlationId: result.commandId, payload: result });
    this.opts.observer?.replied(result);
    if (to.kind === 'device') this.deliver(to.deviceId, result);
    else if (to.kind === 'http') this.opts.replyHttp(to.ticket, result);
  }

  private traceOut(deviceId: string, message: HubMessage, payloadText: string): void {
    const correlationId =
      'transferId' in message ? message.transferId : 'commandId' in message ? message.commandId : undefined;
    this.traceEvent('message.out', message.type, {
      deviceId,
      payload: message,
      payloadText,
      ...(correlationId !== undefined ? { correlationId } : {}),
    });
  }

  /** Keep the real timers in line with the deadlines in the context. */
  private syncTimers(): void {
    this.timers.sync(this.context.deadlines);
  }
}

function correlationOf(event: SessionEvent): Cause {
  return 'transferId' in event ? { correlationId: event.transferId } : {};
}
