import { SimDevice, signDeviceToken, trueNow } from '@handoff/device-sim';
import { percentile } from './stats.ts';

export interface DriftSpec {
  users: number;
  /** Playback to simulate, in minutes of real-world time. */
  minutes: number;
  /**
   * How much faster than real time the run goes. Every rate and period of the simulation is
   * scaled together: the members' drift is speedup x the real-world ppm, the hub's heartbeat
   * (so its clock exchanges, drift reports and corrections) speedup x as frequent, and the drift
   * its clock estimate allows for (CLOCK_MAX_DRIFT_PPM) speedup x its default. Each heartbeat
   * then sees the same drift as in real time, the same number of heartbeats fit in the run, and
   * the network jitter (not scaled) is as large as in real time: the run shows what the minutes
   * would, in minutes / speedup.
   */
  speedup: number;
  /** Members' clocks drift by up to +-maxPpm (real-world ppm, uniform). */
  maxPpm: number;
  skewMs: number;
  jitterMs: number;
  loadDelayMs: number;
}

export interface DriftResult {
  /** Spread of the members' positions (true clock) sampled once per simulated 5 s, over the whole run. */
  samples: number;
  driftErrorP99Ms: number;
  driftErrorMaxMs: number;
  /** The same over the last simulated minute only: where it stands after the minutes. */
  lastMinuteP99Ms: number;
  /** Samples at which a member was silent (not counted in the spread). */
  silent: number;
  failed: number;
}

/** A long placeholder track (3 minutes), so that no track change restarts the group in the run. */
const LONG_TRACK = 'bench:track:drift';

/**
 * Drift: per user a group of four speakers whose clocks are skewed by up to +-skewMs and drift
 * by up to +-maxPpm, on jittery links, playing one track for `minutes` of simulated time. Every
 * simulated 5 s the listener's view is sampled on the true clock (SimDevice ground truth, with
 * each member's drift): how far apart the members are, max - min of what each one plays.
 */
export async function drift(wsUrl: string, secret: string, spec: DriftSpec): Promise<DriftResult> {
  const spreads: Array<{ at: number; ms: number }> = [];
  const runMs = (spec.minutes * 60_000) / spec.speedup;
  const everyMs = 5000 / spec.speedup;
  let silent = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: spec.users }, async (_, u) => {
      const user = `drift-${u}`;
      const token = await signDeviceToken(secret, user);
      const members = Array.from(
        { length: 4 },
        (_, i) =>
          new SimDevice({
            hub: wsUrl,
            user,
            token,
            kind: 'speaker',
            id: `${user}-speaker-${i}`,
            skewMs: (Math.random() * 2 - 1) * spec.skewMs,
            driftPpm: (Math.random() * 2 - 1) * spec.maxPpm * spec.speedup,
            jitterMs: spec.jitterMs,
            loadDelayMs: spec.loadDelayMs,
          }),
      );
      const [first] = members as [SimDevice];
      try {
        await Promise.all(members.map((d) => d.connect()));
        await Promise.all(members.map((d) => d.waitFor(() => d.errorMs < 50, 10_000, 'clock sync')));
        const created = await first.command({ type: 'command.group.create', name: 'Drift', deviceIds: members.map((d) => d.id) });
        if (!created.ok || !created.groupId) throw new Error(`group not created: ${JSON.stringify(created)}`);
        const played = await first.command({ type: 'command.play', deviceId: created.groupId, uris: [LONG_TRACK] });
        if (!played.ok || played.leftOut?.length) throw new Error(`group did not start: ${JSON.stringify(played)}`);
        await first.waitFor(() => members.every((d) => d.player.playing), 5000, 'group playing');
        const begin = trueNow();
        while (trueNow() - begin < runMs) {
          await sleep(everyMs);
          const at = trueNow();
          const heard = members.map((d) => d.heardAt(at));
          if (heard.some((p) => p === null)) {
            silent++;
            continue;
          }
          const positions = heard as number[];
          spreads.push({ at: (at - begin) * spec.speedup, ms: Math.max(...positions) - Math.min(...positions) });
        }
      } catch {
        failed++;
      } finally {
        await Promise.all(members.map((d) => d.close()));
      }
    }),
  );
  const lastMinute = spreads.filter((s) => s.at >= (spec.minutes - 1) * 60_000).map((s) => s.ms);
  return {
    samples: spreads.length,
    driftErrorP99Ms: percentile(
      spreads.map((s) => s.ms),
      99,
    ),
    driftErrorMaxMs: Math.max(...spreads.map((s) => s.ms)),
    lastMinuteP99Ms: percentile(lastMinute, 99),
    silent,
    failed,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
