import { describe, expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import { silentLog } from '../log.ts';
import { MemoryOwnership } from './memory-ownership.ts';
import type { Ownership, TickRequest, TickResult } from './ownership.ts';
import { Partitions } from './partitions.ts';
import { ownerTable } from './rendezvous.ts';

const TTL = 3000;
const COUNT = 64;

/** The shared record on a simulated clock, counting ticks and acquisitions; `stalled` makes every tick hang (Redis stopped). */
function shared(clock: SimulatedClock) {
  const memory = new MemoryOwnership(() => clock.now());
  const seen = { ticks: new Map<string, number>(), acquired: [] as Array<{ node: string; partition: number; at: number }>, stalled: false };
  const ownership: Ownership = {
    tick: async (req: TickRequest): Promise<TickResult> => {
      if (seen.stalled) return new Promise<TickResult>(() => {});
      seen.ticks.set(req.node, (seen.ticks.get(req.node) ?? 0) + 1);
      const result = await memory.tick(req);
      for (const { partition } of result.acquired) seen.acquired.push({ node: req.node, partition, at: clock.now() });
      return result;
    },
    holder: (p) => memory.holder(p),
  };
  return { ownership, seen, memory };
}

/** Nodes with Partitions on one simulated clock; `run(ms)` moves time on in small steps, letting promises settle. */
async function nodes(names: string[]) {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const record = shared(clock);
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const handedOver: number[] = [];
  /** By node: `change -> count` as reported to the metrics. */
  const changes = new Map<string, Record<string, number>>();
  const changed = (node: string) => (change: string, count: number) => {
    const mine = changes.get(node) ?? {};
    changes.set(node, mine);
    mine[change] = (mine[change] ?? 0) + count;
  };
  const parts = names.map(
    (node) =>
      new Partitions({
        node,
        count: COUNT,
        ttlMs: TTL,
        ownership: record.ownership,
        clock,
        log: silentLog,
        random,
        host: { handOver: (p) => Promise.resolve(void handedOver.push(p)), lost: () => {} },
        changed: changed(node),
      }),
  );
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      clock.increment(10);
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
  };
  for (const p of parts) await p.start();
  /** Who holds each partition now, by the shared record. */
  const holders = () => Promise.all(Array.from({ length: COUNT }, (_, p) => record.memory.holder(p)));
  return { clock, parts, run, record, holders, handedOver, changes, changed };
}

describe('partition ownership over time (simulated clock)', () => {
  test('nodes started together settle with every partition held by its rendezvous owner, then tick once per TTL/3 each however many partitions they hold', async () => {
    const { run, record, holders } = await nodes(['a', 'b', 'c']);
    await run(3 * TTL);
    expect(await holders()).toEqual(ownerTable(['a', 'b', 'c'], COUNT));
    record.seen.ticks.clear();
    await run(10 * TTL);
    for (const node of ['a', 'b', 'c']) {
      const ticks = record.seen.ticks.get(node) ?? 0;
      // TTL/3 ± 20 %: between 25 and 38 ticks in 10 TTLs.
      expect(ticks).toBeGreaterThanOrEqual(24);
      expect(ticks).toBeLessThanOrEqual(38);
    }
  });

  test('a Redis stall longer than the TTL: every node takes back its own partitions, none takes another\'s, and nothing is acquired in a burst', async () => {
    const { run, record, holders } = await nodes(['a', 'b', 'c']);
    await run(3 * TTL);
    const before = await holders();
    record.seen.acquired.length = 0;
    record.seen.stalled = true;
    await run(2 * TTL);
    record.seen.stalled = false;
    await run(3 * TTL);
    expect(await holders()).toEqual(before);
    expect(record.seen.acquired).toEqual([]);
  });

  test('a node that stops ticking (killed) loses its partitions to the others once its lease lapses: within the TTL and a fast tick', async () => {
    const { run, parts, holders, clock, changes } = await nodes(['a', 'b', 'c']);
    await run(3 * TTL);
    const heldByA = ownerTable(['a', 'b', 'c'], COUNT).filter((o) => o === 'a').length;
    const before = structuredClone(Object.fromEntries(changes));
    const killedAt = clock.now();
    parts[0]!.stop();
    const want = ownerTable(['b', 'c'], COUNT);
    let movedAt = 0;
    for (let t = 0; t < 3 * TTL && !movedAt; t += 50) {
      await run(50);
      if ((await holders()).every((h, p) => h === want[p])) movedAt = clock.now();
    }
    expect(movedAt).toBeGreaterThan(0);
    // Its lease lasts TTL after its last tick; the others look just after it lapses: within TTL + 1 s (the bound).
    expect(movedAt - killedAt).toBeLessThanOrEqual(TTL + 1000);
    // The metrics say so: the survivors took over exactly a's partitions; none was free, none lost or released.
    const delta = (node: string, change: string) => (changes.get(node)?.[change] ?? 0) - (before[node]?.[change] ?? 0);
    expect(delta('b', 'taken-over') + delta('c', 'taken-over')).toBe(heldByA);
    for (const node of ['b', 'c']) for (const change of ['acquired', 'released', 'lost']) expect(delta(node, change)).toBe(0);
  });

  test('a node joining gets its partitions handed over by their holders (no lapse), and only those', async () => {
    const { run, record, holders, handedOver, clock, changes, changed } = await nodes(['a', 'b']);
    await run(3 * TTL);
    const d = new Partitions({ node: 'd', count: COUNT, ttlMs: TTL, ownership: record.ownership, clock, log: silentLog, host: { handOver: () => Promise.resolve(), lost: () => {} }, changed: changed('d') });
    await d.start();
    await run(3 * TTL);
    const want = ownerTable(['a', 'b', 'd'], COUNT);
    expect(await holders()).toEqual(want);
    const ofD = want.flatMap((o, p) => (o === 'd' ? [p] : []));
    expect([...handedOver].sort((x, y) => x - y)).toEqual(ofD);
    // Released by a and b, acquired free by d: nothing lapsed, so nothing taken over.
    expect((changes.get('a')?.released ?? 0) + (changes.get('b')?.released ?? 0)).toBe(ofD.length);
    expect(changes.get('d')).toEqual({ acquired: ofD.length });
    d.stop();
  });

  test('a node is settled (ready) only once it holds every partition rendezvous gives it, and stays so while a dead node\'s partitions are still being taken', async () => {
    const { run, parts, record, clock } = await nodes(['a', 'b']);
    // Just started: the first tick is done, nothing is held yet.
    expect(parts.map((p) => p.settled)).toEqual([false, false]);
    await run(3 * TTL);
    expect(parts.map((p) => p.settled)).toEqual([true, true]);
    // A node joining is not settled while its partitions are still the others' (handed over after its first ticks).
    const d = new Partitions({ node: 'd', count: COUNT, ttlMs: TTL, ownership: record.ownership, clock, log: silentLog, host: { handOver: () => Promise.resolve(), lost: () => {} } });
    await d.start();
    expect(d.settled).toBe(false);
    await run(3 * TTL);
    expect(d.settled).toBe(true);
    expect(d.heldCount).toBe(ownerTable(['a', 'b', 'd'], COUNT).filter((o) => o === 'd').length);
    // a dies: b's share grows at once, before a's leases lapse; b stays settled (a death elsewhere must not make every survivor unready).
    parts[0]!.stop();
    const unsettled: number[] = [];
    let owners = 0;
    for (let t = 0; t < 3 * TTL && owners < COUNT; t += 10) {
      await run(10);
      if (!parts[1]!.settled) unsettled.push(t);
      owners = parts[1]!.heldCount + d.heldCount;
    }
    expect(owners).toBe(COUNT);
    expect(unsettled).toEqual([]);
    d.stop();
  });
});
