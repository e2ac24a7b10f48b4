import type { TraceBaseline, TraceEvent } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { TraceStore } from '../../viewer/src/model/store.ts';
import { generateTrace } from '../browser/gen-trace.ts';

const live = () => {
  const store = new TraceStore();
  store.reset({ kind: 'live', userId: 'bench' });
  return store;
};

const baseline: TraceBaseline = {
  throughSeq: 40,
  machine: 'idle',
  transferId: null,
  devices: [
    { id: 'dev-phone', name: 'Phone', kind: 'phone', connected: true, online: true, active: true, playing: true, volume: 40, revision: 7, offsetMs: 12, errorMs: 0.5, role: null, heartbeatMs: 5000 },
    { id: 'dev-tv', name: 'TV', kind: 'tv', connected: false, online: true, active: false, playing: false, volume: 30, revision: 7, offsetMs: null, errorMs: null, role: null, heartbeatMs: 5000 },
  ],
};

describe('the viewer store', () => {
  test('starts from the hub baseline: devices whose connection events were evicted keep their state', () => {
    const store = live();
    store.hello('boot-a', baseline, null, 0);
    const later = generateTrace(200).filter((e) => e.seq > 40 && e.kind === 'timer.armed');
    store.append(later);
    expect(store.world.devices['dev-phone']).toMatchObject({ connected: true, playing: true, revision: 7, offsetMs: 12 });
    expect(store.world.devices['dev-tv']).toMatchObject({ connected: false, online: true });
    expect(store.worldAt(0).devices['dev-phone']).toMatchObject({ connected: true, playing: true });
    expect(store.lanes).toEqual(['dev-phone', 'dev-tv']);
  });

  test('a new boot id starts a new run: the old seqs are never merged with the new ones', () => {
    const store = live();
    const events = generateTrace(300);
    store.hello('boot-a', { ...baseline, throughSeq: 0, devices: [] }, null, 0);
    store.append(events.slice(0, 79));
    expect(store.hello('boot-a', { ...baseline, throughSeq: 0, devices: [] }, null, 0)).toBe('same');
    expect(store.hello('boot-b', { ...baseline, throughSeq: 0, devices: [] }, null, 5)).toBe('new-run');
    store.append(events.slice(0, 126));
    expect(store.events.map((e) => e.seq)).toEqual(events.slice(0, 126).map((e) => e.seq));
    expect(store.run?.previous).toMatchObject({ bootId: 'boot-a', firstSeq: 1, lastSeq: 79, events: 79 });
  });

  test('past the cap the oldest events are dropped, marked, and time travel still starts from the state they left', () => {
    const store = live();
    store.maxEvents = 1000;
    const events = generateTrace(3000);
    for (let i = 0; i < events.length; i += 100) store.append(events.slice(i, i + 100));
    expect(store.events.length).toBeLessThanOrEqual(1100);
    expect(store.dropped).toMatchObject({ fromSeq: 1 });
    expect(store.dropped!.toSeq + 1).toBe(store.events[0]!.seq);
    expect(store.indexOfSeq.get(store.events[0]!.seq)).toBe(0);
    expect(store.indexOfSeq.get(store.events.at(-1)!.seq)).toBe(store.events.length - 1);
    expect(store.indexOfSeq.get(store.dropped!.toSeq)).toBeUndefined();
    expect(store.eventBySeq(store.events[500]!.seq)).toBe(store.events[500]);
    // The world before the first event held is the one the dropped events left: five devices connected.
    const w = store.worldAt(0);
    expect(Object.values(w.devices).filter((d) => d.connected)).toHaveLength(5);
    expect(store.filtered).toHaveLength(store.events.length);
    expect(store.whyMissing(5)).toMatch(/dropped from this view/);
  });

  test('past the cap, transfers and problems that ended before the oldest event held are dropped with it', () => {
    const capped = live();
    capped.maxEvents = 1000;
    const whole = live();
    // Every 50th event an error sent to a device: a problem each.
    const events = generateTrace(6000).map((e, i): TraceEvent =>
      i % 50 === 25 ? { seq: e.seq, ts: e.ts, userId: e.userId, kind: 'error', type: 'BAD_REQUEST', deviceId: 'dev-phone', payload: { message: `bad frame ${i}` } } : e,
    );
    for (let i = 0; i < events.length; i += 100) {
      capped.append(events.slice(i, i + 100));
      whole.append(events.slice(i, i + 100));
    }
    const oldest = capped.events[0]!.seq;
    expect(whole.transfers.order.length).toBeGreaterThan(capped.transfers.order.length);
    expect(whole.problems.list.length).toBeGreaterThan(capped.problems.list.length);
    for (const id of capped.transfers.order) {
      const t = capped.transfers.byId.get(id)!;
      expect(t.outcome === 'pending' || t.lastSeq >= oldest).toBe(true);
    }
    expect(capped.transfers.byId.size).toBe(capped.transfers.order.length);
    expect(capped.problems.list.every((p) => p.seq >= oldest)).toBe(true);
    expect([...capped.problems.bySeq.keys()].every((seq) => seq >= oldest)).toBe(true);
    // What is kept is what the uncapped view knows of the same events.
    const recent = (s: TraceStore) => s.transfers.order.filter((id) => s.transfers.byId.get(id)!.start >= capped.events[0]!.ts);
    expect(recent(capped)).toEqual(recent(whole));
    expect(capped.problems.list).toEqual(whole.problems.list.filter((p) => p.seq >= oldest));
  });

  test('a file is never capped: every event the user opened is held', () => {
    const store = new TraceStore();
    store.reset({ kind: 'file', name: 'big.ndjson', userId: 'bench' });
    store.maxEvents = 1000;
    store.append(generateTrace(3000));
    expect(store.events).toHaveLength(3000);
    expect(store.dropped).toBeNull();
  });

  test('paused, arriving events are only queued; resuming applies them in order', () => {
    const store = live();
    const events = generateTrace(500);
    store.append(events.slice(0, 100));
    let told = 0;
    store.subscribe(() => told++);
    store.hold();
    const before = { version: store.version, world: store.world, filtered: store.filtered.length };
    store.append(events.slice(100, 300));
    expect(store.events).toHaveLength(100);
    expect(store.filtered).toHaveLength(before.filtered);
    expect(store.version).toBe(before.version);
    expect(told).toBe(0);
    expect(store.lastSeq).toBe(300);
    store.release();
    expect(store.events.map((e) => e.seq)).toEqual(events.slice(0, 300).map((e) => e.seq));
  });

  test('search reads the text shown: /rev [0-9]+/ finds pushes, field terms narrow, a bad regex says so', () => {
    const store = live();
    store.append(generateTrace(800));
    const only = (text: string) => {
      store.setFilter({ devices: [], kinds: [], type: '', correlationId: '', text });
      return store.filtered.map((i) => store.events[i]!);
    };
    const revs = only('/rev [0-9]+/');
    expect(revs.length).toBeGreaterThan(10);
    expect(revs.every((e) => e.kind === 'message.out' || e.kind === 'command.result')).toBe(true);
    expect(only('type:transfer.switch device:car').every((e) => e.type === 'transfer.switch' && e.deviceId === 'dev-car')).toBe(true);
    expect(only('corr:tr-bench-3 type:transfer.').every((e) => e.correlationId?.startsWith('tr-bench-3') && e.type.startsWith('transfer.'))).toBe(true);
    expect(only('code:nope')).toEqual([]);
    expect(only('/rev [0-9+/')).toEqual([]);
    expect(store.filterError).toMatch(/^Not a regular expression/);
    only('rev');
    expect(store.filterError).toBeNull();
  });
});
