import { describe, expect, test } from 'vitest';
import type { ClusterContext } from './context.ts';
import { converged, sleep } from './invariants.ts';

/** An owner frozen past its lease (a stop-the-world pause): taken over, and harmless when it wakes. */
export function frozenOwner(ctx: () => ClusterContext): void {
  describe('an owner frozen past its lease', () => {
    test('is taken over; when it wakes its writes are refused (fencing) and it lets go; the retried command is applied once', async () => {
      const { cluster, holder, ttlMs, storedRevision, stored, userOwnedBy } = ctx();
      const user = userOwnedBy('node-a', 'frozen');
      const [a] = cluster.nodes;
      const phone = await cluster.device(user, 0, { kind: 'phone' });
      const speaker = await cluster.device(user, 1, { kind: 'speaker' });
      expect(await holder(user)).toBe('node-a');
      await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' });
      await speaker.waitFor(() => speaker.player.playing, 3000, 'speaker playing');

      a!.pause();
      // Whatever happens below, node-a thaws: the scenarios after this one need it.
      const thaw = setTimeout(() => a!.resume(), ttlMs + 12_000);
      const frozenAt = Date.now();
      // Reaches node-a's inbox (it is subscribed) but waits there, unread, until it wakes.
      const first = speaker.command({ type: 'command.volume', volumePercent: 11, commandId: 'frozen-vol' }, 20_000);
      await sleep(100);
      let taken = 0;
      while (!taken) {
        const h = await holder(user);
        if (h && h !== 'node-a') taken = Date.now() - frozenAt;
        else await sleep(20);
        if (Date.now() - frozenAt > ttlMs + 8000) throw new Error(`nobody took the session over:\n${cluster.nodes[1]!.log.slice(-3000)}`);
      }
      // The retry (same id) is applied once, by the new owner.
      const retried = await speaker.command({ type: 'command.volume', volumePercent: 11, commandId: 'frozen-vol' }, 10_000);
      expect(retried).toMatchObject({ ok: true });
      const after = await speaker.command({ type: 'command.volume', volumePercent: 22 }, 5000);
      expect(after).toMatchObject({ ok: true });
      const revision = after.ok ? after.revision : 0;

      clearTimeout(thaw);
      a!.resume();
      await sleep(ttlMs);
      expect(await storedRevision(user)).toBeGreaterThanOrEqual(revision);
      expect(a!.log).toMatch(/lost the session to another node/);
      // node-a, back as a member, gets its partition back by handover, under a new token; what it
      // restores is the newer owner's state (volume 22 below): nothing it did with its old token
      // overwrote it.
      await expect.poll(() => holder(user), { timeout: 10_000, interval: 50 }).toBe('node-a');
      expect((await stored(user))?.revision).toBeGreaterThanOrEqual(revision);
      void first.catch(() => {});
      await converged([phone, speaker]);
      expect(speaker.cluster?.devices.find((d) => d.id === speaker.id)?.volume).toBe(22);
      ctx().report['frozen owner: lease taken over after (ms)'] = taken;
    });
  });
}
