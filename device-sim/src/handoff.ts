import type { Audible } from './player.ts';

/** One switch as the devices really played it. */
export interface Handoff {
  transferId: string;
  /** Target start minus source stop, true time: > 0 is silence, < 0 is both playing. */
  gapMs: number;
  /** Target's start position minus where the source's sound would have been at that moment. */
  positionErrorMs: number;
}

/**
 * Pair every source stop with the target start of the same transfer, from the ground truth of
 * each device, and measure the audible gap and the position jump at the switch.
 */
export function measureHandoffs(truths: ReadonlyArray<readonly Audible[]>): Handoff[] {
  const stops = new Map<string, Audible>();
  const starts = new Map<string, Audible>();
  for (const truth of truths) {
    for (const a of truth) {
      if (!a.transferId) continue;
      // The first start/stop of a transfer is the switch; later ones (an abort) are not.
      const into = a.type === 'stop' ? stops : starts;
      if (!into.has(a.transferId)) into.set(a.transferId, a);
    }
  }
  const out: Handoff[] = [];
  for (const [transferId, start] of starts) {
    const stop = stops.get(transferId);
    if (!stop || stop.trackUri !== start.trackUri) continue;
    // Where the source's sound would have been, at the source's own speed (its clock's drift).
    const expected = stop.positionMs + (start.trueTime - stop.trueTime) * stop.rate;
    out.push({ transferId, gapMs: start.trueTime - stop.trueTime, positionErrorMs: start.positionMs - expected });
  }
  return out;
}

/** The p-th percentile (0-100) of values, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
