import { Kit, KIT_TRACK, ms, Verdict } from '../context.ts';
import type { Scenario } from './scenario.ts';

/** How far a reported position may be from the sound (ms): the report and the clock are read together. */
const REPORT_SLACK_MS = 50;
/** How far the sound may jump to, past the line, in the resync the kit sends: far beyond any drift. */
const RESYNC_JUMP_MS = 5000;

/**
 * group.drift-report: the device plays in a group with the kit's partner. While it does, every
 * clock.pong is followed by a playback.report of where its sound is; a playback.resync makes it play the
 * track from the given position at T. Afterwards the device plays alone again, with no group.
 */
export const groupDrift: Scenario = {
  rules: ['group.drift-report'],
  run: async (kit) => {
    const v = new Verdict('group.drift-report');
    if (!(await kit.playOnDevice())) {
      v.check(false, 'the device did not play before the scenario');
      return [v.result()];
    }
    const created = await kit.command({ type: 'command.group.create', name: 'Conformance', deviceIds: [kit.deviceId, kit.partner.id] });
    const groupId = created.ok ? created.groupId : undefined;
    if (!v.check(groupId !== undefined, groupId ? `group ${groupId} of the device and the partner` : `group not created: ${JSON.stringify(created)}`)) return [v.result()];
    try {
      // "Here and there too": the device plays on untouched as the group, the partner joins it.
      const grouped = await kit.command({ type: 'command.transfer', deviceId: groupId!, play: true });
      if (!v.check(grouped.ok, grouped.ok ? 'playback moved to the group the device plays in' : `transfer to the group: ${grouped.code}`)) return [v.result()];
      // A heartbeat for the cluster naming the group to reach it, then four to watch.
      await kit.sleep(kit.settings.heartbeatMs);
      const from = kit.tap.frames.length;
      await kit.sleep(kit.settings.heartbeatMs * 4);
      const inbound = kit.tap.frames.slice(from).filter((f) => f.dir === 'in' && (f.msg?.type === 'clock.pong' || f.msg?.type === 'playback.report'));
      // Every pong but the last (whose report may be on its way) is followed by a report before the next pong.
      const pongs = inbound.flatMap((f, i) => (f.msg?.type === 'clock.pong' ? [i] : []));
      const answered = pongs.slice(0, -1).filter((i) => inbound[i + 1]?.msg?.type === 'playback.report').length;
      if (!v.check(pongs.length >= 2 && answered === pongs.length - 1, `${answered} of ${Math.max(0, pongs.length - 1)} clock.pong followed by a playback.report while playing in the group`))
        return [v.result()];
      // A report says where the sound is: the position the probe saw it start from, plus the time since, on the device's clock.
      const offs = inbound.flatMap((f) => {
        if (f.msg?.type !== 'playback.report') return [];
        const local = Number(f.msg.atServerTime) + kit.offsetMs();
        const start = kit.probe.since(0, 'start').findLast((r) => r.at <= local);
        return start ? [Number(f.msg.positionMs) - (start.positionMs + (local - start.at))] : [];
      });
      const worst = Math.max(...offs.map(Math.abs));
      v.check(offs.length > 0 && worst <= REPORT_SLACK_MS, `reports within ${ms(worst)} of where its sound was`, true);

      const line = (await kit.cluster()).playback.position;
      const at = kit.now() + 300;
      const positionMs = Kit.lineAt(line, at) + RESYNC_JUMP_MS;
      const before = kit.probe.reports.length;
      kit.tap.inject({ type: 'playback.resync', trackUri: KIT_TRACK, atServerTime: at, positionMs });
      await kit.probe.until(() => kit.probe.since(before, 'start').length > 0, 1500);
      const start = kit.probe.since(before, 'start')[0];
      if (!v.check(start !== undefined, start ? 'replayed on playback.resync' : 'no new start within 1.5 s of a playback.resync')) return [v.result()];
      const lateness = kit.serverTime(start!.at) - at;
      v.check(lateness >= -kit.settings.toleranceMs, `resync started ${ms(lateness)} after T`);
      const off = start!.positionMs - (positionMs + Math.max(0, lateness));
      v.check(Math.abs(off) <= REPORT_SLACK_MS, `from ${ms(off)} off the position it was given (plus lateness)`);
    } finally {
      // Back to the device alone: a transfer to one member of the playing group leaves it playing, the partner silent.
      await kit.command({ type: 'command.transfer', deviceId: kit.deviceId, play: true });
      await kit.command({ type: 'command.group.delete', groupId: groupId! });
    }
    return [v.result()];
  },
};
