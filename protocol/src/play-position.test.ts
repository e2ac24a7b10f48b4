import { describe, expect, test } from 'vitest';
import { positionAt } from './playback.ts';

describe('positionAt', () => {
  test('moves with time while playing, clamped to the track', () => {
    const line = { positionMs: 1000, atServerTime: 10_000, rate: 1 as const };
    expect(positionAt(line, 12_500)).toBe(3500);
    expect(positionAt(line, 99_999, 5000)).toBe(5000);
  });

  test('stands still while paused, and never runs backwards before the line', () => {
    expect(positionAt({ positionMs: 1000, atServerTime: 10_000, rate: 0 }, 50_000)).toBe(1000);
    expect(positionAt({ positionMs: 1000, atServerTime: 10_000, rate: 1 }, 9000)).toBe(1000);
  });
});
