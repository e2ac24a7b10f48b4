import { parseArgs } from 'node:util';
import { SimDevice, measureHandoffs, percentile } from '@handoff/device-sim';
import { parseConfig, silentLog, startHub } from '@handoff/server';

/**
 * `npx tsx scripts/measure-handoff.ts --transfers 200`: one user's four simulated devices with
 * clocks skewed by up to +-2 s and 0-20 ms of jitter pass playback around N times; prints the
 * switch gap, overlap and position error from the devices' ground truth. Hub and devices share
 * this process (quick, self-contained); `npm run bench` measures handoffs with the hub in its own
 * process.
 */
const { values } = parseArgs({ options: { transfers: { type: 'string', default: '200' }, skew: { type: 'string', default: '2000' }, jitter: { type: 'string', default: '20' } } });
const n = Number(values.transfers);
const hub = await startHub(parseConfig({ PORT: '0', HOST: '127.0.0.1', USER_COMMAND_RATE: '1000', USER_COMMAND_BURST: '1000' }), { log: silentLog });
const kinds = ['phone', 'speaker', 'tv', 'car'] as const;
const devices = kinds.map(
  (kind, i) => new SimDevice({ hub: hub.wsUrl, user: 'handoff', kind, id: `${kind}-${i}`, skewMs: (Math.random() * 2 - 1) * Number(values.skew), jitterMs: Number(values.jitter) }),
);
await Promise.all(devices.map((d) => d.connect()));
await new Promise((resolve) => setTimeout(resolve, 800));
await devices[0]!.command({ type: 'command.play', deviceId: devices[0]!.id, contextUri: 'demo:playlist:everything' });
await new Promise((resolve) => setTimeout(resolve, 300));
const durations: number[] = [];
let failed = 0;
for (let i = 0; i < n; i++) {
  const active = devices[0]!.cluster?.activeDeviceId;
  const targets = devices.filter((d) => d.id !== active);
  const started = performance.now();
  const result = await devices[i % devices.length]!.command({ type: 'command.transfer', deviceId: targets[i % targets.length]!.id });
  durations.push(performance.now() - started);
  if (!result.ok) failed++;
  if (i % 20 === 0) process.stderr.write(`\r${i}/${n}`);
  await new Promise((resolve) => setTimeout(resolve, 30));
}
const handoffs = measureHandoffs(devices.map((d) => d.truth));
const gaps = handoffs.map((h) => Math.max(0, h.gapMs));
const overlaps = handoffs.map((h) => Math.max(0, -h.gapMs));
const position = handoffs.map((h) => Math.abs(h.positionErrorMs));
const f = (x: number) => x.toFixed(2);
process.stderr.write('\n');
process.stdout.write(
  `${n} transfers (${failed} failed), ${handoffs.length} switches measured; skew up to +-${values.skew} ms, jitter 0-${values.jitter} ms\n` +
    `transfer (command to committed) p50 ${f(percentile(durations, 50))} ms, p99 ${f(percentile(durations, 99))} ms\n` +
    `gap      p50 ${f(percentile(gaps, 50))} ms, p99 ${f(percentile(gaps, 99))} ms\n` +
    `overlap  p50 ${f(percentile(overlaps, 50))} ms, p99 ${f(percentile(overlaps, 99))} ms\n` +
    `position error p50 ${f(percentile(position, 50))} ms, p99 ${f(percentile(position, 99))} ms\n`,
);
await Promise.all(devices.map((d) => d.close()));
await hub.close();
process.exit(0);
