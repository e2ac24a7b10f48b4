import { SimDevice, signDeviceToken, trueNow } from '@handoff/device-sim';
import { percentile } from './stats.ts';

export interface GroupsSpec {
  users: number;
  /** Per user: transfers phone -> group of three, a fourth speaker joins, back to the phone. */
  rounds: number;
  skewMs: number;
  jitterMs: number;
  loadDelayMs: number;
}

export interface GroupsResult {
  count: number;
  startSkewP99Ms: number;
  /**
   * The spread of the same members' clock estimate errors (offset the hub gave them minus their
   * true offset) at each start: how much of the start skew the clock estimates explain.
   */
  estimateSpreadP99Ms: number;
  joinErrorP99Ms: number;
  failed: number;
}

/**
 * How far apart a listener hears these devices at true time `at`: the spread of what each one
 * plays then (SimDevice ground truth, each at its own clock's speed). Taken at one instant, it
 * does not depend on how late each one started.
 */
const apart = (devices: SimDevice[], at: number) => {
  const heard = devices.map((d) => d.heardAt(at) ?? NaN);
  return Math.max(...heard) - Math.min(...heard);
};

/**
 * Groups with SimDevices (ground truth on the true clock): per user a phone and four speakers,
 * clocks skewed and links jittery. Each round the phone's playback moves to a group of three
 * speakers (start skew: how far apart the members are once all have started), the fourth
 * speaker is added while it plays (join error: how far it is from a member already playing),
 * and playback goes back to the phone.
 */
export async function groups(wsUrl: string, secret: string, spec: GroupsSpec): Promise<GroupsResult> {
  const skews: number[] = [];
  const estimateSpreads: number[] = [];
  /** How far a device's offset estimate is from its true offset now (the hub's clock is this machine's true clock). */
  const estimateError = (d: SimDevice) => d.offsetMs - (d.localNow() - trueNow());
  const joins: number[] = [];
  let failed = 0;
  await Promise.all(
    Array.from({ length: spec.users }, async (_, u) => {
      const user = `groups-${u}`;
      const token = await signDeviceToken(secret, user);
      const kinds = ['phone', 'speaker', 'speaker', 'speaker', 'speaker'] as const;
      const devices = kinds.map(
        (kind, i) =>
          new SimDevice({
            hub: wsUrl,
            user,
            token,
            kind,
            id: `${user}-${kind}-${i}`,
            skewMs: (Math.random() * 2 - 1) * spec.skewMs,
            jitterMs: spec.jitterMs,
            loadDelayMs: spec.loadDelayMs,
          }),
      );
      const [phone, ...speakers] = devices as [SimDevice, SimDevice, SimDevice, SimDevice, SimDevice];
      const three = speakers.slice(0, 3);
      const fourth = speakers[3];
      await Promise.all(devices.map((d) => d.connect()));
      await Promise.all(devices.map((d) => d.waitFor(() => d.errorMs < 50, 10_000, 'clock sync')));
      const created = await phone.command({ type: 'command.group.create', name: 'Bench', deviceIds: three.map((d) => d.id) });
      if (!created.ok || !created.groupId) throw new Error(`group not created: ${JSON.stringify(created)}`);
      const groupId = created.groupId;
      await phone.command({ type: 'command.play', deviceId: phone.id, contextUri: 'demo:playlist:everything' });
      await phone.waitFor(() => phone.player.playing, 5000, 'playing');
      for (let r = 0; r < spec.rounds; r++) {
        await sleep(100 + Math.random() * 100);
        const toGroup = await phone.command({ type: 'command.transfer', deviceId: groupId, play: true });
        if (!toGroup.ok || toGroup.leftOut?.length) {
          failed++;
          continue;
        }
        await phone.waitFor(() => three.every((d) => d.player.playing), 5000, 'group playing');
        const startedAt = Math.max(...three.map((d) => d.truth.findLast((a) => a.type === 'start')!.trueTime));
        skews.push(apart(three, startedAt));
        const errors = three.map(estimateError);
        estimateSpreads.push(Math.max(...errors) - Math.min(...errors));
        await sleep(200);

        const joined = await phone.command({ type: 'command.group.update', groupId, deviceIds: speakers.map((d) => d.id) });
        if (!joined.ok) failed++;
        else {
          await fourth.waitFor(() => fourth.cluster?.groups?.some((g) => g.playingIds.includes(fourth.id)) ?? false, 5000, 'joined');
          const joinedAt = fourth.truth.findLast((a) => a.type === 'start')!.trueTime;
          joins.push(Math.abs(fourth.heardAt(joinedAt)! - three[0]!.heardAt(joinedAt)!));
        }
        await sleep(200);
        const back = await phone.command({ type: 'command.transfer', deviceId: phone.id, play: true });
        if (!back.ok) failed++;
        await phone.waitFor(() => phone.player.playing && speakers.every((d) => !d.player.playing), 5000, 'phone again');
        await phone.command({ type: 'command.group.update', groupId, deviceIds: three.map((d) => d.id) });
      }
      await Promise.all(devices.map((d) => d.close()));
    }),
  );
  return {
    count: skews.length,
    startSkewP99Ms: percentile(skews, 99),
    estimateSpreadP99Ms: percentile(estimateSpreads, 99),
    joinErrorP99Ms: percentile(joins, 99),
    failed,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
