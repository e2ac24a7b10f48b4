import { parseArgs } from 'node:util';
import { parseConfig, silentLog, startHub } from '@handoff/server';
import { runFuzz } from '../test/fuzz/fuzz.ts';

/**
 * `npm run fuzz -- --frames 100000 --seconds 300 --seed 7`: hostile frames against a hub on
 * loopback (its own, or --hub URL with --secret), bounded by count and time. Exits 1 on any
 * unanswered frame, any failure seen by the victim user, or a dead hub, printing the seed.
 */
const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    attackers: { type: 'string', default: '6' },
    hub: { type: 'string' },
    secret: { type: 'string' },
  },
});
const seed = Number(values.seed);
const hub = values.hub
  ? { url: values.hub.replace(/^ws/, 'http').replace(/\/v1\/connect$/, ''), wsUrl: `${values.hub.replace(/^http/, 'ws').replace(/\/v1\/connect$/, '')}/v1/connect`, secret: values.secret ?? '', close: async () => {} }
  : await startHub(parseConfig({ PORT: '0', HOST: '127.0.0.1' }), { log: silentLog });
if (!new URL(hub.url).hostname.match(/^(127\.|localhost$|\[::1\]$)/)) {
  process.stderr.write('fuzz targets loopback only\n');
  process.exit(2);
}
process.stderr.write(`fuzzing ${hub.wsUrl} with seed ${seed} (${values.frames} frames or ${values.seconds} s)\n`);
const report = await runFuzz(hub, {
  seed,
  frames: Number(values.frames),
  durationMs: Number(values.seconds) * 1000,
  attackers: Number(values.attackers),
  onProgress: (n) => process.stderr.write(`\r${n} frames`),
});
await hub.close();
process.stderr.write('\n');
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
const bad = report.unanswered.length > 0 || report.victim.failed.length > 0 || report.victim.reconnects > 0 || !report.hubAlive;
process.stdout.write(
  `${report.frames} frames, ${report.bursts} bursts in ${(report.durationMs / 1000).toFixed(1)} s; unanswered ${report.unanswered.length}; ` +
    `victim commands ${report.victim.commands}, failed ${report.victim.failed.length}; hub ${report.hubAlive ? 'alive' : 'DEAD'}; seed ${seed}\n`,
);
process.exit(bad ? 1 : 0);
