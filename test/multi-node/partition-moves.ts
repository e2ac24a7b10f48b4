import type { SimDevice } from '@handoff/device-sim';
import { describe, expect, test } from 'vitest';
import { ownerOf, ownerTable } from '../../server/src/cluster/rendezvous.ts';
import { DEFAULT_PARTITIONS } from '../../server/src/cluster/partitions.ts';
import { synced } from '../helpers/fleet.ts';
import { hubProcess, type TestCluster } from '../helpers/hub-cluster.ts';
import { userOwnedBy } from '../helpers/partition-owner.ts';
import { logLines } from './context.ts';
import { SWITCH_WINDOW_MS } from './failover.ts';
import { converged, sleep, transferLoop, worstOverlapMs, worstSilenceMs } from './invariants.ts';

/** What the scenarios need: the running hubs (node-a, b, c), their env, the lease TTL, and who holds a user's partition. */
export interface MovesContext {
  hubs: TestCluster;
  env: Record<string, string>;
  ttlMs: number;
  holder: (userId: string) => Promise<string | null>;
  run: string;
}

const trueNow = () => performance.timeOrigin + performance.now();

type Change = 'acquired' | 'taken-over' | 'released' | 'lost';
/** A node's handoff_partition_changes_total by change, and its handoff_partitions_held, from its /metrics. */
async function partitionMetrics(url: string): Promise<Record<Change | 'held', number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const change = (c: Change) => read(`handoff_partition_changes_total{change="${c}"}`);
  return { acquired: change('acquired'), 'taken-over': change('taken-over'), released: change('released'), lost: change('lost'), held: read('handoff_partitions_held') };
}

/** Partitions moving between hub nodes: a node killed, a node joining. Each leaves node-a, b and c running. */
export function partitionMoves(ctx: () => MovesContext): void {
  describe('partitions moving between hub nodes', () => {
    test("kill -9 of a hub node: its partitions are owned by the others within the lease TTL + 1 s, and its users' commands work there", async () => {
      const { hubs, holder, ttlMs, run } = ctx();
      const ids = hubs.nodes.map((n) => n.nodeId);
      const user = userOwnedBy('node-c', ids, `hub-kill-${run}`);
      const phone = await hubs.device(user, 0, { kind: 'phone' });
      const speaker = await hubs.device(user, 1, { kind: 'speaker' });
      await synced([phone, speaker]);
      expect(await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
      await speaker.waitFor(() => speaker.player.playing, 3000, 'playing');
      expect(await holder(user)).toBe('node-c');
      // Every node holds its whole share (by rendezvous over the three), so the survivors' metrics can be counted exactly.
      const table = ownerTable(ids, DEFAULT_PARTITIONS);
      const shares = ids.map((id) => table.filter((o) => o === id).length);
      const share = shares[2]!;
      await expect.poll(async () => (await Promise.all(hubs.nodes.map((n) => partitionMetrics(n.url)))).map((m) => m.held), { timeout: 15_000, interval: 100 }).toEqual(shares);
      const [a, b] = [hubs.nodes[0]!, hubs.nodes[1]!];
      const before = await Promise.all([a, b].map((n) => partitionMetrics(n.url)));
      const delta = async (change: Change) => (await Promise.all([a, b].map((n) => partitionMetrics(n.url)))).reduce((sum, m, i) => sum + m[change] - before[i]![change], 0);

      const killedAt = Date.now();
      await hubs.nodes[2]!.kill();
      let movedMs: number;
      for (;;) {
        const h = await holder(user);
        if (h && h !== 'node-c') {
          movedMs = Date.now() - killedAt;
          break;
        }
        if (Date.now() - killedAt > ttlMs + 10_000) throw new Error('no node took the partition over');
        await sleep(25);
      }
      // The survivors' rendezvous owner took it, within the bound the lease TTL sets.
      expect(await holder(user)).toBe(ownerOf(user, ['node-a', 'node-b'], DEFAULT_PARTITIONS));
      expect(movedMs).toBeLessThanOrEqual(ttlMs + 1000);
      const after = await phone.command({ type: 'command.volume', deviceId: phone.id, volumePercent: 41 }, 10_000);
      expect(after).toMatchObject({ ok: true });
      await converged([phone, speaker]);
      expect(speaker.player.playing).toBe(true);
      process.stdout.write(`\nredis cluster: hub node kill -9 -> its partition owned elsewhere after ${movedMs} ms (lease TTL ${ttlMs} ms)\n`);
      // handoff_partition_changes_total: the survivors took node-c's share over (its leases lapsed), nothing else changed hands.
      await expect.poll(() => delta('taken-over'), { timeout: 10_000, interval: 100 }).toBe(share);
      expect({ acquired: await delta('acquired'), released: await delta('released'), lost: await delta('lost') }).toEqual({ acquired: 0, released: 0, lost: 0 });

      // Back: node-c takes its partitions again from their holders, by handover; it says it is ready only once it holds them.
      await hubs.nodes[2]!.start();
      await expect.poll(async () => (await fetch(`${hubs.nodes[2]!.url}/readyz`)).status, { timeout: 15_000, interval: 50 }).toBe(200);
      expect((await partitionMetrics(hubs.nodes[2]!.url)).held).toBe(share);
      await expect.poll(() => holder(user), { timeout: 15_000, interval: 100 }).toBe('node-c');
      // Handed back, not lapsed: the survivors released node-c's share, node-c acquired it free and took nothing over.
      await expect.poll(async () => (await partitionMetrics(hubs.nodes[2]!.url)).acquired, { timeout: 15_000, interval: 100 }).toBe(share);
      expect(await delta('released')).toBe(share);
      expect((await partitionMetrics(hubs.nodes[2]!.url))['taken-over']).toBe(0);
      expect(await phone.command({ type: 'command.volume', deviceId: phone.id, volumePercent: 42 }, 10_000)).toMatchObject({ ok: true });
    });

    test('a node joining a running cluster takes its partitions over by handover, and no device hears a gap or plays twice', async () => {
      const { hubs, holder, env, run } = ctx();
      const d = await hubProcess('node-d', env);
      const user = userOwnedBy('node-d', [...hubs.nodes.map((n) => n.nodeId), 'node-d'], `join-${run}`);
      const before = ownerOf(user, hubs.nodes.map((n) => n.nodeId), DEFAULT_PARTITIONS);
      const phone = await hubs.device(user, 0, { kind: 'phone' });
      const speaker = await hubs.device(user, 1, { kind: 'speaker' });
      const tv = await hubs.device(user, 2, { kind: 'tv' });
      const all: SimDevice[] = [phone, speaker, tv];
      await synced(all);
      expect(await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
      await speaker.waitFor(() => speaker.player.playing, 3000, 'playing');
      expect(await holder(user)).toBe(before);

      const from = trueNow();
      const loop = transferLoop(all, [tv, phone, speaker], { gapMs: 300, timeoutMs: 3000 });
      await sleep(800);
      try {
        await d.start();
        await expect.poll(() => holder(user), { timeout: 15_000, interval: 50 }).toBe('node-d');
        await sleep(1500);
        const records = await loop.stop();
        const to = trueNow();
        // Every transfer resolved; none was lost; playback never stopped and never doubled.
        expect(records.filter((r) => !r.result)).toEqual([]);
        await converged(all);
        expect(worstSilenceMs(all, from, to)).toBeLessThan(SWITCH_WINDOW_MS);
        expect(worstOverlapMs(all)).toBeLessThan(SWITCH_WINDOW_MS);
        const okRevisions = records.flatMap((r) => (r.result?.ok ? [r.result.revision] : []));
        expect(okRevisions.length).toBeGreaterThan(0);
        expect(phone.revision).toBeGreaterThanOrEqual(Math.max(...okRevisions));
        // Handed over, not lapsed: node-d restored what the previous owner had stored last.
        const taken = logLines([d]).find((l) => l.msg === 'mesh: session taken' && l.userId === user);
        expect(taken).toBeDefined();
        expect(await phone.command({ type: 'command.volume', deviceId: phone.id, volumePercent: 30 }, 10_000)).toMatchObject({ ok: true });
      } finally {
        await loop.stop().catch(() => []);
        // node-d leaves again (SIGTERM: drain), handing its partitions back.
        await d.stop();
      }
      await expect.poll(() => holder(user), { timeout: 15_000, interval: 100 }).toBe(before);
    });

    test("owner affinity: a device welcomed on another node moves to the node that runs its user's session (PUBLIC_URL), and its commands then cross no node", async () => {
      const { hubs, env, holder, run } = ctx();
      const ownEnv: Record<string, string> = { ...env };
      const e = await hubProcess('node-e', ownEnv);
      ownEnv.PUBLIC_URL = e.wsUrl;
      const user = userOwnedBy('node-e', [...hubs.nodes.map((n) => n.nodeId), 'node-e'], `affinity-${run}`);
      const crossed = async (url: string) => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return Number(/^handoff_commands_crossed_nodes_total\{via="device"\} (\d+)/m.exec(text)?.[1] ?? 0);
      };
      try {
        await e.start();
        await expect.poll(() => holder(user), { timeout: 15_000, interval: 50 }).toBe('node-e');
        const lines: string[] = [];
        const phone = await hubs.device(user, 0, { kind: 'phone', onEvent: (line) => lines.push(line) });
        await expect.poll(() => lines.some((l) => l.includes(`moving to the session's node ${e.wsUrl}`)), { timeout: 10_000 }).toBe(true);
        await phone.waitFor(() => phone.connected, 10_000, 'connected on the owner');
        const before = await crossed(hubs.nodes[0]!.url);
        expect(await phone.command({ type: 'command.volume', deviceId: phone.id, volumePercent: 15 }, 10_000)).toMatchObject({ ok: true });
        expect(await crossed(hubs.nodes[0]!.url)).toBe(before);
        expect(await crossed(e.url)).toBe(0);
      } finally {
        await e.stop();
      }
    });
  });
}
