import { HandoffClient, type CommandInput } from '@handoff/client';
import { type Capabilities, type Cluster, type CommandResult, type DeviceKind } from '@handoff/protocol';
import { delayedSocket } from './delayed-socket.ts';
import { devToken } from './dev-token.ts';
import { heardAt, Player, type Audible, type PlayerObserver } from './player.ts';
import { trueNow } from './true-clock.ts';

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
  /**
   * How fast this device's clock runs against true time, in parts per million (real crystals:
   * tens). Its player plays on that clock, so its sound drifts from true time by this rate.
   */
  driftPpm?: number;
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
  /** Source address for the socket (fleets use several loopback addresses). */
  localAddress?: string;
  random?: () => number;
  /** One line per notable event, for CLIs. */
  onEvent?: (line: string) => void;
  /** Told of every start, stop and volume change of the simulated output. */
  observer?: PlayerObserver;
}

/**
 * A simulated device: the real client library over a simulated network path and clock, with a
 * Player that records what it really played on the true clock. What the tests prove about it is
 * what real devices built on the client get.
 */
export class SimDevice {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly player: Player;
  readonly client: HandoffClient;
  private readonly dropper: ReturnType<typeof setInterval> | null = null;
  private socket: ReturnType<typeof delayedSocket> | null = null;

  constructor(private readonly opts: SimDeviceOptions) {
    const random = opts.random ?? Math.random;
    this.kind = opts.kind ?? 'speaker';
    this.id = opts.id ?? `${this.kind}-${random().toString(36).slice(2, 8)}`;
    const urls = Array.isArray(opts.hub) ? opts.hub : opts.hub.split(',');
    const rate = (opts.driftPpm ?? 0) / 1e6;
    const since = trueNow();
    const localNow = () => {
      const t = trueNow();
      return t + (opts.skewMs ?? 0) + (t - since) * rate;
    };
    const load = { ...(opts.loadDelayMs !== undefined ? { loadDelayMs: opts.loadDelayMs } : {}), ...(opts.failLoad ? { failLoad: true } : {}) };
    this.player = new Player(localNow, load, undefined, opts.observer ?? null, 1 + rate);
    this.client = new HandoffClient({
      urls,
      token: opts.token ?? (() => devToken(urls[0]!, opts.user, 'device')),
      device: {
        id: this.id,
        name: opts.name ?? `${this.kind} ${this.id.slice(-4)}`,
        kind: this.kind,
        capabilities: { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track', 'audio/episode'], controllable: true, ...opts.capabilities },
        ...(opts.volume !== undefined ? { volume: opts.volume } : {}),
      },
      player: this.player,
      socket: (url) =>
        (this.socket = delayedSocket(url, {
          latencyMs: opts.latencyMs ?? 0,
          jitterMs: opts.jitterMs ?? 0,
          random,
          ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
        })),
      clock: localNow,
      random,
      ...(opts.maxBackoffMs !== undefined ? { maxBackoffMs: opts.maxBackoffMs } : {}),
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    });
    if (opts.dropRate) {
      this.dropper = setInterval(() => {
        if (random() < opts.dropRate! && this.client.connected) {
          opts.onEvent?.(`${this.id}: connection dropped (fault injection)`);
          this.drop();
        }
      }, 1000);
    }
  }

  connect(): Promise<void> {
    return this.client.connect();
  }

  get cluster(): Cluster | null {
    return this.client.cluster;
  }
  get revision(): number {
    return this.client.revision;
  }
  get offsetMs(): number {
    return this.client.offsetMs;
  }
  get errorMs(): number {
    return this.client.errorMs;
  }
  get staleIgnored(): number {
    return this.client.staleIgnored;
  }
  get connects(): number {
    return this.client.connects;
  }
  get connected(): boolean {
    return this.client.connected;
  }
  get errors(): Array<{ code: string; message: string }> {
    return this.client.errors;
  }
  get truth(): Audible[] {
    return this.player.truth;
  }

  /**
   * Ground truth: the track position a listener hears from this device at `trueTime` (true
   * clock), from its last start, with its clock drift; null while it is silent then.
   */
  heardAt(trueTime: number): number | null {
    const last = this.truth.findLast((a) => a.trueTime <= trueTime);
    return last ? heardAt(last, trueTime) : null;
  }

  /** This device's own clock: true time plus its skew (and its drift). */
  localNow(): number {
    return this.client.now();
  }

  serverNow(): number {
    return this.client.serverNow();
  }

  command(input: CommandInput, timeoutMs?: number): Promise<CommandResult> {
    return this.client.command(input, timeoutMs);
  }

  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void> {
    return this.client.waitFor(predicate, timeoutMs, what);
  }

  sendRaw(data: string): void {
    this.client.sendRaw(data);
  }

  /** The connection drops abruptly (no close frame); the device reconnects and keeps playing meanwhile. */
  drop(): void {
    this.socket?.terminate();
  }

  /** The device vanishes: connection gone, no reconnect, its sound goes on (a car in a tunnel). */
  vanish(): void {
    this.stopDropper();
    this.client.vanish(() => this.socket?.terminate());
  }

  /** Leave on purpose: goodbye, close, silence. */
  async close(): Promise<void> {
    this.stopDropper();
    this.client.close();
    await new Promise((r) => setTimeout(r, 20));
  }

  private stopDropper(): void {
    if (this.dropper) clearInterval(this.dropper);
  }
}
