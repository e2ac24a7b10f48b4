import type { Cluster } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { TraceLog } from './trace-log.ts';

const cluster = (revision: number, activeDeviceId: string, rate: 0 | 1): Cluster => ({
  userId: 'u',
  revision,
  activeDeviceId,
  devices: ['phone', 'speaker'].map((id) => ({ id, name: id.toUpperCase(), kind: 'speaker', capabilities: {}, online: true, volume: 40, lastSeenAt: 0 })) as Cluster['devices'],
  playback: {
    contextUri: null,
    track: { uri: 't', name: 'T', artists: [], album: '', durationMs: 100_000, mediaType: 'audio/track' },
    position: { positionMs: 0, atServerTime: 0, rate },
    shuffle: false,
    repeat: 'off',
    upNext: [],
  },
});

function busyLog(keep: number) {
  let now = 1000;
  const log = new TraceLog(() => now++, { maxEventsPerUser: keep, maxAgeMs: 3_600_000, maxBytes: 1 << 30 });
  const connect = (id: string, rev: number, line: Cluster = cluster(rev, 'phone', 1)) => {
    log.record('u', { kind: 'connection', type: 'opened', deviceId: id, payload: { connId: `${id}-1` } });
    log.record('u', { kind: 'presence', type: 'joined', deviceId: id });
    log.record('u', {
      kind: 'message.out',
      type: 'hub.welcome',
      deviceId: id,
      payload: { type: 'hub.welcome', protocolVersion: 1, deviceId: id, serverTime: now, heartbeatMs: 1000, graceMs: 10_000, cluster: line },
    });
    log.record('u', { kind: 'clock', type: 'estimate', deviceId: id, payload: { type: 'clock.sync', offsetMs: 12.5, errorMs: 0.4, rttMs: 2 } });
  };
  const noise = (n: number) => {
    for (let i = 0; i < n; i++)
      log.record('u', { kind: 'message.in', type: 'command.volume', payload: { type: 'command.volume', commandId: `c${i}`, volumePercent: 40 } });
  };
  return { log, connect, noise };
}

describe('trace baseline', () => {
  test('after the connection events are evicted, the baseline still says who is connected, playing and in sync', () => {
    const { log, connect, noise } = busyLog(50);
    connect('phone', 3);
    connect('speaker', 4);
    noise(200);
    expect(log.firstSeq('u')).toBeGreaterThan(8);
    const b = log.baseline('u');
    expect(b.throughSeq).toBe(log.firstSeq('u') - 1);
    const phone = b.devices.find((d) => d.id === 'phone')!;
    const speaker = b.devices.find((d) => d.id === 'speaker')!;
    expect(phone).toMatchObject({ connected: true, online: true, active: true, playing: true, revision: 3, offsetMs: 12.5, errorMs: 0.4, heartbeatMs: 1000 });
    expect(speaker).toMatchObject({ connected: true, active: false, playing: false, revision: 4 });
  });

  test('members of the playing group are active and playing in the baseline, as the viewer derives them', () => {
    const { log, connect, noise } = busyLog(50);
    const grouped = { ...cluster(5, 'g1', 1), groups: [{ id: 'g1', name: 'Downstairs', deviceIds: ['phone', 'speaker'], playingIds: ['phone', 'speaker'] }] };
    connect('phone', 5, grouped);
    connect('speaker', 5, grouped);
    noise(200);
    for (const d of log.baseline('u').devices) expect(d).toMatchObject({ active: true, playing: true });
  });

  test('a device whose disconnect was evicted is in its grace period in the baseline, not connected', () => {
    const { log, connect, noise } = busyLog(20);
    connect('phone', 3);
    log.record('u', { kind: 'connection', type: 'closed', deviceId: 'phone', payload: { connId: 'phone-1', by: 'device' } });
    log.record('u', { kind: 'presence', type: 'disconnected', deviceId: 'phone' });
    noise(100);
    expect(log.baseline('u').devices.find((d) => d.id === 'phone')).toMatchObject({ connected: false, online: true });
  });

  test('nothing evicted: an empty baseline through seq 0; each log has its own boot id', () => {
    const { log, connect } = busyLog(1000);
    connect('phone', 1);
    expect(log.baseline('u')).toEqual({ throughSeq: 0, machine: 'idle', transferId: null, devices: [] });
    expect(log.bootId).not.toBe(new TraceLog(() => 0).bootId);
  });
});
