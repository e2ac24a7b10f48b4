import { measureHandoffs, SimDevice, signDeviceToken } from '@handoff/device-sim';
import { percentile } from './stats.ts';

export interface HandoffSpec {
  users: number;
  transfersPerUser: number;
  /** Device clocks off by up to +-skewMs (uniform), each way jitter 0..jitterMs. */
  skewMs: number;
  jitterMs: number;
  loadDelayMs: number;
}

export interface HandoffResult {
  count: number;
  p50Ms: number;
  p99Ms: number;
  gapP99Ms: number;
  overlapP99Ms: number;
  positionErrorP99Ms: number;
  failed: number;
}

/**
 * Real handoffs between SimDevices (ground truth on the true clock): per user a phone, a speaker
 * and a TV with skewed clocks and jittery links pass playback around; every transfer is timed
 * from command to result, and every switch is measured from what the devices really played.
 */
export async function handoff(wsUrl: string, secret: string, spec: HandoffSpec): Promise<HandoffResult> {
  const latencies: number[] = [];
  const truths: SimDevice[] = [];
  let failed = 0;
  await Promise.all(
    Array.from({ length: spec.users }, async (_, u) => {
      const user = `handoff-${u}`;
      const token = await signDeviceToken(secret, user);
      const devices = (['phone', 'speaker', 'tv'] as const).map(
        (kind) =>
          new SimDevice({
            hub: wsUrl,
            user,
            token,
            kind,
            id: `${user}-${kind}`,
            skewMs: (Math.random() * 2 - 1) * spec.skewMs,
            jitterMs: spec.jitterMs,
            loadDelayMs: spec.loadDelayMs,
          }),
      );
      truths.push(...devices);
      await Promise.all(devices.map((d) => d.connect()));
      await Promise.all(devices.map((d) => d.waitFor(() => d.errorMs < 50, 10_000, 'clock sync')));
      const [first] = devices as [SimDevice];
      await first.command({ type: 'command.play', deviceId: first.id, contextUri: 'demo:playlist:everything' });
      await first.waitFor(() => first.player.playing, 5000, 'playing');
      for (let i = 1; i <= spec.transfersPerUser; i++) {
        const target = devices[i % devices.length]!;
        const controller = devices[(i + 1) % devices.length]!;
        await sleep(50 + Math.random() * 100);
        const t0 = performance.now();
        const result = await controller.command({ type: 'command.transfer', deviceId: target.id, play: true });
        if (!result.ok) {
          failed++;
          continue;
        }
        latencies.push(performance.now() - t0);
        await target.waitFor(() => target.player.playing && target.cluster?.activeDeviceId === target.id, 5000, 'target playing');
      }
      await Promise.all(devices.map((d) => d.close()));
    }),
  );
  const handoffs = measureHandoffs(truths.map((d) => d.truth));
  return {
    count: handoffs.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    gapP99Ms: percentile(handoffs.map((h) => Math.max(0, h.gapMs)), 99),
    overlapP99Ms: percentile(handoffs.map((h) => Math.max(0, -h.gapMs)), 99),
    positionErrorP99Ms: percentile(handoffs.map((h) => Math.abs(h.positionErrorMs)), 99),
    failed,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
