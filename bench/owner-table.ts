import { ownerTable } from '../server/src/cluster/rendezvous.ts';

/**
 * What a membership change costs each node: recomputing the owner of every partition by
 * rendezvous over the live members (`ownerTable`, partitions x members weights). Median of 5
 * after a warm-up, per size.
 *
 *   npx tsx bench/owner-table.ts
 */
for (const [members, partitions] of [[3, 1024], [100, 1024], [100, 16_384], [1600, 16_384]] as const) {
  const names = Array.from({ length: members }, (_, i) => `hub-${i}.example.internal:8080`);
  ownerTable(names, partitions);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    ownerTable(names, partitions);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  process.stdout.write(`${JSON.stringify({ members, partitions, weights: members * partitions, medianMs: Number(times[2]!.toFixed(1)) })}\n`);
}
