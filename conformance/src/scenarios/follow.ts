import { Kit, KIT_TRACK, ms, Verdict } from '../context.ts';
import type { Scenario } from './scenario.ts';

/** How far off the line a start may be (ms): well under the 250 ms at which rule 5 restarts. */
const POSITION_SLACK_MS = 100;

/** Wait for the device's next report of one kind after `from`; null when none came in `timeoutMs`. */
async function next<K extends 'start' | 'stop' | 'volume'>(kit: Kit, from: number, kind: K, timeoutMs = 1500) {
  await kit.probe.until(() => kit.probe.since(from, kind).length > 0, timeoutMs);
  return kit.probe.since(from, kind)[0] ?? null;
}

/** cluster.follow: made active and told to play, seek and pause by clusters alone, the device does so at the line's position. */
export const follow: Scenario = {
  rules: ['cluster.follow'],
  run: async (kit) => {
    const v = new Verdict('cluster.follow');
    await kit.command({ type: 'command.transfer', deviceId: kit.deviceId, play: false });
    let from = kit.probe.reports.length;
    const played = await kit.command({ type: 'command.play', uris: [KIT_TRACK], positionMs: 10_000 });
    if (!v.check(played.ok, `play committed (${played.ok ? `revision ${played.revision}` : played.code})`)) return [v.result()];
    const line = (await kit.cluster()).playback.position;
    const start = await next(kit, from, 'start');
    if (
      !v.check(
        start !== null,
        start
          ? 'started on the cluster that made it active and playing'
          : 'no sound within 1.5 s of a cluster naming it active with rate 1',
      )
    )
      return [v.result()];
    v.check(start!.trackUri === KIT_TRACK, `track ${start!.trackUri}`);
    const off = start!.positionMs - Kit.lineAt(line, kit.serverTime(start!.at));
    v.check(Math.abs(off) <= POSITION_SLACK_MS, `started ${ms(off)} off the line`, true);

    from = kit.probe.reports.length;
    await kit.command({ type: 'command.seek', positionMs: 60_000 });
    const seeked = await kit.cluster();
    const restart = await next(kit, from, 'start');
    const seekOff = restart ? restart.positionMs - Kit.lineAt(seeked.playback.position, kit.serverTime(restart.at)) : NaN;
    v.check(
      restart !== null && Math.abs(seekOff) <= POSITION_SLACK_MS,
      restart ? `after a seek to 60 s, restarted ${ms(seekOff)} off the line` : 'did not restart after a seek of 50 s',
    );

    from = kit.probe.reports.length;
    await kit.command({ type: 'command.pause' });
    const stop = await next(kit, from, 'stop');
    v.check(stop !== null, stop ? 'stopped on the cluster with rate 0' : 'still playing 1.5 s after a cluster with rate 0');
    return [v.result()];
  },
};

/** fencing.stale-revision: a cluster older than the device's, saying play (or stop), changes nothing. */
export const fencing: Scenario = {
  rules: ['fencing.stale-revision'],
  run: async (kit) => {
    const v = new Verdict('fencing.stale-revision');
    const settle = async (cluster: Awaited<ReturnType<Kit['cluster']>>) => {
      // Bring a device that obeyed the stale cluster back in line with a real one.
      if (!v.passing)
        await kit.command({ type: 'command.seek', positionMs: Math.round(Kit.lineAt(cluster.playback.position, kit.now())) });
    };
    await kit.command({ type: 'command.pause' });
    let cluster = await kit.cluster();
    const now = kit.now();
    let from = kit.probe.reports.length;
    const stalePlay = {
      ...cluster,
      revision: cluster.revision - 1,
      activeDeviceId: kit.deviceId,
      playback: { ...cluster.playback, position: { positionMs: 5000, atServerTime: now, rate: 1 } },
    };
    kit.tap.inject({ type: 'cluster.update', reason: 'conformance.stale', cluster: stalePlay });
    await kit.sleep(700);
    v.check(
      kit.probe.since(from, 'start').length === 0,
      `paused at revision ${cluster.revision}: a cluster of revision ${cluster.revision - 1} saying play was ignored (no sound for 700 ms)`,
      true,
    );
    await settle(cluster);

    if (!(await kit.playOnDevice())) {
      v.check(false, 'could not make it play for the second half');
      return [v.result()];
    }
    cluster = await kit.cluster();
    from = kit.probe.reports.length;
    const staleStop = {
      ...cluster,
      revision: cluster.revision - 1,
      activeDeviceId: kit.partner.id,
      playback: { ...cluster.playback, position: { ...cluster.playback.position, rate: 0 } },
    };
    kit.tap.inject({ type: 'cluster.update', reason: 'conformance.stale', cluster: staleStop });
    await kit.sleep(700);
    v.check(
      kit.probe.since(from, 'stop').length === 0,
      `playing at revision ${cluster.revision}: a cluster of revision ${cluster.revision - 1} naming another device was ignored (still playing after 700 ms)`,
    );
    await settle(cluster);
    return [v.result()];
  },
};

/** volume.follow: a volume command for the device reaches its output through its own devices[].volume. */
export const volume: Scenario = {
  rules: ['volume.follow'],
  run: async (kit) => {
    const v = new Verdict('volume.follow');
    for (const percent of [37, 64]) {
      const from = kit.probe.reports.length;
      const result = await kit.command({ type: 'command.volume', volumePercent: percent, deviceId: kit.deviceId });
      if (!v.check(result.ok, `volume ${percent} committed (${result.ok ? 'ok' : result.code})`)) break;
      await kit.probe.until(() => kit.probe.since(from, 'volume').some((e) => e.percent === percent), 1500);
      const seen = kit.probe.since(from, 'volume').map((e) => e.percent);
      v.check(
        seen.includes(percent),
        seen.length
          ? `output volume reported: ${seen.join(', ')}`
          : `no volume report within 1.5 s of devices[].volume = ${percent}`,
      );
    }
    return [v.result()];
  },
};
