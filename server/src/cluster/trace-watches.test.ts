import { describe, expect, test } from 'vitest';
import { isSampled } from './trace-watches.ts';

describe('TRACE_SAMPLE_RATE sampling', () => {
  const ids = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);

  test('picks about the given share of users, none at 0 and all at 1', () => {
    for (const rate of [0.01, 0.25, 0.5]) {
      const share = ids.filter((id) => isSampled(id, rate)).length / ids.length;
      expect(Math.abs(share - rate)).toBeLessThan(0.02);
    }
    expect(ids.filter((id) => isSampled(id, 0))).toEqual([]);
    expect(ids.every((id) => isSampled(id, 1))).toBe(true);
  });

  test('is decided by the user id alone, so every node agrees, and a larger rate keeps every user a smaller one picked', () => {
    const small = ids.filter((id) => isSampled(id, 0.1));
    expect(ids.filter((id) => isSampled(id, 0.1))).toEqual(small);
    expect(small.every((id) => isSampled(id, 0.3))).toBe(true);
  });
});
