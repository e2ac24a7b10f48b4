import { parseViewerMessage, type TraceEvent, type TraceGap, type ViewerMessage } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { HubSocket } from '../socket.ts';
import { TraceLog } from './trace-log.ts';
import { TurnBudget } from '../limits/turn-budget.ts';
import { BATCHES_PER_TURN, TraceStream, type TraceStreamSettings } from './trace-stream.ts';

/** A socket whose queue the test controls: `bufferedAmount` is whatever the test says. */
class FakeSocket implements HubSocket {
  bufferedAmount = 0;
  readonly frames: ViewerMessage[] = [];
  send(text: string): void {
    this.frames.push(parseViewerMessage(text));
  }
  close(): void {}
  get events(): TraceEvent[] {
    return this.frames.flatMap((f) => (f.type === 'trace.events' ? f.events : []));
  }
  get gaps(): TraceGap[] {
    return this.frames.filter((f): f is TraceGap => f.type === 'trace.gap');
  }
}

const SETTINGS: TraceStreamSettings = { flushMs: 16, maxBatch: 100, highWaterBytes: 1000, pollMs: 50, maxPending: 1000 };

function setup(maxEventsPerUser = 10_000) {
  const simulated = new SimulatedClock();
  simulated.set(1_000_000);
  // SimulatedClock does not run a timer armed by the last timer of a flush: step until none is due.
  const clock = Object.assign(simulated, {
    advance(ms: number) {
      simulated.increment(ms);
      for (let i = 0; i < 100; i++) simulated.increment(0);
    },
  });
  const log = new TraceLog(() => clock.now(), { maxEventsPerUser, maxAgeMs: 3_600_000, maxBytes: 1 << 30 });
  const socket = new FakeSocket();
  const record = (n: number) => {
    for (let i = 0; i < n; i++) log.record('u', { kind: 'message.in', type: 'command.volume', payload: { type: 'command.volume', commandId: `c${i}`, volumePercent: 40 } });
  };
  const behind = { count: 0 };
  return {
    clock,
    log,
    socket,
    record,
    behind,
    stream: (since = 0) => new TraceStream(socket, log, clock, 'u', since, SETTINGS, () => behind.count++),
  };
}

describe('TraceStream', () => {
  test('sends the backlog in batches, then live events batched per flush', () => {
    const { clock, socket, record, stream } = setup();
    record(250);
    stream().start(null);
    expect(socket.frames[0]).toMatchObject({ type: 'trace.hello', lastSeq: 250 });
    expect(socket.frames.slice(1).map((f) => (f.type === 'trace.events' ? f.events.length : -1))).toEqual([100, 100, 50]);
    record(3);
    expect(socket.events).toHaveLength(250);
    clock.advance(16);
    expect(socket.frames).toHaveLength(5);
    expect(socket.events.map((e) => e.seq)).toEqual(Array.from({ length: 253 }, (_, i) => i + 1));
  });

  test('a slow viewer holds nothing: it stops being sent to, then reads the ring from where it was, with no gap if nothing was evicted', () => {
    const { clock, log, socket, record, stream, behind } = setup();
    stream().start(null);
    record(10);
    clock.advance(16);
    socket.bufferedAmount = 5000;
    record(500);
    clock.advance(16);
    expect(socket.events).toHaveLength(10);
    expect(log.hasListeners('u')).toBe(false);
    record(500);
    clock.advance(200);
    expect(socket.events).toHaveLength(10);
    socket.bufferedAmount = 0;
    clock.advance(50);
    expect(socket.events.map((e) => e.seq)).toEqual(Array.from({ length: 1010 }, (_, i) => i + 1));
    expect(socket.gaps).toEqual([]);
    expect(log.hasListeners('u')).toBe(true);
    // Counted once per falling behind (for handoff_trace_viewers_behind_total), not per poll while behind.
    expect(behind.count).toBe(1);
  });

  test('a viewer slower than the ring gets a slow-viewer gap for what was evicted, then catches up', () => {
    const { clock, socket, record, stream } = setup(100);
    stream().start(null);
    record(5);
    clock.advance(16);
    socket.bufferedAmount = 5000;
    record(1);
    clock.advance(16);
    record(300);
    clock.advance(100);
    socket.bufferedAmount = 0;
    clock.advance(50);
    expect(socket.gaps).toEqual([{ type: 'trace.gap', fromSeq: 6, toSeq: 206, reason: 'slow-viewer' }]);
    expect(socket.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, ...Array.from({ length: 100 }, (_, i) => i + 207)]);
    record(2);
    clock.advance(16);
    expect(socket.events.at(-1)!.seq).toBe(308);
  });

  test('more live events between flushes than it may hold makes it fall back to the ring, not grow', () => {
    const { clock, socket, record, stream } = setup();
    stream().start(null);
    record(2500);
    expect(socket.events).toHaveLength(0);
    clock.advance(50);
    expect(socket.events.map((e) => e.seq)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
  });

  test('a sinceSeq past the end (the hub restarted) starts from the beginning', () => {
    const { socket, record, stream } = setup();
    record(3);
    stream(99).start(null);
    expect(socket.events.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  test('stop releases the listener and timers', () => {
    const { clock, log, socket, record, stream } = setup();
    const s = stream();
    s.start(null);
    record(1);
    s.stop();
    clock.advance(100);
    expect(log.hasListeners('u')).toBe(false);
    expect(socket.events).toHaveLength(0);
  });
});

describe('TraceStream catch-up shared by one viewer user', () => {
  test("a burst of one user's subscriptions catches up at most BATCHES_PER_TURN batches a turn between them, in later turns, and each gets the whole backlog", async () => {
    const { clock, log, record } = setup();
    record(20 * SETTINGS.maxBatch);
    const turns = new TurnBudget(BATCHES_PER_TURN);
    const share = { take: () => turns.take('mallory'), later: (fn: () => void) => turns.later(fn) };
    const sockets = Array.from({ length: 5 }, () => new FakeSocket());
    const batches = () => sockets.reduce((n, s) => n + s.frames.filter((f) => f.type === 'trace.events').length, 0);
    for (const s of sockets) new TraceStream(s, log, clock, 'u', 0, SETTINGS, () => {}, share).start(null);
    // One turn: one socket's worth between the five, not five sockets' worth.
    expect(batches()).toBe(BATCHES_PER_TURN);
    for (let turn = 2; turn <= 20 && batches() < 5 * 20; turn++) {
      await new Promise((r) => setImmediate(r));
      // A stream that used its own 8 batches goes on after a 0 ms timer (the simulated clock's).
      clock.advance(0);
      expect(batches()).toBeLessThanOrEqual(turn * BATCHES_PER_TURN);
    }
    for (const s of sockets) expect(s.events.map((e) => e.seq)).toEqual(Array.from({ length: 20 * SETTINGS.maxBatch }, (_, i) => i + 1));
  });
});
