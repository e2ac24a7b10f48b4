import { commandDeadlineMs, DEFAULT_HUB_SETTINGS } from '@handoff/server';
import { SESSION_MOVED } from '../../server/src/errors.ts';
import { describe, expect, test } from 'vitest';
import { synced } from '../helpers/fleet.ts';
import type { ClusterContext } from './context.ts';

/** HTTP and device commands waiting on a session that its node drops (another node took the user over). */
export function droppedSession(ctx: () => ClusterContext): void {
  describe('a session dropped while a command waits on it', () => {
    test('the waiting command is released at once and goes on to the next owner with its id: it answers with its real outcome, applied once, not a timeout', async () => {
      const { cluster, holder, stealLease } = ctx();
      const user = `dropped-${process.pid}`;
      const phone = await cluster.device(user, 0, { kind: 'phone' });
      await synced([phone]);
      const ownerId = await holder(user);
      const owner = cluster.nodes.find((n) => n.nodeId === ownerId)!;
      expect(owner).toBeDefined();
      const volume = { type: 'command.volume', volumePercent: 61 } as const;
      const deadlineMs = commandDeadlineMs({ ...volume, commandId: 'x' }, DEFAULT_HUB_SETTINGS);
      // A newer claim of a node that is not there, shorter-lived than the pause before the mesh
      // asks again (100 ms): the owner's write of the command is refused (fenced) and it drops the
      // session; when the command is sent on, the claim is gone and the owner takes the user back,
      // well within the command's deadline. Without the release the caller would wait it out (504).
      await stealLease(user, Math.min(80, deadlineMs / 10));
      const res = await fetch(`${owner.url}/v1/me/player/volume?volume_percent=${volume.volumePercent}&device_id=${phone.id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${await cluster.token(user, 'viewer')}`, 'idempotency-key': `dropped-${process.pid}` },
      });
      expect(res.status).toBe(204);
      await phone.waitFor(() => phone.cluster?.devices.find((d) => d.id === phone.id)?.volume === volume.volumePercent, 5000, 'volume applied');
      expect(owner.log).toMatch(/lost the session to another node/);
      expect(cluster.nodes.map((n) => n.nodeId)).toContain(await holder(user));
    });

    test("a device's command waiting on it, from the owner's node or another one, is answered at once, not at its deadline (COMMAND_TIMEOUT, session moved); sent again with its id it answers for real", async () => {
      const { cluster, holder, stealLease } = ctx();
      const user = `dropped-device-${process.pid}`;
      const first = await cluster.device(user, 0, { kind: 'phone' });
      await synced([first]);
      const ownerId = await holder(user);
      const at = cluster.nodes.findIndex((n) => n.nodeId === ownerId);
      expect(at).toBeGreaterThanOrEqual(0);
      // One device on the owner's node (the session runs where it is), one on another node (routed to the owner).
      const onOwner = await cluster.device(user, at, { kind: 'speaker' });
      const offOwner = await cluster.device(user, (at + 1) % cluster.nodes.length, { kind: 'tv' });
      await synced([first, onOwner, offOwner]);
      for (const [i, device] of [onOwner, offOwner].entries()) {
        // The owner's write of the command is refused (a newer claim, fenced): it drops the session.
        await stealLease(user, 80);
        const commandId = `dropped-device-${process.pid}-${i}`;
        const volumePercent = 71 + i;
        const released = await device.command({ type: 'command.volume', deviceId: device.id, volumePercent, commandId }, 10_000);
        // Answered because the session stopped, not because the deadline passed (its message would say "no outcome within").
        expect(released).toMatchObject({ ok: false, code: 'COMMAND_TIMEOUT', message: SESSION_MOVED });
        const again = await device.command({ type: 'command.volume', deviceId: device.id, volumePercent, commandId }, 10_000);
        expect(again).toMatchObject({ ok: true });
        await device.waitFor(() => device.cluster?.devices.find((d) => d.id === device.id)?.volume === volumePercent, 5000, 'volume applied');
      }
    });
  });
}
