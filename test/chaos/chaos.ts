import { SimDevice, trueNow } from '@handoff/device-sim';
import type { CommandResult, DeviceKind } from '@handoff/protocol';
import { signToken, type RunningHub } from '@handoff/server';
import { Random } from '../fuzz/random.ts';
import { unresolvedTransfers, worstOverlap } from './invariants.ts';

export interface ChaosOptions {
  seed: number;
  durationMs: number;
  users?: number;
  devicesPerUser?: number;
  /** Average time between commands, per user. @default 250 */
  commandEveryMs?: number;
  /** Average time between dropped connections, per user; the first comes within this time. @default 2000 */
  dropEveryMs?: number;
  /** Two devices audible at once for longer than this is a violation. @default 50 */
  switchWindowMs?: number;
  onProgress?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  durationMs: number;
  users: number;
  devices: number;
  commands: { total: number; ok: number; refused: Record<string, number> };
  transfers: { total: number; committed: number; rolledBack: Record<string, number> };
  faults: { drops: number; reconnects: number; slowLoads: number; skewMsMax: number };
  maxOverlapMs: number;
  staleIgnored: number;
  violations: string[];
}

const KINDS: DeviceKind[] = ['phone', 'speaker', 'tv', 'car', 'computer'];

/**
 * A fleet under faults (clock skew up to 2 s, 0-20 ms jitter, dropped connections that come
 * back, slow and stalled loads) while several controllers per user fire transfers and commands.
 * Afterwards an invariant checker goes over every device's ground truth and the hub's trace.
 */
export async function runChaos(hub: RunningHub, opts: ChaosOptions): Promise<ChaosReport> {
  const r = new Random(opts.seed);
  const userCount = opts.users ?? 3;
  const perUser = opts.devicesPerUser ?? 4;
  const window = opts.switchWindowMs ?? 50;
  const report: ChaosReport = {
    seed: opts.seed,
    durationMs: 0,
    users: userCount,
    devices: userCount * perUser,
    commands: { total: 0, ok: 0, refused: {} },
    transfers: { total: 0, committed: 0, rolledBack: {} },
    faults: { drops: 0, reconnects: 0, slowLoads: 0, skewMsMax: 0 },
    maxOverlapMs: 0,
    staleIgnored: 0,
    violations: [],
  };
  const started = performance.now();
  // Signed before any device is made, so the seeded random numbers are drawn in the same order.
  const tokens = await Promise.all(Array.from({ length: userCount }, (_, u) => signToken(hub.secret, { userId: `chaos-${opts.seed}-${u}`, role: 'device' }, 3600)));
  const users = Array.from({ length: userCount }, (_, u) => {
    const userId = `chaos-${opts.seed}-${u}`;
    const devices = Array.from({ length: perUser }, (_, d) => {
      const skewMs = (r.next() * 2 - 1) * 2000;
      report.faults.skewMsMax = Math.max(report.faults.skewMsMax, Math.abs(skewMs));
      return new SimDevice({
        hub: hub.wsUrl,
        user: userId,
        id: `${userId}-${KINDS[d % KINDS.length]}-${d}`,
        kind: KINDS[d % KINDS.length]!,
        token: tokens[u]!,
        skewMs,
        latencyMs: 1 + r.int(8),
        jitterMs: r.int(21),
        maxBackoffMs: 1500,
        random: () => r.next(),
        loadDelayMs: () => {
          if (r.chance(0.08)) {
            report.faults.slowLoads++;
            return 2500;
          }
          return 20 + r.int(300);
        },
      });
    });
    return { userId, devices, revisions: new Map<string, number>() };
  });
  await Promise.all(users.flatMap((u) => u.devices.map((d) => d.connect())));
  await new Promise((resolve) => setTimeout(resolve, 600));
  for (const u of users) await u.devices[0]!.command({ type: 'command.play', deviceId: u.devices[0]!.id, contextUri: 'demo:playlist:everything' });

  const record = (type: string, result: CommandResult) => {
    report.commands.total++;
    if (type === 'command.transfer') report.transfers.total++;
    if (result.ok) {
      report.commands.ok++;
      if (type === 'command.transfer') report.transfers.committed++;
      return;
    }
    report.commands.refused[result.code] = (report.commands.refused[result.code] ?? 0) + 1;
    if (type === 'command.transfer') report.transfers.rolledBack[result.code] = (report.transfers.rolledBack[result.code] ?? 0) + 1;
  };

  const deadline = performance.now() + opts.durationMs;
  const every = opts.commandEveryMs ?? 250;
  const dropEvery = opts.dropEveryMs ?? 2000;
  const inFlight: Array<Promise<void>> = [];
  const watch = setInterval(() => {
    for (const u of users) {
      for (const d of u.devices) {
        const last = u.revisions.get(d.id) ?? 0;
        if (d.revision < last) report.violations.push(`${d.id}: revision went back from ${last} to ${d.revision}`);
        u.revisions.set(d.id, d.revision);
      }
    }
  }, 25);
  await Promise.all(
    users.map(async (u) => {
      // Drops follow their own schedule, so a slow machine that fits fewer commands in the run
      // still gets its faults.
      let nextDropAt = performance.now() + dropEvery * (0.25 + r.next() * 0.5);
      while (performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, every / 2 + r.int(every)));
        const controller = r.pick(u.devices);
        if (performance.now() >= nextDropAt) {
          nextDropAt += dropEvery * (0.5 + r.next());
          report.faults.drops++;
          r.pick(u.devices).drop();
          continue;
        }
        const target = r.pick(u.devices);
        const roll = r.next();
        const command =
          roll < 0.5
            ? ({ type: 'command.transfer', deviceId: target.id, ...(r.chance(0.2) ? { play: r.chance(0.5) } : {}) } as const)
            : roll < 0.6
              ? ({ type: 'command.pause' } as const)
              : roll < 0.72
                ? ({ type: 'command.resume' } as const)
                : roll < 0.8
                  ? ({ type: 'command.seek', positionMs: r.int(30_000) } as const)
                  : roll < 0.88
                    ? ({ type: 'command.next' } as const)
                    : ({ type: 'command.volume', volumePercent: r.int(101) } as const);
        inFlight.push(
          controller.command(command, 20_000).then(
            (result) => record(command.type, result),
            (err: Error) => {
              // A controller that is reconnecting may lose its command; it must not be a transfer that hangs.
              if (controller.connected) report.violations.push(`${command.type} from ${controller.id} never answered: ${err.message}`);
            },
          ),
        );
      }
    }),
  );
  await Promise.all(inFlight);
  opts.onProgress?.('commands done; letting the fleet settle');
  // Let reconnects finish and the last pushes land.
  await Promise.all(users.flatMap((u) => u.devices.map((d) => d.waitFor(() => d.connected, 10_000, 'reconnect').catch(() => {}))));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  clearInterval(watch);

  const end = trueNow();
  for (const u of users) {
    const overlap = worstOverlap(u.devices, end);
    report.maxOverlapMs = Math.max(report.maxOverlapMs, overlap.ms);
    if (overlap.ms > window) report.violations.push(`${u.userId}: ${overlap.between?.join(' and ')} audible together for ${overlap.ms.toFixed(1)} ms`);
    const unresolved = unresolvedTransfers(hub.hub.trace.read(u.userId));
    if (unresolved.length) report.violations.push(`${u.userId}: transfers without an outcome: ${unresolved.join(', ')}`);
    const cluster = await hub.hub.cluster(u.userId);
    for (const d of u.devices) {
      report.faults.reconnects += d.connects - 1;
      report.staleIgnored += d.staleIgnored;
      if (d.connected && d.revision !== cluster.revision) report.violations.push(`${d.id}: at revision ${d.revision}, hub at ${cluster.revision}`);
      const shouldPlay = cluster.activeDeviceId === d.id && cluster.playback.position.rate > 0;
      if (d.connected && d.player.playing !== shouldPlay) report.violations.push(`${d.id}: ${d.player.playing ? 'playing' : 'silent'} but the cluster says ${shouldPlay ? 'play' : 'be silent'}`);
    }
  }
  await Promise.all(users.flatMap((u) => u.devices.map((d) => d.close())));
  report.durationMs = Math.round(performance.now() - started);
  return report;
}
