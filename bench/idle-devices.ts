import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { LeanDevice } from '@handoff/device-sim';
import { signToken } from '@handoff/server';
import { DEFAULT_PARTITIONS } from '../server/src/cluster/partitions.ts';
import { ownerOf } from '../server/src/cluster/rendezvous.ts';

/**
 * One process of idle devices for bench/idle-redis.ts (one process cannot hold 20,000 sockets
 * under a 20,000 file limit): users `from` to `to` - 1, one device each, connected to the hub that
 * owns the user's partition (computed as every hub computes it), as the client library ends up
 * after following `ownerUrl`. Prints `{"connected": n}` once all are welcomed; exits when stdin closes.
 *
 *   node --import tsx bench/idle-devices.ts --from 0 --to 5000 --hubs '{"idle-0":4001,...}' --secret s
 */
const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' }, hubs: { type: 'string' }, secret: { type: 'string' } } });
const hubs = JSON.parse(values.hubs!) as Record<string, number>;
const nodes = Object.keys(hubs);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const devices: LeanDevice[] = [];
const [from, to] = [Number(values.from), Number(values.to)];
for (let i = from; i < to; i += 200) {
  const batch = await Promise.all(
    Array.from({ length: Math.min(200, to - i) }, async (_, j) => {
      const user = `idle-${i + j}`;
      const token = await signToken(values.secret!, { userId: user, role: 'device' }, 3600);
      const port = hubs[ownerOf(user, nodes, DEFAULT_PARTITIONS) ?? nodes[0]!]!;
      return new LeanDevice({ url: `ws://127.0.0.1:${port}/v1/connect?access_token=${token}`, id: `speaker-${i + j}` });
    }),
  );
  // A device the loaded machine did not let say hello in time connects again (up to 3 times).
  await Promise.all(
    batch.map(async (d) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await d.connect();
        } catch (err) {
          if (attempt >= 3) throw err;
          await sleep(500);
        }
      }
    }),
  );
  devices.push(...batch);
}
process.stdout.write(`${JSON.stringify({ connected: devices.length })}\n`);
createInterface({ input: process.stdin }).on('close', () => {
  for (const d of devices) d.close();
  process.exit(0);
});
