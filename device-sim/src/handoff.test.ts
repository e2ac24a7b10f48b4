import { describe, expect, test } from 'vitest';
import { measureHandoffs } from './handoff.ts';
import { heardAt, type Audible } from './player.ts';

const uri = 'demo:track:night-1';

describe('ground truth with clock drift', () => {
  test('what a listener hears runs at the device clock speed: a device 1000 ppm fast is 10 ms ahead after 10 s', () => {
    const start: Audible = { type: 'start', trueTime: 0, trackUri: uri, positionMs: 5000, rate: 1.001 };
    expect(heardAt(start, 10_000)).toBeCloseTo(15_010, 6);
    expect(heardAt({ ...start, type: 'stop' }, 10_000)).toBeNull();
  });

  test("a switch is measured against where the drifting source's sound really was", () => {
    // The source played 20 s from 0 at 1000 ppm fast: at its stop it was at 20,020 ms.
    const source: Audible[] = [
      { type: 'start', trueTime: 0, trackUri: uri, positionMs: 0, rate: 1.001 },
      { type: 'stop', trueTime: 20_000, trackUri: uri, positionMs: 20_020, rate: 1.001, transferId: 't1' },
    ];
    // The target starts 10 ms later where the source would have been: 20,020 + 10 * 1.001.
    const target: Audible[] = [{ type: 'start', trueTime: 20_010, trackUri: uri, positionMs: 20_030.01, rate: 0.999, transferId: 't1' }];
    const [h] = measureHandoffs([source, target]);
    expect(h!.gapMs).toBe(10);
    expect(h!.positionErrorMs).toBeCloseTo(0, 6);
  });
});
