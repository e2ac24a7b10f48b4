import { parseArgs } from 'node:util';
import { parseConfig, silentLog, startHub } from '@handoff/server';
import { runChaos } from '../test/chaos/chaos.ts';

/**
 * `npm run chaos -- --seed 7 --duration 120`: a faulty fleet against a hub on loopback, then the
 * invariant checker. Prints a summary and the seed; exits 1 on any violation, so a failure can
 * be replayed with the same seed.
 */
const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    duration: { type: 'string', default: '60' },
    users: { type: 'string', default: '4' },
    devices: { type: 'string', default: '4' },
  },
});
const seed = Number(values.seed);
const hub = await startHub(
  parseConfig({ PORT: '0', HOST: '127.0.0.1', GRACE_MS: '3000', PREPARE_TIMEOUT_MS: '1500', USER_COMMAND_RATE: '100', USER_COMMAND_BURST: '100' }),
  { log: silentLog },
);
process.stderr.write(`chaos: seed ${seed}, ${values.users} users x ${values.devices} devices, ${values.duration} s\n`);
const report = await runChaos(hub, {
  seed,
  durationMs: Number(values.duration) * 1000,
  users: Number(values.users),
  devicesPerUser: Number(values.devices),
  onProgress: (line) => process.stderr.write(`${line}\n`),
});
await hub.close();
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
process.stdout.write(
  `${report.transfers.total} transfers (${report.transfers.committed} committed), ${report.commands.total} commands, ` +
    `${report.faults.drops} drops, ${report.faults.reconnects} reconnects, ${report.faults.slowLoads} slow loads, ` +
    `worst overlap ${report.maxOverlapMs.toFixed(1)} ms; violations: ${report.violations.length}; seed ${seed}\n`,
);
process.exit(report.violations.length ? 1 : 0);
