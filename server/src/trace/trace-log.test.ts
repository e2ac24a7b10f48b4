import type { Cluster, ClusterUpdate, DeviceInfo } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { TraceLog } from './trace-log.ts';

const info = (id: string, volume: number, name = id): DeviceInfo =>
  ({ id, name, kind: 'speaker', capabilities: { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track'], controllable: true }, online: true, volume, lastSeenAt: 0 });

/** Clusters as the session makes them: each a new object, unchanged parts shared or rebuilt, devices coming and going. */
function clusters(n: number): Cluster[] {
  const out: Cluster[] = [];
  let c: Cluster = {
    userId: 'u',
    revision: 1,
    activeDeviceId: null,
    devices: [info('a', 50)],
    playback: { contextUri: null, track: null, position: { positionMs: 0, atServerTime: 0, rate: 0 }, shuffle: false, repeat: 'off', upNext: [] },
    groups: [],
  };
  for (let i = 0; i < n; i++) {
    const revision = c.revision + 1;
    switch (i % 5) {
      case 0:
        c = { ...c, revision, devices: [...c.devices, info(`d${i}`, i % 100)] };
        break;
      case 1:
        c = { ...c, revision, devices: c.devices.map((d, j) => (j === 0 ? { ...d, volume: i % 100 } : { ...d })) };
        break;
      case 2:
        c = { ...c, revision, activeDeviceId: c.devices[c.devices.length - 1]!.id, playback: { ...c.playback, position: { positionMs: i, atServerTime: i, rate: 1 } } };
        break;
      case 3:
        c = { ...c, revision, devices: c.devices.length > 3 ? c.devices.slice(1) : c.devices };
        break;
      default:
        c = { ...c, revision, groups: i % 2 ? [] : [{ id: 'g', name: 'G', deviceIds: c.devices.map((d) => d.id), playingIds: [] }] };
    }
    out.push(c);
  }
  return out;
}

const push = (cluster: Cluster): ClusterUpdate => ({ type: 'cluster.update', reason: 'command.volume', cluster });

describe('TraceLog', () => {
  test('a push to several devices is one event naming them, and every cluster read back is the one recorded, across evictions', () => {
    let now = 1000;
    const log = new TraceLog(() => now++, { maxEventsPerUser: 40, maxAgeMs: 3_600_000, maxBytes: 1 << 30 });
    const sent = clusters(200);
    sent.forEach((cluster, i) => {
      log.record('u', { kind: 'message.out', type: 'cluster.update', recipients: cluster.devices.map((d) => d.id), payload: push(cluster) });
      if (i % 3 === 0) log.record('u', { kind: 'message.out', type: 'hub.welcome', deviceId: 'a', payload: { type: 'hub.welcome', protocolVersion: 1, deviceId: 'a', serverTime: now, heartbeatMs: 5000, graceMs: 10_000, cluster } });
      log.record('u', { kind: 'command.result', type: 'ok', correlationId: `c${i}`, payload: { type: 'command.result', commandId: `c${i}`, ok: true, revision: cluster.revision } });
      // Reads in batches, as a viewer catching up does, while the ring keeps evicting.
      if (i % 7 === 0) log.read('u', log.firstSeq('u') + 5, 10);
    });
    const held = log.read('u');
    expect(held).toHaveLength(40);
    const pushes = held.filter((e) => e.kind === 'message.out' && e.type === 'cluster.update');
    for (const e of pushes) {
      const cluster = (e.payload as ClusterUpdate).cluster;
      const recorded = sent.find((c) => c.revision === cluster.revision)!;
      expect(cluster).toEqual(JSON.parse(JSON.stringify(recorded)));
      expect(e.recipients).toEqual(recorded.devices.map((d) => d.id));
      expect(e.deviceId).toBeUndefined();
    }
    // A read from the middle, and one from before the oldest, give the same events.
    expect(log.read('u', held[20]!.seq)).toEqual(held.slice(21));
    expect(log.read('u', 0, 5)).toEqual(held.slice(0, 5));
  });

  test('a live listener gets each event as JSON text, the same text a later read gives, with secrets redacted', () => {
    const log = new TraceLog(() => 5);
    const live: Array<[number, string]> = [];
    log.subscribe('u', (seq, text) => live.push([seq, text]));
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const [first, second] = clusters(2).map((c) => ({ ...c, devices: [...c.devices, info('x', 1, `pasted ${jwt}`)] }));
    log.record('u', { kind: 'message.out', type: 'cluster.update', recipients: ['a'], payload: push(first!) });
    log.record('u', { kind: 'message.out', type: 'cluster.update', recipients: ['a'], payload: push(second!) });
    log.record('u', { kind: 'transition', type: 'command', from: 'idle', to: 'transferring.preparing' });
    expect(live.map(([seq]) => seq)).toEqual([1, 2, 3]);
    const { fromSeq, texts } = log.readTexts('u');
    expect(fromSeq).toBe(1);
    expect(texts).toEqual(live.map(([, text]) => text));
    expect(texts.join('')).not.toContain(jwt);
    expect(JSON.parse(texts[1]!)).toMatchObject({ seq: 2, ts: 5, userId: 'u', kind: 'message.out', recipients: ['a'], payload: { cluster: { revision: second!.revision } } });
    expect(JSON.parse(texts[2]!)).toEqual({ seq: 3, ts: 5, userId: 'u', kind: 'transition', type: 'command', from: 'idle', to: 'transferring.preparing' });
  });

  test('the baseline of an evicted push tells each recipient the cluster', () => {
    const log = new TraceLog(() => 0, { maxEventsPerUser: 10, maxAgeMs: 3_600_000, maxBytes: 1 << 30 });
    const [cluster] = clusters(1);
    log.record('u', { kind: 'message.out', type: 'cluster.update', recipients: cluster!.devices.map((d) => d.id), payload: push(cluster!) });
    for (let i = 0; i < 20; i++) log.record('u', { kind: 'timer.armed', type: 'idle', payload: { at: i, inMs: i } });
    const devices = log.baseline('u').devices;
    expect(devices.map((d) => [d.id, d.revision])).toEqual(cluster!.devices.map((d) => [d.id, cluster!.revision]));
  });
});
