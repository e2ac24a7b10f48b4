import type { Cluster, ClusterUpdate, DeviceInfo, Track } from '@handoff/protocol';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { SessionHarness } from '../testing/session-harness.ts';
import { ClusterText } from './cluster-text.ts';
import { toCluster } from './context.ts';

const CAPS = { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track' as const], controllable: true };
const track = (n: number): Track => ({ uri: `t:${n}`, name: `song "${n}"`, artists: [`a${n}`], album: 'b', durationMs: 1000 + n, mediaType: 'audio/track' });
const device = (id: string, volume = 50): DeviceInfo => ({ id, name: id, kind: 'speaker', capabilities: CAPS, online: true, volume, lastSeenAt: 5 });

const first: Cluster = {
  userId: 'alice',
  revision: 1,
  activeDeviceId: null,
  devices: [device('d0'), device('d1'), device('d2')],
  playback: { contextUri: null, track: null, position: { positionMs: 0, atServerTime: 0, rate: 0 }, shuffle: false, repeat: 'off', upNext: [] },
  groups: [],
};

/** One change from one push to the next, the way the context changes: what is untouched is shared. */
const edit = fc.oneof(
  fc.record({ kind: fc.constant('volume' as const), at: fc.nat(3), volume: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ kind: fc.constant('same-copy' as const), at: fc.nat(3) }),
  fc.record({ kind: fc.constant('key-order' as const), at: fc.nat(3) }),
  fc.record({ kind: fc.constant('name' as const), at: fc.nat(3), name: fc.string({ maxLength: 6 }) }),
  fc.record({ kind: fc.constant('add' as const), id: fc.constantFrom('d3', 'd4', 'd"5') }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat(3) }),
  fc.record({ kind: fc.constant('reverse' as const) }),
  fc.record({ kind: fc.constant('play' as const), n: fc.nat(4), next: fc.nat(3) }),
  fc.record({ kind: fc.constant('upNext-copy' as const) }),
  fc.record({ kind: fc.constant('queue' as const), n: fc.nat(4) }),
  fc.record({ kind: fc.constant('groups' as const), ids: fc.option(fc.subarray(['d0', 'd1', 'd2']), { nil: undefined }) }),
  fc.record({ kind: fc.constant('active' as const), id: fc.constantFrom(null, 'd0', 'd1') }),
);
type Edit = typeof edit extends fc.Arbitrary<infer E> ? E : never;

function apply(c: Cluster, e: Edit): Cluster {
  const next = { ...c, revision: c.revision + 1 };
  const at = (i: number) => i % Math.max(1, c.devices.length);
  const replace = (i: number, d: DeviceInfo) => c.devices.map((x, j) => (j === at(i) ? d : x));
  const target = c.devices[at('at' in e ? e.at : 0)];
  switch (e.kind) {
    case 'volume':
      return target ? { ...next, devices: replace(e.at, { ...target, volume: e.volume }) } : next;
    case 'same-copy':
      return target ? { ...next, devices: replace(e.at, { ...target, capabilities: { ...target.capabilities } }) } : next;
    case 'key-order': {
      if (!target) return next;
      const { id, ...rest } = target;
      return { ...next, devices: replace(e.at, { ...rest, id }) };
    }
    case 'name':
      return target ? { ...next, devices: replace(e.at, { ...target, name: e.name }) } : next;
    case 'add':
      return c.devices.some((d) => d.id === e.id) ? next : { ...next, devices: [...c.devices, device(e.id)] };
    case 'remove':
      return { ...next, devices: c.devices.filter((_, j) => j !== at(e.at)) };
    case 'reverse':
      return { ...next, devices: [...c.devices].reverse() };
    case 'play':
      return { ...next, playback: { ...c.playback, track: track(e.n), upNext: Array.from({ length: e.next }, (_, i) => track(e.n + i + 1)) } };
    case 'queue':
      return { ...next, playback: { ...c.playback, upNext: [track(e.n), track(e.n + 1)] } };
    case 'upNext-copy':
      return { ...next, playback: { ...c.playback, upNext: c.playback.upNext.map((t) => ({ ...t })) } };
    case 'groups': {
      if (e.ids === undefined) {
        const { groups: _gone, ...rest } = next;
        return rest;
      }
      return { ...next, groups: [{ id: 'g', name: 'G', deviceIds: e.ids, playingIds: e.ids.slice(0, 1) }] };
    }
    case 'active':
      return { ...next, activeDeviceId: e.id };
  }
}

describe('ClusterText', () => {
  test('every push it encodes is byte for byte JSON.stringify of the message, whatever changed since the last', () => {
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 30 }), fc.string({ maxLength: 8 }), (edits, reason) => {
        const text = new ClusterText();
        let cluster = first;
        const check = () => {
          const message: ClusterUpdate = { type: 'cluster.update', reason, cluster };
          const encoded = text.encode(message);
          expect(encoded.text).toBe(JSON.stringify(message));
          expect(encoded.message).toEqual(message);
          expect(JSON.stringify(encoded.message)).toBe(encoded.text);
        };
        check();
        for (const e of edits) {
          cluster = apply(cluster, e);
          check();
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a device that did not change since the last push is handed back as the last push\'s object; a changed one is not', () => {
    const text = new ClusterText();
    const one = text.encode({ type: 'cluster.update', reason: 'r', cluster: first }).message.cluster;
    const copies = first.devices.map((d) => ({ ...d }));
    copies[1] = { ...copies[1]!, volume: 7 };
    const two = text.encode({ type: 'cluster.update', reason: 'r', cluster: { ...first, revision: 2, devices: copies, playback: { ...first.playback } } }).message.cluster;
    expect(two.devices[0]).toBe(one.devices[0]);
    expect(two.devices[2]).toBe(one.devices[2]);
    expect(two.devices[1]).not.toBe(one.devices[1]);
    expect(two.devices[1]!.volume).toBe(7);
    expect(two.playback).toBe(one.playback);
    expect(two.revision).toBe(2);
    const three = text.encode({ type: 'cluster.update', reason: 'r', cluster: { ...first, revision: 3, devices: two.devices.map((d) => ({ ...d })) } }).message.cluster;
    expect(three.devices).toBe(two.devices);
  });

  test("a session's pushes carry its cluster as toCluster gives it, after every volume change", () => {
    const h = new SessionHarness();
    for (const id of ['d0', 'd1', 'd2']) h.join(id);
    const texts: string[] = [];
    h.session.link('watcher', { send: (text) => void texts.push(text), leadMs: () => 0, close: () => {} });
    for (let i = 0; i < 6; i++) {
      h.command('d0', { type: 'command.volume', deviceId: `d${i % 3}`, volumePercent: 10 + i });
      const message: ClusterUpdate = { type: 'cluster.update', reason: 'command.volume', cluster: toCluster(h.session.context) };
      expect(texts.at(-1)).toBe(JSON.stringify(message));
    }
    const last = JSON.parse(texts.at(-1)!) as ClusterUpdate;
    expect(last.cluster.devices.map((d) => [d.id, d.volume])).toEqual([
      ['d0', 13],
      ['d1', 14],
      ['d2', 15],
    ]);
  });
});
