import type { Cluster, TraceEvent, TraceNote } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { EMPTY_FILTER } from '../../viewer/src/model/filter.ts';
import { TraceStore } from '../../viewer/src/model/store.ts';
import { gapOf, phasesOf, startErrorsOf } from '../../viewer/src/model/transfers.ts';
import { parseTraceFile, toNdjson } from '../../viewer/src/net/trace-file.ts';
import { generateTrace } from '../browser/gen-trace.ts';

/** The viewer's model (no DOM): what it derives from a trace, checked without a browser. */
function load(events: TraceEvent[]): TraceStore {
  const store = new TraceStore();
  store.reset({ kind: 'file', name: 'test', userId: 'bench' });
  store.append(events);
  return store;
}

const CAPS = { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track' as const], controllable: true };
let seq = 0;
const at = (ts: number, e: TraceNote): TraceEvent => ({ seq: ++seq, ts, userId: 'u', ...e });
const cluster = (revision: number, activeDeviceId: string | null, rate: 0 | 1): Cluster => ({
  userId: 'u',
  revision,
  activeDeviceId,
  devices: ['a', 'b'].map((id) => ({
    id,
    name: id.toUpperCase(),
    kind: 'speaker' as const,
    capabilities: CAPS,
    online: true,
    volume: 50,
    lastSeenAt: 0,
  })),
  playback: {
    contextUri: null,
    track: { uri: 't', name: 'T', artists: [], album: '', durationMs: 100_000, mediaType: 'audio/track' },
    position: { positionMs: 0, atServerTime: 0, rate },
    shuffle: false,
    repeat: 'off',
    upNext: [],
  },
});
const push = (ts: number, device: string, c: ReturnType<typeof cluster>) =>
  at(ts, {
    kind: 'message.out',
    type: 'cluster.update',
    deviceId: device,
    payload: { type: 'cluster.update', reason: 'x', cluster: c },
  });

describe('viewer model', () => {
  test('a clean household trace: every transfer committed with all phases and a gap, no anomaly', () => {
    const store = load(generateTrace(2000));
    expect(store.events).toHaveLength(2000);
    expect(store.lanes).toHaveLength(5);
    const transfers = store.transfers.order.map((id) => store.transfers.byId.get(id)!);
    expect(transfers.length).toBeGreaterThan(50);
    const done = transfers.filter((t) => t.outcome === 'committed');
    expect(done.length).toBeGreaterThanOrEqual(transfers.length - 1);
    expect(phasesOf(done[0]!).map((p) => p.name)).toEqual(['prepare', 'schedule', 'lead', 'confirm', 'commit']);
    expect(gapOf(done[0]!)).toBeGreaterThanOrEqual(0);
    expect(store.problems.list).toEqual([]);
  });

  test('time travel: right after a switch is sent, the source still plays and the target waits for T', () => {
    const store = load(generateTrace(2000));
    const index = store.events.findIndex(
      (e, i) => i > 200 && e.kind === 'message.out' && e.payload.type === 'transfer.switch' && e.payload.role === 'stop',
    );
    const e = store.events[index]!;
    const w = store.worldAt(index);
    const source = w.devices[e.deviceId!]!;
    expect(source.playing).toBe(true);
    expect(source.role).toBe('source');
    const target = Object.values(w.devices).find((d) => d.role === 'target')!;
    expect(target.playing).toBe(false);
    expect(target.pendingSwitch?.role).toBe('start');
    expect(w.machine).toBe('preparing');
    // Later, once T passed and the commit went out, only the target plays.
    const later = store.worldAt(index + 12);
    expect(
      Object.values(later.devices)
        .filter((d) => d.playing)
        .map((d) => d.id),
    ).toEqual([target.id]);
  });

  test('problems: two devices playing, a transfer without outcome, a stale revision, a silent device', () => {
    seq = 0;
    const events = [
      push(1000, 'a', cluster(3, 'a', 1)),
      // b comes back saying it is still playing while a plays: both sound at once.
      at(1100, {
        kind: 'message.in',
        type: 'device.hello',
        deviceId: 'b',
        payload: {
          type: 'device.hello',
          protocolVersion: 1,
          device: { id: 'b', name: 'B', kind: 'speaker', capabilities: CAPS },
          resume: { revision: 2, playing: true, playback: cluster(2, 'b', 1).playback },
        },
      }),
      push(1200, 'b', cluster(4, 'a', 1)),
      // A transfer whose target never answers, and no rollback comes.
      at(2000, {
        kind: 'transfer.phase',
        type: 'prepare',
        deviceId: 'b',
        correlationId: 'tr-1',
        payload: { commandId: 'c-1', targetId: 'b', sourceId: 'a', play: true },
      }),
      at(2000, { kind: 'timer.armed', type: 'prepare', correlationId: 'c-1', payload: { at: 7000, inMs: 5000 } }),
      // a is sent an older revision than it already has.
      push(3000, 'a', cluster(2, 'a', 1)),
      at(4000, { kind: 'presence', type: 'silent', deviceId: 'b', payload: { silentMs: 7600, heartbeatMs: 5000 } }),
      at(9000, { kind: 'clock', type: 'estimate', deviceId: 'a', payload: { type: 'clock.sync', offsetMs: 1, errorMs: 1, rttMs: 2 } }),
    ];
    const store = load(events);
    expect(store.problems.list.map((a) => [a.kind, a.seq])).toEqual([
      ['double-play', 2],
      ['stale-revision', 6],
      ['silent', 7],
      ['no-outcome', 8],
    ]);
  });

  test('a push traced once with its recipients brings each of them to its revision, and a stale one is flagged for that device', () => {
    const toAll = (ts: number, recipients: string[], c: ReturnType<typeof cluster>) =>
      at(ts, { kind: 'message.out', type: 'cluster.update', recipients, payload: { type: 'cluster.update', reason: 'x', cluster: c } });
    const store = load([toAll(1000, ['a', 'b'], cluster(5, 'a', 1)), toAll(2000, ['b'], cluster(3, 'a', 1))]);
    const w = store.worldAt(0);
    expect([w.devices['a']?.revision, w.devices['b']?.revision]).toEqual([5, 5]);
    expect(w.devices['a']?.playing).toBe(true);
    expect(w.devices['b']?.playing).toBe(false);
    expect(store.lanes).toEqual(expect.arrayContaining(['a', 'b']));
    expect(store.problems.list.map((a) => [a.kind, a.deviceIds])).toEqual([['stale-revision', ['b']]]);
    store.setFilter({ ...EMPTY_FILTER, devices: ['a'] });
    expect(store.filtered).toEqual([0]);
  });

  test('members of one playing group sounding together are not two devices playing; a device outside the group is', () => {
    seq = 0;
    const grouped = { ...cluster(5, 'g', 1), groups: [{ id: 'g', name: 'Both', deviceIds: ['a', 'b'], playingIds: ['a', 'b'] }] };
    const together = load([push(1000, 'a', grouped), push(1000, 'b', grouped)]);
    expect(Object.values(together.world.devices).filter((d) => d.playing).map((d) => d.id)).toEqual(['a', 'b']);
    expect(together.problems.list).toEqual([]);
    seq = 0;
    const apart = { ...grouped, groups: [{ id: 'g', name: 'A only', deviceIds: ['a'], playingIds: ['a'] }] };
    const hello = at(1100, {
      kind: 'message.in',
      type: 'device.hello',
      deviceId: 'b',
      payload: { type: 'device.hello', protocolVersion: 1, device: { id: 'b', name: 'B', kind: 'speaker', capabilities: CAPS }, resume: { revision: 2, playing: true, playback: apart.playback } },
    });
    const store = load([push(1000, 'a', apart), hello]);
    expect(store.problems.list.map((x) => x.kind)).toEqual(['double-play']);
  });

  test("a group transfer shows each member's start error at T", () => {
    seq = 0;
    const store = load([
      at(1000, { kind: 'transfer.phase', type: 'prepare', deviceId: 'g', correlationId: 'tr-g', payload: { commandId: 'c-g', targetId: 'g', sourceId: 'a', play: true } }),
      at(1100, { kind: 'transfer.phase', type: 'switch-scheduled', correlationId: 'tr-g', payload: { atServerTime: 1400, positionMs: 0, leadMs: 300 } }),
      ...['b', 'c'].map((id, i) =>
        at(1410, { kind: 'message.in', type: 'transfer.started', deviceId: id, correlationId: 'tr-g', payload: { type: 'transfer.started', transferId: 'tr-g', atServerTime: 1400 + (i ? -2 : 3) } }),
      ),
    ]);
    expect(startErrorsOf(store.transfers.byId.get('tr-g')!)).toEqual([
      { deviceId: 'b', ms: 3 },
      { deviceId: 'c', ms: -2 },
    ]);
  });

  test('filters: device, kind, type prefix, correlation, text and /regex/', () => {
    const store = load(generateTrace(1000));
    const only = (f: Partial<typeof EMPTY_FILTER>) => {
      store.setFilter({ ...EMPTY_FILTER, ...f });
      return store.filtered.map((i) => store.events[i]!);
    };
    expect(only({ devices: ['dev-car'] }).every((e) => e.deviceId === 'dev-car')).toBe(true);
    expect(only({ devices: ['hub'] }).every((e) => e.deviceId === undefined)).toBe(true);
    expect(only({ kinds: ['transition'] }).every((e) => e.kind === 'transition')).toBe(true);
    expect(only({ type: 'transfer.' }).every((e) => e.type.startsWith('transfer.'))).toBe(true);
    const corr = only({ correlationId: 'tr-bench-3' });
    expect(corr.length).toBeGreaterThan(10);
    expect(corr.every((e) => e.correlationId === 'tr-bench-3')).toBe(true);
    expect(only({ text: 'TR-BENCH-3' }).length).toBeGreaterThan(0);
    expect(only({ text: '/stop at T/' }).every((e) => e.type === 'transfer.switch')).toBe(true);
    expect(only({ text: '/stop at T/' }).length).toBeGreaterThan(0);
    store.setFilter(EMPTY_FILTER);
    expect(store.filtered).toHaveLength(1000);
  });

  test('a trace file round-trips through NDJSON, and gaps filled later are merged in order', () => {
    const events = generateTrace(300);
    const parsed = parseTraceFile(toNdjson(events));
    expect(parsed.events).toEqual(events);
    expect(parseTraceFile(JSON.stringify(events)).events).toHaveLength(300);
    expect(parseTraceFile('{"not":"an event"}\n' + toNdjson(events.slice(0, 2))).skipped).toBe(1);
    const store = load([...events.slice(0, 100), ...events.slice(200)]);
    store.append(events.slice(100, 200));
    expect(store.events.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
  });
});
