import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Command } from './commands.ts';
import { DeviceMessage, HubMessage } from './messages.ts';
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
