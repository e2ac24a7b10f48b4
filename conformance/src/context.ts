import { positionAt, type Cluster, type Command, type CommandResult, type Position } from '@handoff/protocol';
import type { RunningHub } from '@handoff/server';
import type { Partner } from './partner.ts';
import type { Probe } from './probe.ts';
import type { RuleId, RuleResult } from './rules.ts';
import type { Tap } from './tap.ts';

/** The hub's settings for a run, shortened so the whole kit takes seconds. */
export interface KitSettings {
  heartbeatMs: number;
  graceMs: number;
  prepareTimeoutMs: number;
  switchTimeoutMs: number;
  /** A switch passes when the median error against T is within this, and p99 within 3x. */
  toleranceMs: number;
  /** Transfers each way in the switch scenario. */
  transfers: number;
}

export const DEFAULT_KIT_SETTINGS: KitSettings = {
  heartbeatMs: 300,
  graceMs: 2000,
  prepareTimeoutMs: 2000,
  switchTimeoutMs: 500,
  toleranceMs: 20,
  transfers: 5,
};

/** The one track the kit plays: placeholder metadata, three minutes long (no track ends during a run). */
export const KIT_TRACK = 'kit:track:conformance';

/** Errors against T measured during the run (ms, device minus scheduled; positive is late). */
export interface Timing {
  start: number[];
  stop: number[];
}

/** Everything a scenario works with. */
export class Kit {
  readonly timing: Timing = { start: [], stop: [] };
  deviceId = '';
  private commands = 0;

  constructor(
    readonly hub: RunningHub,
    readonly tap: Tap,
    readonly probe: Probe,
    readonly partner: Partner,
    readonly userId: string,
    readonly settings: KitSettings,
    readonly now: () => number,
  ) {}

  /** Run a command as the user's controller (what the HTTP API does). */
  command(command: DistributiveOmit<Command, 'commandId'>): Promise<CommandResult> {
    return this.hub.hub.command(this.userId, { ...command, commandId: `kit-${++this.commands}` }, 'conformance-kit');
  }

  cluster(): Promise<Cluster> {
    return this.hub.hub.cluster(this.userId);
  }

  /** A time the device reported on its own clock, in server time, with the hub's latest estimate of its offset. */
  serverTime(deviceAt: number): number {
    return deviceAt - this.offsetMs();
  }

  /** Device clock minus server clock, as the hub last told the device (0 before any clock.sync). */
  offsetMs(): number {
    const sync = this.tap.frames.findLast((f) => f.dir === 'out' && f.msg?.type === 'clock.sync' && !f.injected);
    return typeof sync?.msg?.offsetMs === 'number' ? sync.msg.offsetMs : 0;
  }

  /** Where the line says the track is at server time `at`. */
  static lineAt(position: Position, at: number): number {
    return positionAt(position, at);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  /** The device under test plays the kit's track (made active and started if it is not). True once it reports sound. */
  async playOnDevice(): Promise<boolean> {
    const from = this.probe.reports.length;
    const cluster = await this.cluster();
    if (cluster.playback.track?.uri !== KIT_TRACK || cluster.activeDeviceId !== this.deviceId) {
      if (cluster.activeDeviceId !== this.deviceId)
        await this.command({ type: 'command.transfer', deviceId: this.deviceId, play: false });
      await this.command({ type: 'command.play', uris: [KIT_TRACK], positionMs: 10_000 });
    } else if (cluster.playback.position.rate === 0) await this.command({ type: 'command.resume' });
    // Active and playing by the cluster: the device's report of it may still be on its way.
    else return this.probe.until(() => this.playingNow(), 1000);
    return this.probe.until(() => this.probe.since(from, 'start').length > 0, 2000);
  }

  /** Whether the device's last report says it produces sound. */
  playingNow(): boolean {
    const last = this.probe.reports.findLast((r) => r.event.event !== 'volume');
    return last?.event.event === 'start';
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Collects what a scenario saw for one rule; the first failure decides. */
export class Verdict {
  private readonly evidence: string[] = [];
  private failed = false;
  private headline: string | undefined;

  constructor(readonly id: RuleId) {}

  saw(line: string): this {
    this.evidence.push(line);
    return this;
  }

  /** Record `line`; it fails the rule unless `ok`. A `headline` is what a one-line report shows of a pass. */
  check(ok: boolean, line: string, headline = false): boolean {
    this.evidence.push(ok ? line : `FAIL: ${line}`);
    if (headline && ok) this.headline = line;
    if (!ok) this.failed = true;
    return ok;
  }

  get passing(): boolean {
    return !this.failed;
  }

  result(): RuleResult {
    return {
      id: this.id,
      pass: !this.failed && this.evidence.length > 0,
      evidence: this.evidence,
      ...(this.headline ? { headline: this.headline } : {}),
    };
  }
}

export const ms = (n: number) => `${n >= 0 && Math.abs(n) < 1e-9 ? 0 : Number(n.toFixed(1))} ms`;
