import { SimDevice } from './sim-device.ts';

/**
 * A SimDevice as a device under test for the conformance kit (`npm run conformance -- --device
 * "npx tsx device-sim/src/conformance-speaker.ts"`): it connects where HANDOFF_URL says with
 * HANDOFF_TOKEN, and reports every start, stop and volume change of its output to HANDOFF_PROBE_URL.
 */
const env = (name: string): string => {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`${name} is not set: run this through the conformance kit (docs/CONFORMANCE.md)\n`);
    process.exit(2);
  }
  return value;
};
const probeUrl = env('HANDOFF_PROBE_URL');
const report = (event: Record<string, unknown>) => {
  fetch(probeUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) }).catch(
    (err: unknown) => process.stderr.write(`probe: ${(err as Error).message}\n`),
  );
};

const device = new SimDevice({
  hub: env('HANDOFF_URL'),
  user: 'conformance',
  token: env('HANDOFF_TOKEN'),
  id: process.env.HANDOFF_DEVICE_ID ?? 'sim-speaker',
  name: 'SimDevice speaker',
  kind: 'speaker',
  maxBackoffMs: 1000,
  onEvent: (line) => process.stderr.write(`${line}\n`),
  observer: {
    sound: (a, at) =>
      report(a.type === 'start' ? { event: 'start', at, trackUri: a.trackUri, positionMs: a.positionMs } : { event: 'stop', at }),
    volume: (percent, at) => report({ event: 'volume', at, percent }),
  },
});
process.on('SIGTERM', () => {
  void device.close().then(() => process.exit(0));
});
await device.connect().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
