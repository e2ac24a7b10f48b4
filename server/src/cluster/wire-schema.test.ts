import { describe, expect, test } from 'vitest';
import { readEnvelope } from './wire-schema.ts';
import { WIRE_VERSION, type Envelope } from './wire.ts';

const envelope = (over: Partial<Envelope> = {}): Envelope => ({
  v: WIRE_VERSION,
  from: 'node-a',
  inc: 'abc123',
  seq: 7,
  ack: { inc: 'def456', seq: 3 },
  items: [
    { t: 'ev', u: 'alice', n: 1, ev: { type: 'device.leave', deviceId: 'phone', connId: 'c1', goodbye: true }, cause: { parentSeq: -1 } },
    { t: 'ev', u: 'alice', n: 2, tr: { kind: 'message.in', type: 'command.volume', extra: { deviceId: 'phone' } } },
    { t: 'out', u: 'alice', c: 'c1', x: '{"type":"cluster.update"}', r: 4 },
    { t: 'cmd', u: 'alice', id: 'node-a:1', command: { type: 'command.volume', commandId: 'v1', volumePercent: 30 }, origin: 'http' },
    { t: 'res', id: 'node-a:1', result: { type: 'command.result', commandId: 'v1', ok: false, code: 'UNAVAILABLE', message: 'x' } },
    { t: 'cluster', id: 'node-a:2', cluster: null },
    { t: 'ping', id: 'node-a:3' },
  ],
  ...over,
});

describe('the node-to-node wire', () => {
  test('an envelope of this version, with every kind of item, reads back as it was sent', () => {
    const sent = envelope();
    expect(readEnvelope(JSON.stringify(sent), WIRE_VERSION)).toEqual({ envelope: sent });
  });

  test('an envelope of another version is refused by its version, before its items are looked at', () => {
    const text = JSON.stringify({ v: WIRE_VERSION + 1, from: 'node-new', items: 'anything' });
    expect(readEnvelope(text, WIRE_VERSION)).toEqual({ error: 'another wire version', version: WIRE_VERSION + 1, from: 'node-new' });
    expect(readEnvelope(JSON.stringify({ from: 'node-old', items: [] }), WIRE_VERSION)).toMatchObject({ error: 'another wire version', from: 'node-old' });
  });

  test('an item of an unknown kind, a command that is not a command, or a text that is not JSON is refused with where it went wrong', () => {
    const unknown = readEnvelope(JSON.stringify({ ...envelope(), items: [{ t: 'teleport', u: 'alice' }] }), WIRE_VERSION);
    expect(unknown).toMatchObject({ from: 'node-a', error: expect.stringContaining('items.0') as string });
    const badCommand = readEnvelope(JSON.stringify({ ...envelope(), items: [{ t: 'cmd', u: 'alice', id: 'x', command: { type: 'command.volume', volumePercent: 900 }, origin: 'http' }] }), WIRE_VERSION);
    expect(badCommand).toMatchObject({ error: expect.stringContaining('items.0.command') as string });
    expect(readEnvelope('{not json', WIRE_VERSION)).toEqual({ error: 'not JSON' });
  });
});
