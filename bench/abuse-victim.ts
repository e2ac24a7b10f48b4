import { createInterface } from 'node:readline';
import { LeanDevice } from '@handoff/device-sim';
import { deviceUrl } from './connect.ts';
import type { PhaseSamples } from './abuse-figures.ts';

/**
 * The victim of the abuse scenario, as its own process: one user with three devices that
 * transfers playback and changes the volume, one operation after another, for as long as the
 * process runs. Every result is timed and filed under the phase the runner names on stdin
 * (`{"phase":"garbage-1"}`, `{"phase":null}` between phases); `{"end":true}` prints every phase's
 * samples as one JSON line.
 */
export interface VictimSpec {
  url: string;
  secret: string;
  /** Pause between operations (the user's command budget must not be what limits it). */
  intervalMs: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as VictimSpec;
const user = 'victim';
const url = await deviceUrl(spec.url, spec.secret, user);
const devices = ['phone', 'speaker', 'tv'].map((kind) => new LeanDevice({ url, id: `${user}-${kind}`, trackCluster: true }));
for (const d of devices) await d.connect();
let ids = 0;
const command = (d: LeanDevice, c: Record<string, unknown> & { type: string }, commandId = `${d.id}-${++ids}`) => d.command({ ...c, commandId }, 20_000);
/** Server time as the hub's clock reads it (the same machine, so the same wall clock): the victim's stamps line up with the hub's. */
const origin = performance.timeOrigin;
const first = devices[0]!;
const played = await command(first, { type: 'command.play', deviceId: first.id, contextUri: 'demo:playlist:everything' });
if (!played.ok) throw new Error(`victim could not start playback: ${played.code}`);

const buckets = new Map<string, PhaseSamples>();
let phase: string | null = null;
let stopped = false;

const loop = (async () => {
  for (let i = 0; !stopped; i++) {
    const active = devices.find((d) => d.id === first.activeDeviceId) ?? first;
    const controller = devices[i % devices.length]!;
    // One transfer, then four volume changes: ~18 operations a second, under the user's 20 commands/s.
    const transfer = i % 5 === 0;
    const target = devices[(devices.indexOf(active) + 1) % devices.length]!;
    const label: string | null = phase;
    const commandId = `${controller.id}-${++ids}`;
    const t0 = performance.now();
    const result = await command(
      controller,
      transfer ? { type: 'command.transfer', deviceId: target.id, play: true } : { type: 'command.volume', volumePercent: 20 + (i % 60), deviceId: active.id },
      commandId,
    ).catch((err: Error) => ({ ok: false as const, code: err.message.startsWith('no result') ? 'NO_RESULT' : err.message }));
    const t1 = performance.now();
    const ms = t1 - t0;
    if (label !== null && label === phase) {
      const b = buckets.get(label)!;
      if (result.ok && transfer) {
        b.transfer.push(ms);
        b.transferHub.push(ms - target.lastSwitchWaitMs);
      } else if (result.ok) {
        b.command.push(ms);
        b.commandTimes.push([commandId, origin + t0, origin + t1]);
      } else b.failures[result.code] = (b.failures[result.code] ?? 0) + 1;
    }
    await new Promise((r) => setTimeout(r, spec.intervalMs));
  }
})();

process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const m = JSON.parse(line) as { phase?: string | null; end?: boolean };
  if (m.phase !== undefined) phase = m.phase;
  // Every phase named is reported, an empty one too (the runner says so instead of failing).
  if (typeof m.phase === 'string' && !buckets.has(m.phase)) buckets.set(m.phase, { transfer: [], transferHub: [], command: [], commandTimes: [], failures: {} });
  if (m.end) break;
}
stopped = true;
await loop;
for (const d of devices) d.close();
// Exit once the pipe took the whole line: process.exit() right after a write cuts a long one short.
process.stdout.write(`${JSON.stringify({ phases: Object.fromEntries(buckets) })}\n`, () => process.exit(0));
