import { currentPositionMs, isPlaying, trace, type SessionContext, type Step } from './context.ts';
import type { MachineEvent } from './events.ts';
import { activeGroup } from './groups.ts';
import type { SessionSettings } from './settings.ts';

/** A member whose sound is further than this from the group's line is re-seeked. */
export const DRIFT_THRESHOLD_MS = 3;

type Report = Extract<MachineEvent, { type: 'playback.report' }>;

/**
 * A playing member reported where its sound is. Measured against the group's position line at
 * the same server time; past the threshold, that member alone is told to play from p(T) at a
 * scheduled T (as far ahead as a switch to it would be). The others are sent nothing.
 */
export function checkDrift(ctx: SessionContext, report: Report, settings: SessionSettings): Step {
  const step: Step = { ctx, effects: [] };
  const group = activeGroup(ctx);
  const track = ctx.queue.current;
  if (ctx.transfer || !group || !track || !isPlaying(ctx) || !group.playingIds.includes(report.deviceId)) return step;
  const errorMs = report.positionMs - currentPositionMs(ctx, report.atServerTime);
  const traced = trace(step, { kind: 'clock', name: 'drift', deviceId: report.deviceId, payload: { driftMs: errorMs, groupId: group.id } });
  if (Math.abs(errorMs) <= DRIFT_THRESHOLD_MS) return traced;
  const at = report.now + Math.max(settings.minLeadMs, report.leads[report.deviceId] ?? 0);
  traced.effects.push({
    type: 'send',
    deviceId: report.deviceId,
    message: { type: 'playback.resync', trackUri: track.uri, atServerTime: at, positionMs: currentPositionMs(ctx, at) },
  });
  return traced;
}
