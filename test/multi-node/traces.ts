import type { TraceEvent } from '@handoff/protocol';
import { isSampled, type RunningHub } from '@handoff/server';
import { describe, expect, test } from 'vitest';
import { synced } from '../helpers/fleet.ts';
import type { HubProcess } from '../helpers/hub-cluster.ts';
import { openTrace } from '../helpers/trace-client.ts';
import type { ClusterContext } from './context.ts';

/** The share of users the suite's nodes write always (TRACE_SAMPLE_RATE). */
export const SAMPLE_RATE = 0.5;

const run = `${process.pid}-${Date.now().toString(36)}`;
/** A user id of this run that is (or is not) in the sampled share. */
function user(prefix: string, sampled: boolean, from = 0): string {
  for (let i = from; ; i++) if (isSampled(`${prefix}-${run}-${i}`, SAMPLE_RATE) === sampled) return `${prefix}-${run}-${i}`;
}

/** Traces on demand: the owner writes a user's trace to Redis only while it is watched (and a tail after), or sampled. */
export function tracesOnDemand(ctx: () => ClusterContext): void {
  const redis = () => ctx().redis.client();
  const admin = () => ctx().cluster.token('ops', 'admin');
  /** What a node's ring holds of the user (its trace export: read locally, watches nothing). */
  const ring = async (node: HubProcess, userId: string): Promise<TraceEvent[]> => {
    const res = await fetch(`${node.url}/v1/users/${encodeURIComponent(userId)}/trace`, { headers: { authorization: `Bearer ${await admin()}` } });
    expect(res.status).toBe(200);
    return (await res.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as TraceEvent);
  };
  /** The node running the user's session: the only one whose ring holds the user's events while nobody watches. */
  const owner = async (userId: string): Promise<HubProcess> => {
    const nodes = ctx().cluster.nodes.filter((n) => n.running);
    const held = await Promise.all(nodes.map(async (n) => (await ring(n, userId)).length));
    const owners = nodes.filter((_, i) => held[i]! > 0);
    expect(owners).toHaveLength(1);
    return owners[0]!;
  };
  const streamSeqs = async (userId: string) => (await redis().xrange(`trace:{${userId}}`, '-', '+')).map(([id]) => Number(id.split('-')[0]));
  const asHub = (node: HubProcess) => ({ url: node.url }) as RunningHub;

  /** A user with a phone and a speaker that played and changed volume: a few dozen trace events. */
  const active = async (userId: string, at = 0) => {
    const { cluster } = ctx();
    const phone = await cluster.device(userId, at, { kind: 'phone' });
    const speaker = await cluster.device(userId, at, { kind: 'speaker' });
    await synced([phone, speaker]);
    expect(await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
    expect(await phone.command({ type: 'command.volume', deviceId: speaker.id, volumePercent: 33 })).toMatchObject({ ok: true });
    return { phone, speaker };
  };

  describe('traces on demand', () => {
    test('a user nobody watches writes no trace to Redis (its owner keeps it in memory), while a sampled user on the same owner is written in full', async () => {
      const quiet = user('unwatched', false);
      await active(quiet);
      const home = await owner(quiet);
      const held = await ring(home, quiet);
      expect(held.length).toBeGreaterThan(10);
      // A sampled user on the same node, active after: once its stream holds everything its owner
      // recorded, every write the quiet user's events could have caused has reached Redis too (one
      // connection, in order).
      const at = ctx().cluster.nodes.indexOf(home);
      let sampled = '';
      for (let i = 0; i < 12 && !sampled; i++) {
        const candidate = user('sampled', true, i * 1000);
        await active(candidate, at);
        if ((await owner(candidate)) === home) sampled = candidate;
      }
      expect(sampled, 'a sampled user owned by the same node').not.toBe('');
      const recorded = (await ring(home, sampled)).map((e) => e.seq);
      await expect.poll(async () => (await streamSeqs(sampled)).slice(-1)[0], { timeout: 5000 }).toBe(recorded.at(-1));
      expect(await streamSeqs(sampled)).toEqual(recorded);
      expect(await redis().exists(`trace:{${quiet}}`, `tracewatch:{${quiet}}`)).toBe(0);
      expect(await redis().exists(`tracewatch:{${sampled}}`)).toBe(0);
    });

    test('a viewer on a node that does not own the user sees its trace live, and what the owner held from before the viewer came', async () => {
      const watched = user('watched', false);
      const { phone } = await active(watched);
      const home = await owner(watched);
      const before = await ring(home, watched);
      expect(await redis().exists(`trace:{${watched}}`)).toBe(0);
      const viewerNode = ctx().cluster.nodes.find((n) => n !== home)!;
      // Every node's watch channel, and the one all nodes shared before, heard from outside.
      const heard: Array<[string, string]> = [];
      const sub = redis();
      const channels = [...ctx().cluster.nodes.map((n) => `trace-watch:{${n.nodeId}}`), 'trace-watch'];
      sub.on('smessage', (channel: string, message: string) => heard.push([channel, message]));
      await sub.ssubscribe(...channels);
      await using viewer = openTrace(asHub(viewerNode), await ctx().cluster.token(watched, 'viewer'));
      await viewer.hello;
      // The owner learned of the watch and wrote its ring first: the viewer gets the history...
      await viewer.until((events) => events.some((e) => e.seq === before.at(-1)!.seq), 5000);
      // ...then what happens now, live.
      expect(await phone.command({ type: 'command.volume', volumePercent: 44 })).toMatchObject({ ok: true });
      await viewer.until((events) => events.some((e) => e.kind === 'message.in' && e.type === 'command.volume' && e.seq > before.at(-1)!.seq), 5000);
      const seqs = viewer.events.map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
      expect(seqs[0]).toBeLessThanOrEqual(before[0]!.seq);
      expect(await redis().exists(`tracewatch:{${watched}}`)).toBe(1);
      // The watch was announced to the owner alone, on its own channel: one delivery, however many nodes run.
      const announced = heard.filter(([, message]) => message === watched).map(([channel]) => channel);
      sub.disconnect();
      expect(announced.length).toBeGreaterThan(0);
      expect(new Set(announced)).toEqual(new Set([`trace-watch:{${home.nodeId}}`]));
    });

    test('a trace survives a takeover within the tail: the viewer left, the owner is killed (-9), and a new viewer finds the old events and the new owner numbering on after them', async () => {
      const { cluster, allUp } = ctx();
      const traced = user('takeover', false);
      const { phone } = await active(traced);
      const home = await owner(traced);
      const viewerNode = cluster.nodes.find((n) => n !== home)!;
      const token = await cluster.token(traced, 'viewer');
      {
        await using viewer = openTrace(asHub(viewerNode), token);
        await viewer.hello;
        expect(await phone.command({ type: 'command.volume', volumePercent: 51 })).toMatchObject({ ok: true });
        await viewer.until((events) => events.some((e) => e.type === 'command.volume' && e.kind === 'message.in'), 5000);
      }
      // Nobody watches now; within the tail the owner still writes: the stream keeps up with its ring.
      expect(await phone.command({ type: 'command.volume', volumePercent: 52 })).toMatchObject({ ok: true });
      const lastBefore = (await ring(home, traced)).at(-1)!.seq;
      await expect.poll(async () => (await streamSeqs(traced)).at(-1), { timeout: 5000 }).toBe(lastBefore);

      await home.kill();
      // The devices reconnect elsewhere; a command reaches the new owner (retried with its id until one answers).
      const commandId = `after-kill-${run}`;
      let result = null;
      for (let attempt = 0; attempt < 20 && !result?.ok; attempt++) {
        result = await phone.command({ type: 'command.volume', volumePercent: 53, commandId }, 5000).catch(() => null);
      }
      expect(result).toMatchObject({ ok: true });
      const survivor = cluster.nodes.find((n) => n !== home)!;
      await using after = openTrace(asHub(survivor), token);
      await after.until((events) => events.some((e) => e.kind === 'message.in' && e.type === 'command.volume' && e.correlationId === commandId), 10_000);
      const seqs = after.events.map((e) => e.seq);
      // The events from before the kill are there, and the new owner's come after them, in one numbering.
      expect(after.events.some((e) => e.seq === lastBefore)).toBe(true);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(seqs.length);
      const restored = after.events.find((e) => e.kind === 'transition' && e.type === 'restored' && e.seq > lastBefore);
      expect(restored, 'the new owner restored the session and numbered on').toBeTruthy();
      await allUp();
    });
  });
}
