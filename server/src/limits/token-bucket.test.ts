import { describe, expect, test } from 'vitest';
import { TokenBucket } from './token-bucket.ts';

describe('TokenBucket', () => {
  test('allows a burst, then the steady rate', () => {
    const bucket = new TokenBucket(10, 5, 0);
    expect([1, 2, 3, 4, 5, 6].map(() => bucket.take(0))).toEqual([true, true, true, true, true, false]);
    expect(bucket.take(50)).toBe(false);
    expect(bucket.take(100)).toBe(true);
    expect(bucket.take(100)).toBe(false);
  });

  test('never holds more than its burst, however long it rested', () => {
    const bucket = new TokenBucket(10, 2, 0);
    expect([1, 2, 3].map(() => bucket.take(1_000_000))).toEqual([true, true, false]);
  });
});
