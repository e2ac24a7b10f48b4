import { describe, expect, test } from 'vitest';
import { pingFields } from './lean-device.ts';

describe('a lean device echoes a ping in its pong', () => {
  const pong = (ping: string) => JSON.parse(`{"type":"clock.pong",${pingFields(ping)},"t1":5,"t2":6}`) as Record<string, unknown>;

  test('the hub layout is echoed as it came, numbers unchanged', () => {
    const ping = JSON.stringify({ type: 'clock.ping', pingId: 12, t0: 1_764_612_345_678.123 });
    expect(pong(ping)).toEqual({ type: 'clock.pong', pingId: 12, t0: 1_764_612_345_678.123, t1: 5, t2: 6 });
  });

  test('any other layout is parsed, and the pong carries only pingId and t0', () => {
    for (const ping of ['{"type":"clock.ping","t0":3.5,"pingId":4}', '{"type":"clock.ping","pingId":4,"t0":3.5,"x":{"a":1}}', ' {"type":"clock.ping","pingId":4,"t0":3.5}']) {
      expect(pong(ping)).toEqual({ type: 'clock.pong', pingId: 4, t0: 3.5, t1: 5, t2: 6 });
    }
  });
});
