import type { SimDevice } from '@handoff/device-sim';
import { describe, expect, test } from 'vitest';
import { synced } from '../helpers/fleet.ts';
import { logLines, type ClusterContext } from './context.ts';
import { converged, sleep, transferLoop, worstOverlapMs } from './invariants.ts';

/** How long two devices may both be audible at a switch (clock error of both, plus jitter). */
export const SWITCH_WINDOW_MS = 150;

/** kill -9 of the node that owns a user's session, in the middle of continuous transfers. */
export function ownerKilled(ctx: () => ClusterContext): void {
  describe('the owner killed (-9) during continuous transfers', () => {
    test('is replaced within lease TTL + 1 s; every transfer resolves, nothing committed is lost, never two devices audible beyond the switch window', async () => {
      const { cluster, holder, ttlMs, userOwnedBy } = ctx();
      const user = userOwnedBy('node-a', 'failover');
      const [a] = cluster.nodes;
      const phone = await cluster.device(user, 0, { kind: 'phone' });
      const speaker = await cluster.device(user, 1, { kind: 'speaker' });
      const tv = await cluster.device(user, 2, { kind: 'tv' });
      const all: SimDevice[] = [phone, speaker, tv];
      await synced(all);
      expect(await holder(user)).toBe('node-a');
      await speaker.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' });
      await speaker.waitFor(() => speaker.player.playing, 3000, 'playing');

      // Controllers on the nodes that survive; targets on all three.
      const loop = transferLoop([speaker, tv], [tv, phone, speaker], { gapMs: 100, timeoutMs: 3000 });
      await sleep(1500);
      const seenBeforeKill = Math.max(...all.map((d) => d.revision));
      const killedAt = Date.now();
      await a!.kill();
      let takeoverMs: number;
      for (;;) {
        const h = await holder(user);
        if (h && h !== 'node-a') {
          takeoverMs = Date.now() - killedAt;
          break;
        }
        if (Date.now() - killedAt > ttlMs + 10_000) throw new Error('no node took the session over');
        await sleep(10);
      }
      await sleep(3000);
      const records = await loop.stop();

      // Every transfer resolved: committed, or refused / rolled back with a reason.
      expect(records.filter((r) => !r.result)).toEqual([]);
      const firstOkAfterKill = Math.min(...records.filter((r) => r.result?.ok && r.doneAt > killedAt).map((r) => r.doneAt));
      await converged(all);
      // Nothing committed was lost: the new owner restored at least what any device had seen.
      const taken = logLines(cluster.nodes.slice(1)).find((l) => l.msg === 'mesh: session taken' && l.userId === user);
      const restoredRevision = Number(taken?.revision ?? -1);
      expect(restoredRevision).toBeGreaterThanOrEqual(seenBeforeKill);
      const okRevisions = records.flatMap((r) => (r.result?.ok ? [r.result.revision] : []));
      expect(phone.revision).toBeGreaterThanOrEqual(Math.max(...okRevisions));
      expect(worstOverlapMs(all)).toBeLessThan(SWITCH_WINDOW_MS);
      expect(takeoverMs).toBeLessThanOrEqual(ttlMs + 1000);
      const r = ctx().report;
      r['owner kill -9: lease taken over after (ms)'] = takeoverMs;
      r['owner kill -9: first committed transfer after (ms)'] = firstOkAfterKill - killedAt;
      r['owner kill -9: transfers (ok / refused or rolled back)'] = `${okRevisions.length} / ${records.length - okRevisions.length}`;
      await a!.start();
    });
  });
}
