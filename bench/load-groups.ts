import { SimDevice, signDeviceToken, type Audible } from '@handoff/device-sim';
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
  joinErrorP99Ms: number;
  /** Not measured yet: needs the drift report and SimDevice clock drift (see docs/BENCHMARKS.md). */
  driftErrorP99Ms: null;
  failed: number;
}

/**
 * Where a member's audio stream stands against the true clock: the true time at which it was (or
 * would have been) at position 0 of the track. Two members in sync have the same origin; the
 * difference of origins is how far apart a listener hears them, whatever each one's lateness.
 */
const origin = (a: Audible) => a.trueTime - a.positionMs;

/**
 * Groups with SimDevices (ground truth on the true clock): per user a phone and four speakers,
 * clocks skewed and links jittery. Each round the phone's playback moves to a group of three
 * speakers (start skew: the spread of the members' stream origins at that start), the fourth
 * speaker is added while it plays (join error: its origin against a member already playing),
 * and playback goes back to the phone.
 */
export async function groups(wsUrl: string, secret: string, spec: GroupsSpec): Promise<GroupsResult> {
  const skews: number[] = [];
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
        const starts = three.map((d) => d.truth.filter((a) => a.type === 'start').at(-1)!);
        skews.push(Math.max(...starts.map(origin)) - Math.min(...starts.map(origin)));
        await sleep(200);

        const joined = await phone.command({ type: 'command.group.update', groupId, deviceIds: speakers.map((d) => d.id) });
        if (!joined.ok) failed++;
        else {
          await fourth.waitFor(() => fourth.cluster?.groups?.some((g) => g.playingIds.includes(fourth.id)) ?? false, 5000, 'joined');
          const join = fourth.truth.filter((a) => a.type === 'start').at(-1)!;
          const ref = three[0]!.truth.filter((a) => a.type === 'start' && a.trueTime <= join.trueTime).at(-1)!;
          joins.push(Math.abs(origin(join) - origin(ref)));
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
    joinErrorP99Ms: percentile(joins, 99),
    driftErrorP99Ms: null,
    failed,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
