import { describe, expect, test } from 'vitest';
import { TraceLog } from './trace-log.ts';

describe('TraceLog', () => {
  test('holds each event as its text: a payload changed after recording leaves the trace as it was', () => {
    const log = new TraceLog(() => 1000);
    const payload = { type: 'cluster.update', cluster: { revision: 1 } };
    log.record('u', { kind: 'message.out', type: 'cluster.update', recipients: ['a', 'b'], payload });
    payload.cluster.revision = 99;
    expect(log.read('u')).toEqual([{ seq: 1, ts: 1000, userId: 'u', kind: 'message.out', type: 'cluster.update', recipients: ['a', 'b'], payload: { type: 'cluster.update', cluster: { revision: 1 } } }]);
    expect(log.readTexts('u')).toEqual([JSON.stringify(log.read('u')[0])]);
  });

  test('a payload given already serialized is held as that text and reads back as if serialized whole', () => {
    const log = new TraceLog(() => 5);
    const message = { type: 'command.result', commandId: 'c1', ok: true, revision: 3 };
    log.record('u', { kind: 'message.out', type: 'command.result', deviceId: 'a', payload: message, payloadJson: JSON.stringify(message) });
    log.record('u', { kind: 'message.out', type: 'command.result', deviceId: 'a', payload: message });
    const [given, whole] = log.read('u');
    expect(given).toEqual({ ...whole, seq: 1 });
    expect(given).not.toHaveProperty('payloadJson');
  });

  test('the byte budget counts the held text: the oldest events go once the texts pass it', () => {
    const log = new TraceLog(() => 0, { maxEventsPerUser: 1000, maxAgeMs: 60_000, maxBytes: 1000 });
    for (let i = 0; i < 50; i++) log.record('u', { kind: 'message.in', type: 'command.volume', payload: { pad: 'x'.repeat(80) } });
    const held = log.readTexts('u');
    expect(held.reduce((n, t) => n + t.length, 0)).toBeLessThanOrEqual(1000);
    expect(held.length).toBeGreaterThan(0);
    // What is held is the newest, with consecutive seqs ending at the last one recorded.
    expect(log.read('u').map((e) => e.seq)).toEqual(Array.from({ length: held.length }, (_, i) => 50 - held.length + 1 + i));
    expect(log.firstSeq('u')).toBe(50 - held.length + 1);
  });
});
