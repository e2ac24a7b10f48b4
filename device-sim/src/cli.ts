import { parseArgs } from 'node:util';
import { DeviceKind } from '@handoff/protocol';
import { deviceSocketUrl } from './hub-url.ts';
import { SimDevice } from './sim-device.ts';

const USAGE = `usage: npm run sim -- --hub ws://127.0.0.1:8080 --user alice --devices phone,speaker,tv
  [--token T]       a device token (default: ask a dev-mode hub for one)
  [--skew-ms N]     device clocks off by up to +-N ms (random per device)
  [--drift-ppm N]   device clocks run fast or slow by up to +-N ppm (random per device)
  [--latency-ms N] [--jitter-ms N] [--load-ms N] [--drop-rate P]
  --hub may list several URLs separated by commas; a device moves to the next when its hub is gone.
  Other commands: npm run sim -- fleet --help`;

/** `npm run sim`: connect some devices of one user and keep them running until SIGINT/SIGTERM. */
async function devices(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      hub: { type: 'string', default: 'ws://127.0.0.1:8080' },
      user: { type: 'string' },
      devices: { type: 'string', default: 'phone,speaker' },
      token: { type: 'string' },
      'skew-ms': { type: 'string', default: '0' },
      'drift-ppm': { type: 'string', default: '0' },
      'latency-ms': { type: 'string', default: '0' },
      'jitter-ms': { type: 'string', default: '0' },
      'load-ms': { type: 'string', default: '50' },
      'drop-rate': { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.user) {
    process.stderr.write(USAGE + '\n');
    process.exit(values.help ? 0 : 2);
  }
  const kinds = values.devices.split(',').map((k) => {
    const parsed = DeviceKind.safeParse(k.trim());
    if (!parsed.success) {
      process.stderr.write(`unknown device kind "${k}": use ${DeviceKind.options.join(', ')}\n`);
      process.exit(2);
    }
    return parsed.data;
  });
  const num = (name: keyof typeof values) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < 0) {
      process.stderr.write(`--${name} must be a non-negative number\n`);
      process.exit(2);
    }
    return n;
  };
  const skew = num('skew-ms');
  const hubs = values.hub.split(',').map(deviceSocketUrl);
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const sims = kinds.map(
    (kind) =>
      new SimDevice({
        hub: hubs,
        user: values.user!,
        kind,
        skewMs: (Math.random() * 2 - 1) * skew,
        driftPpm: (Math.random() * 2 - 1) * num('drift-ppm'),
        latencyMs: num('latency-ms'),
        jitterMs: num('jitter-ms'),
        loadDelayMs: num('load-ms'),
        dropRate: num('drop-rate'),
        onEvent: log,
        ...(values.token ? { token: values.token } : {}),
      }),
  );
  await Promise.all(sims.map((s) => s.connect()));
  log(`${sims.length} devices of ${values.user} connected: ${sims.map((s) => s.id).join(', ')}`);
  const stop = () => {
    void Promise.all(sims.map((s) => s.close())).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const [first, ...rest] = process.argv.slice(2);
const commands: Record<string, (argv: string[]) => Promise<void>> = {
  fleet: async (argv) => (await import('./fleet-cli.ts')).fleet(argv),
};
const run = first && commands[first] ? commands[first](rest) : devices(process.argv.slice(2));
run.catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
