import type { SimDevice } from '@handoff/device-sim';
import { describe, expect, test } from 'vitest';
import { synced } from '../helpers/fleet.ts';
import type { ClusterContext } from './context.ts';
import { SWITCH_WINDOW_MS } from './failover.ts';
import { converged, sleep, transferLoop, worstOverlapMs, worstSilenceMs } from './invariants.ts';

const trueNow = () => performance.timeOrigin + performance.now();

/** Every node restarted one after another, or all at once, or Redis restarted: playback goes on. */
export function restarts(ctx: () => ClusterContext): void {
  describe('restarts', () => {
    test('a rolling restart of every node (SIGTERM: drain, then start) during playback and transfers interrupts no playback and loses nothing', async () => {
      const { cluster } = ctx();
      const phone = await cluster.device('rolling', 0, { kind: 'phone' });
      const speaker = await cluster.device('rolling', 1, { kind: 'speaker' });
      const tv = await cluster.device('rolling', 2, { kind: 'tv' });
      const all: SimDevice[] = [phone, speaker, tv];
      await synced(all);
      await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' });
      await speaker.waitFor(() => speaker.player.playing, 3000, 'playing');
      const from = trueNow();
      const loop = transferLoop(all, [tv, phone, speaker], { gapMs: 400, timeoutMs: 3000 });
      const started = Date.now();
      for (const node of cluster.nodes) {
        await node.stop();
        await node.start();
        await sleep(500);
      }
      const rollMs = Date.now() - started;
      const records = await loop.stop();
      const to = trueNow();
      expect(records.filter((r) => !r.result)).toEqual([]);
      await converged(all);
      expect(worstSilenceMs(all, from, to)).toBeLessThan(SWITCH_WINDOW_MS);
      expect(worstOverlapMs(all)).toBeLessThan(SWITCH_WINDOW_MS);
      const okRevisions = records.flatMap((r) => (r.result?.ok ? [r.result.revision] : []));
      expect(okRevisions.length).toBeGreaterThan(0);
      expect(phone.revision).toBeGreaterThanOrEqual(Math.max(...okRevisions));
      const r = ctx().report;
      r['rolling restart: duration (ms)'] = rollMs;
      r['rolling restart: transfers (ok / refused or rolled back)'] = `${okRevisions.length} / ${records.length - okRevisions.length}`;
    });

    test('every node killed (-9) and started again: devices keep playing through it and reconnect into their roles', async () => {
      const { cluster, storedRevision } = ctx();
      const phone = await cluster.device('all-down', 0, { kind: 'phone' });
      const speaker = await cluster.device('all-down', 1, { kind: 'speaker' });
      const tv = await cluster.device('all-down', 2, { kind: 'tv' });
      const all: SimDevice[] = [phone, speaker, tv];
      await phone.command({ type: 'command.play', deviceId: tv.id, contextUri: 'demo:album:night-drive' });
      await tv.waitFor(() => tv.player.playing, 3000, 'playing');
      const revision = await storedRevision('all-down');
      const from = trueNow();
      await Promise.all(cluster.nodes.map((n) => n.kill()));
      await sleep(1500);
      const downAt = Date.now();
      await Promise.all(cluster.nodes.map((n) => n.start()));
      await converged(all, 15_000);
      const backMs = Date.now() - downAt;
      expect(tv.cluster?.activeDeviceId).toBe(tv.id);
      expect(worstSilenceMs(all, from, trueNow())).toBe(0);
      expect(tv.truth.filter((a) => a.type === 'stop')).toEqual([]);
      expect(await storedRevision('all-down')).toBeGreaterThanOrEqual(revision);
      expect(await phone.command({ type: 'command.pause' }, 5000)).toMatchObject({ ok: true });
      await tv.waitFor(() => !tv.player.playing, 2000, 'paused');
      ctx().report['all nodes restarted: devices back in their roles after start (ms)'] = backMs;
    });

    test('Redis restarting (AOF) under playback and transfers: nodes recover by themselves, nothing committed is lost', async () => {
      const { cluster, redis, storedRevision } = ctx();
      const phone = await cluster.device('redis-restart', 0, { kind: 'phone' });
      const speaker = await cluster.device('redis-restart', 1, { kind: 'speaker' });
      const all: SimDevice[] = [phone, speaker];
      await synced(all);
      await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' });
      await speaker.waitFor(() => speaker.player.playing, 3000, 'playing');
      const loop = transferLoop([phone, speaker], [phone, speaker], { gapMs: 200, timeoutMs: 3000 });
      await sleep(1000);
      const seen = Math.max(...all.map((d) => d.revision));
      await redis.restart(1000);
      await sleep(4000);
      const records = await loop.stop();
      expect(records.filter((r) => !r.result)).toEqual([]);
      await converged(all);
      expect(await storedRevision('redis-restart')).toBeGreaterThanOrEqual(seen);
      // Commands across nodes work again (pub/sub resubscribed).
      expect(await speaker.command({ type: 'command.volume', volumePercent: 33 }, 5000)).toMatchObject({ ok: true });
      expect(records.filter((r) => r.result?.ok && r.sentAt > Date.now() - 3000).length).toBeGreaterThan(0);
    });
  });
}
