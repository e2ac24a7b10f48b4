import { PROTOCOL_VERSION, type HubMessage } from '@handoff/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { MemoryBroker, MemoryBus } from '../bus/memory-bus.ts';
import { systemClock } from '../clock.ts';
import { Hub } from '../hub.ts';
import { DEFAULT_HUB_SETTINGS } from '../hub-settings.ts';
import { silentLog } from '../log.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { TraceLog } from '../trace/trace-log.ts';
import { PromMetrics } from '../metrics/prom-metrics.ts';
import { MemoryOwnership } from './memory-ownership.ts';
import { Mesh } from './mesh.ts';
import { NOT_OWNER } from './deadlines.ts';
import { DEFAULT_PARTITIONS } from './partitions.ts';
import { ownerOf, partitionOf } from './rendezvous.ts';

/** Nodes in one process over the memory seams (Bus, Ownership, Store), with quick timings. */
function memoryCluster() {
  const broker = new MemoryBroker();
  const ownership = new MemoryOwnership();
  const store = new MemoryStore();
  const hubs: Hub[] = [];
  const meshes = new Map<string, Mesh>();
  const metrics = new Map<string, PromMetrics>();
  const node = async (nodeId: string) => {
    const m = new PromMetrics();
    metrics.set(nodeId, m);
    const hub = new Hub({
      metrics: m,
      clock: systemClock,
      store,
      trace: new TraceLog(() => Date.now()),
      log: silentLog,
      settings: DEFAULT_HUB_SETTINGS,
      placement: (h) => {
        const mesh = new Mesh(h, { nodeId, bus: new MemoryBus(broker), ownership, log: silentLog, leaseTtlMs: 300, livenessMs: 50, nodeGoneAfterMs: 150 });
        meshes.set(nodeId, mesh);
        return mesh;
      },
    });
    await hub.placement.start();
    hubs.push(hub);
    return hub;
  };
  /** Who holds the user's partition now. */
  const holder = (userId: string) => ownership.holder(partitionOf(userId, DEFAULT_PARTITIONS));
  /** Two nodes, and which of them owns the user's partition by rendezvous (`owner`) and which does not (`other`). */
  const pair = async (userId: string) => {
    const [a, b] = [await node('a'), await node('b')];
    const owner = ownerOf(userId, ['a', 'b'], DEFAULT_PARTITIONS) === 'a' ? a : b;
    return { owner, other: owner === a ? b : a, otherId: owner === a ? 'b' : 'a' };
  };
  /** A node's handoff_commands_crossed_nodes_total{via}. */
  const crossed = async (nodeId: string, via: 'http' | 'device') => {
    const text = await metrics.get(nodeId)!.render();
    return Number(new RegExp(`^handoff_commands_crossed_nodes_total\\{via="${via}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  };
  return { node, holder, pair, hubs, crossed, store, meshes };
}

/** A device on `hub` over an in-memory socket, keeping what it is sent. */
async function device(hub: Hub, userId: string, id: string) {
  const inbox: HubMessage[] = [];
  const conn = hub.connectDevice({ send: (t) => inbox.push(JSON.parse(t) as HubMessage), close: () => {}, bufferedAmount: 0 }, { userId, role: 'device' });
  const say = (m: object) => conn.receive(JSON.stringify(m), false);
  say({ type: 'device.hello', protocolVersion: PROTOCOL_VERSION, device: { id, name: id, kind: 'speaker', capabilities: { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track'], controllable: true } } });
  const until = async (check: () => boolean, what: string) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    if (!check()) throw new Error(`${id}: no ${what}`);
  };
  await until(() => inbox.some((m) => m.type === 'hub.welcome'), 'welcome');
  let n = 0;
  return {
    inbox,
    conn,
    /** Send a command and wait for its result. */
    async command(c: object) {
      const commandId = `${id}-${++n}`;
      say({ ...c, commandId });
      await until(() => inbox.some((m) => m.type === 'command.result' && m.commandId === commandId), `result of ${commandId}`);
      return inbox.find((m) => m.type === 'command.result' && m.commandId === commandId)!;
    },
    revision: () => Math.max(0, ...inbox.flatMap((m) => (m.type === 'cluster.update' || m.type === 'hub.welcome' ? [m.cluster.revision] : []))),
  };
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

describe('nodes over the memory Bus and Ownership', () => {
  test("a device on a node that does not own its user's partition is served by the owner, through its own node", async () => {
    const cluster = memoryCluster();
    const { owner: a, other: b } = await cluster.pair('u1');
    cleanup.push(() => a.close(), () => b.close());
    const phone = await device(a, 'u1', 'phone');
    const speaker = await device(b, 'u1', 'speaker');
    expect(await cluster.holder('u1')).toBe(ownerOf('u1', ['a', 'b'], DEFAULT_PARTITIONS));
    expect(await speaker.command({ type: 'command.transfer', deviceId: 'phone', play: false })).toMatchObject({ ok: true });
    const result = await speaker.command({ type: 'command.volume', volumePercent: 30 });
    expect(result).toMatchObject({ ok: true });
    expect(phone.revision()).toBe(result.type === 'command.result' && result.ok ? result.revision : -1);
    expect(b.openSession('u1')).toBeNull();
  });

  test('a command that arrives on a node other than the owner goes straight to the owner and is counted as crossing nodes; one on the owner is not', async () => {
    const cluster = memoryCluster();
    const { owner, other } = await cluster.pair('u4');
    cleanup.push(() => owner.close(), () => other.close());
    const ownerId = cluster.hubs[0] === owner ? 'a' : 'b';
    const otherId = ownerId === 'a' ? 'b' : 'a';
    await device(owner, 'u4', 'phone');
    const speaker = await device(other, 'u4', 'speaker');
    const volume = (commandId: string) => ({ type: 'command.volume', commandId, deviceId: 'phone', volumePercent: 20 }) as const;
    expect(await other.command('u4', volume('http-1'), 'http')).toMatchObject({ ok: true });
    expect(await owner.command('u4', volume('http-2'), 'http')).toMatchObject({ ok: true });
    expect(await speaker.command({ type: 'command.volume', deviceId: 'phone', volumePercent: 25 })).toMatchObject({ ok: true });
    expect(await cluster.crossed(otherId, 'http')).toBe(1);
    expect(await cluster.crossed(otherId, 'device')).toBe(1);
    expect(await cluster.crossed(ownerId, 'http')).toBe(0);
    expect(await cluster.crossed(ownerId, 'device')).toBe(0);
    expect(other.openSession('u4')).toBeNull();
  });

  test("when the owner dies (its partition's lease lapses), the other node takes the partition over and the user's device there goes on", async () => {
    const cluster = memoryCluster();
    const { owner: a, other: b, otherId } = await cluster.pair('u2');
    cleanup.push(() => b.close());
    await device(a, 'u2', 'phone');
    const speaker = await device(b, 'u2', 'speaker');
    const before = await speaker.command({ type: 'command.transfer', deviceId: 'speaker', play: false });
    // The owner vanishes: no drain, no release (its inbox and ticks stop with it).
    await a.placement.close();
    const after = await speaker.command({ type: 'command.volume', volumePercent: 44 });
    expect(after).toMatchObject({ ok: true });
    expect(await cluster.holder('u2')).toBe(otherId);
    expect(b.openSession('u2')?.context.revision).toBeGreaterThan(before.type === 'command.result' && before.ok ? before.revision : Infinity);
  });

  test('a draining node hands its partitions to the other node, and the session goes on there', async () => {
    const cluster = memoryCluster();
    const { owner: a, other: b, otherId } = await cluster.pair('u3');
    cleanup.push(() => b.close());
    await device(a, 'u3', 'phone');
    const speaker = await device(b, 'u3', 'speaker');
    await a.close();
    expect(await speaker.command({ type: 'command.transfer', deviceId: 'speaker', play: false })).toMatchObject({ ok: true });
    expect(await cluster.holder('u3')).toBe(otherId);
  });

  test('taking the session failing on the way (a newer claim on the user, then gone) is tried again within the deadline: the HTTP command gets its real outcome, not an internal error', async () => {
    const cluster = memoryCluster();
    const { owner, other } = await cluster.pair('u5');
    cleanup.push(() => owner.close(), () => other.close());
    const shuffle = (commandId: string) => ({ type: 'command.shuffle', commandId, state: true }) as const;
    // What a user with nothing in the way gets (the same partition's owner, no session open yet).
    const baseline = await other.command('u5-free', shuffle('free-1'), 'http');
    // A newer claim (as if another node had restored the user): the owner's claim is refused until it is gone.
    await cluster.store.load('u5', Number.MAX_SAFE_INTEGER);
    setTimeout(() => void cluster.store.delete('u5'), 200);
    for (const [i, hub] of [other, owner].entries()) {
      const result = await hub.command('u5', shuffle(`claimed-${i}`), 'http');
      expect({ ok: result.ok, code: result.ok ? undefined : result.code }).toEqual({ ok: baseline.ok, code: baseline.ok ? undefined : baseline.code });
    }
  });

  test('a node sent a command for a user whose partition it does not own (the members changed) says so instead of sending it on (no chains of nodes)', async () => {
    const cluster = memoryCluster();
    const { other, otherId } = await cluster.pair('u6');
    cleanup.push(() => Promise.all(cluster.hubs.map((h) => h.close())).then(() => {}));
    const result = await cluster.meshes.get(otherId)!.command('u6', { type: 'command.shuffle', commandId: 'fwd-1', state: true }, 'http', true);
    expect(result).toMatchObject({ ok: false, code: 'UNAVAILABLE', message: NOT_OWNER });
    expect(other.openSession('u6')).toBeNull();
  });
});
