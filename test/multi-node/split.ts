import { measureHandoffs, type SimDevice } from '@handoff/device-sim';
import type { RunningHub } from '@handoff/server';
import { describe, expect, test } from 'vitest';
import { synced } from '../helpers/fleet.ts';
import { openTrace } from '../helpers/trace-client.ts';
import type { ClusterContext } from './context.ts';

/** A user's devices on different nodes: everything works as on one node. */
export function splitDevices(ctx: () => ClusterContext): void {
  describe("one user's devices on three nodes", () => {
    test('transfers between devices on different nodes switch cleanly, and every device sees every change', async () => {
      const { cluster } = ctx();
      const phone = await cluster.device('split', 0, { kind: 'phone' });
      const speaker = await cluster.device('split', 1, { kind: 'speaker' });
      const tv = await cluster.device('split', 2, { kind: 'tv' });
      const all: SimDevice[] = [phone, speaker, tv];
      await synced(all);
      expect(await phone.command({ type: 'command.play', deviceId: phone.id, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
      await phone.waitFor(() => phone.player.playing, 3000, 'phone playing');
      for (const [controller, target] of [
        [phone, speaker],
        [tv, tv],
        [speaker, phone],
      ] as const) {
        const result = await controller.command({ type: 'command.transfer', deviceId: target.id });
        expect(result).toMatchObject({ ok: true });
        for (const d of all) await d.waitFor(() => d.revision >= (result.ok ? result.revision : 0), 2000, 'push seen');
        expect(all.filter((d) => d.player.playing)).toEqual([target]);
      }
      const handoffs = measureHandoffs(all.map((d) => d.truth));
      expect(handoffs).toHaveLength(3);
      for (const h of handoffs) {
        expect(Math.abs(h.gapMs)).toBeLessThan(40);
        expect(Math.abs(h.positionErrorMs)).toBeLessThan(40);
      }
    });

    test('an HTTP command on a node with none of the user\'s devices runs on the owner and is answered once committed', async () => {
      const { cluster } = ctx();
      const phone = await cluster.device('http-split', 0, { kind: 'phone' });
      const speaker = await cluster.device('http-split', 1, { kind: 'speaker' });
      const bearer = `Bearer ${await cluster.token('http-split', 'viewer')}`;
      const put = (path: string, body?: unknown) =>
        fetch(`${cluster.nodes[2]!.url}${path}`, {
          method: 'PUT',
          headers: { authorization: bearer, 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
      expect((await put('/v1/me/player', { device_ids: [speaker.id], play: false })).status).toBe(204);
      expect((await put('/v1/me/player/play', { context_uri: 'demo:album:night-drive' })).status).toBe(204);
      await speaker.waitFor(() => speaker.player.playing, 3000, 'speaker playing');
      await phone.waitFor(() => phone.cluster?.activeDeviceId === speaker.id, 2000, 'phone told');
      expect((await put('/v1/me/player/pause')).status).toBe(204);
      await speaker.waitFor(() => !speaker.player.playing, 2000, 'paused');
    });

    test('a viewer on a node with none of the user\'s devices sees their trace live, and resumes by seq', async () => {
      const { cluster } = ctx();
      const phone = await cluster.device('traced', 0, { kind: 'phone' });
      const viewerNode = { url: cluster.nodes[2]!.url } as RunningHub;
      const token = await cluster.token('traced', 'viewer');
      let lastSeq: number;
      {
        await using viewer = openTrace(viewerNode, token);
        await viewer.hello;
        await phone.command({ type: 'command.volume', volumePercent: 30 }, 5000);
        await viewer.until((events) => events.some((e) => e.type === 'command.volume' && e.kind === 'message.in'), 5000);
        const seqs = viewer.events.map((e) => e.seq);
        expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
        lastSeq = seqs.at(-1)!;
      }
      await phone.command({ type: 'command.volume', volumePercent: 40 }, 5000);
      await using again = openTrace(viewerNode, token, { sinceSeq: lastSeq });
      await again.until((events) => events.some((e) => e.type === 'command.volume' && e.kind === 'message.in'), 5000);
      expect(again.events[0]!.seq).toBe(lastSeq + 1);
    });
  });
}
