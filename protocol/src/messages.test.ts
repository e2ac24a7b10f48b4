import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Command } from './commands.ts';
import { ClockPong, clockPongOf, DeviceMessage, HubMessage } from './messages.ts';
import { PROTOCOL_VERSION } from './version.ts';

const hello = {
  type: 'device.hello',
  protocolVersion: PROTOCOL_VERSION,
  device: { id: 'kitchen-1', name: 'Kitchen', kind: 'speaker', capabilities: { canPlay: true, volumeSteps: 64, mediaTypes: ['audio/track'], controllable: true } },
};

describe('device messages', () => {
  test('a valid hello parses', () => {
    expect(DeviceMessage.parse(hello)).toEqual(hello);
  });

  test.each([
    ['a device id with spaces', { ...hello, device: { ...hello.device, id: 'my speaker' } }],
    ['a volume step count below zero', { ...hello, device: { ...hello.device, capabilities: { ...hello.device.capabilities, volumeSteps: -1 } } }],
    ['an unknown device kind', { ...hello, device: { ...hello.device, kind: 'toaster' } }],
    ['a seek to a negative position', { type: 'command.seek', commandId: 'a', positionMs: -1 }],
    ['a volume above 100', { type: 'command.volume', commandId: 'a', volumePercent: 101 }],
    ['a command without an id', { type: 'command.pause' }],
    ['an unknown type', { type: 'command.explode', commandId: 'a' }],
  ])('%s is refused', (_what, message) => {
    expect(DeviceMessage.safeParse(message).success).toBe(false);
  });

  test('the parser never throws, whatever JSON arrives', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(() => DeviceMessage.safeParse(value)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  test('every command the union accepts is also a device message', () => {
    for (const option of Command.options) {
      expect(DeviceMessage.options.map((o) => o.shape.type.value)).toContain(option.shape.type.value);
    }
  });

  test('every message exports to JSON Schema', () => {
    expect(() => z.toJSONSchema(DeviceMessage)).not.toThrow();
    expect(() => z.toJSONSchema(HubMessage)).not.toThrow();
  });
});

describe('clockPongOf, the pong read without zod', () => {
  const pong = { type: 'clock.pong', pingId: 7, t0: 1_700_000_000_000.5, t1: 1_700_000_000_002.25, t2: 1_700_000_000_002.5 };

  test('accepts and refuses exactly what ClockPong.safeParse does', () => {
    const cases: unknown[] = [
      pong,
      { ...pong, extra: 'ignored' },
      { ...pong, pingId: 1.5 },
      { ...pong, pingId: 2 ** 60 },
      { ...pong, pingId: '7' },
      { ...pong, t1: null },
      { ...pong, t2: undefined },
      { ...pong, type: 'clock.ping' },
      { type: 'clock.pong', pingId: 1, t0: 1, t1: 2 },
      null,
      [pong],
      'clock.pong',
    ];
    for (const raw of cases) {
      const parsed = ClockPong.safeParse(raw);
      expect(clockPongOf(raw)).toEqual(parsed.success ? parsed.data : null);
    }
  });

  test('agrees with ClockPong.safeParse on arbitrary objects', () => {
    const field = fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null), fc.boolean());
    fc.assert(
      fc.property(fc.record({ type: fc.constantFrom('clock.pong', 'clock.ping'), pingId: field, t0: field, t1: field, t2: field }, { requiredKeys: ['type'] }), (raw) => {
        const parsed = ClockPong.safeParse(raw);
        expect(clockPongOf(raw)).toEqual(parsed.success ? parsed.data : null);
      }),
    );
  });
});
