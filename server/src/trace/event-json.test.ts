import type { TraceEvent } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { traceEventJson, traceEventsJson } from './event-json.ts';

const push = { type: 'cluster.update', reason: 'command.volume', cluster: { revision: 4, devices: [{ id: 'd1', volume: 41 }] } };
const event = (seq: number, extra: Partial<TraceEvent> = {}): TraceEvent => ({
  seq,
  ts: 1000.5,
  userId: 'alice',
  kind: 'message.out',
  type: 'cluster.update',
  ...extra,
});

describe('trace event JSON', () => {
  test('reads back as the event itself, with or without a payload of any kind', () => {
    for (const e of [
      event(1, { deviceId: 'd1', payload: push, correlationId: 'c1', parentSeq: 0 }),
      event(2),
      event(3, { payload: 'text' }),
      event(4, { payload: null }),
      event(5, { payload: [1, 2] }),
    ]) {
      expect(JSON.parse(traceEventJson(e))).toEqual(e);
    }
  });

  test('a frame of events is the same JSON as the message serialized whole', () => {
    const events = [event(1, { deviceId: 'd0', payload: push }), event(2, { deviceId: 'd1', payload: push }), event(3)];
    expect(JSON.parse(traceEventsJson(events))).toEqual({ type: 'trace.events', events });
    expect(JSON.parse(traceEventsJson([]))).toEqual({ type: 'trace.events', events: [] });
  });
});
