import type { SimDevice } from '@handoff/device-sim';
import type { CommandResult } from '@handoff/protocol';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const trueNow = () => performance.timeOrigin + performance.now();

/** The longest time two of the devices were audible at once, from their ground truth. */
export function worstOverlapMs(devices: SimDevice[]): number {
  const intervals = devices.flatMap((d) => {
    const out: Array<{ s: number; e: number; id: string }> = [];
    let start: number | null = null;
    for (const a of d.truth) {
      if (a.type === 'start') start ??= a.trueTime;
      else if (start !== null) {
        out.push({ s: start, e: a.trueTime, id: d.id });
        start = null;
      }
    }
    if (start !== null) out.push({ s: start, e: trueNow(), id: d.id });
    return out;
  });
  let worst = 0;
  for (const a of intervals) for (const b of intervals) if (a.id < b.id) worst = Math.max(worst, Math.min(a.e, b.e) - Math.max(a.s, b.s));
  return worst;
}

/** The longest silence (no device audible) between `from` and `to`, true time. */
export function worstSilenceMs(devices: SimDevice[], from: number, to: number): number {
  const intervals = devices.flatMap((d) => {
    const out: Array<[number, number]> = [];
    let start: number | null = null;
    for (const a of d.truth) {
      if (a.type === 'start') start ??= a.trueTime;
      else if (start !== null) {
        out.push([start, a.trueTime]);
        start = null;
      }
    }
    if (start !== null) out.push([start, trueNow()]);
    return out;
  });
  intervals.sort((a, b) => a[0] - b[0]);
  let covered = from;
  let worst = 0;
  for (const [s, e] of intervals) {
    if (e <= covered) continue;
    if (s > covered) worst = Math.max(worst, Math.min(s, to) - covered);
    covered = Math.max(covered, e);
    if (covered >= to) break;
  }
  return Math.max(worst, to - covered);
}

/** Every device connected, on the same revision, and exactly the active device audible (when something plays). */
export async function converged(devices: SimDevice[], timeoutMs = 8000): Promise<void> {
  const ok = () => {
    const first = devices[0]!.cluster;
    if (!first || !devices.every((d) => d.connected && d.cluster?.revision === first.revision)) return false;
    const playing = first.playback.position.rate > 0 && first.playback.track !== null && first.activeDeviceId !== null;
    return devices.every((d) => d.player.playing === (playing && d.id === first.activeDeviceId));
  };
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) {
      const state = devices.map((d) => `${d.id}: connected=${d.connected} rev=${d.revision} active=${d.cluster?.activeDeviceId} playing=${d.player.playing}`);
      throw new Error(`devices did not converge:\n${state.join('\n')}`);
    }
    await sleep(50);
  }
}

export interface TransferRecord {
  commandId: string;
  target: string;
  sentAt: number;
  doneAt: number;
  attempts: number;
  result: CommandResult | null;
}

/**
 * Transfers one after another, round the targets, from the controllers in turn, until stopped.
 * A command with no answer in `timeoutMs` (its node or its owner died with it) is sent again
 * with the same id, as a client would: a retry is never applied twice.
 */
export function transferLoop(controllers: SimDevice[], targets: SimDevice[], opts: { gapMs?: number; timeoutMs?: number; attempts?: number } = {}) {
  const records: TransferRecord[] = [];
  let stopping = false;
  const done = (async () => {
    for (let i = 0; !stopping; i++) {
      const controller = controllers[i % controllers.length]!;
      const target = targets[i % targets.length]!;
      const commandId = `loop-${i}-${Math.random().toString(36).slice(2, 6)}`;
      const rec: TransferRecord = { commandId, target: target.id, sentAt: Date.now(), doneAt: 0, attempts: 0, result: null };
      records.push(rec);
      while (!rec.result && rec.attempts < (opts.attempts ?? 8)) {
        rec.attempts++;
        try {
          rec.result = await controller.command({ type: 'command.transfer', deviceId: target.id, commandId }, opts.timeoutMs ?? 3000);
        } catch {
          // No answer: send it again with the same id.
        }
      }
      rec.doneAt = Date.now();
      await sleep(opts.gapMs ?? 150);
    }
  })();
  return {
    records,
    async stop(): Promise<TransferRecord[]> {
      stopping = true;
      await done;
      return records;
    },
  };
}
