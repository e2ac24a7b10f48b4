import { describe, expect, test } from 'vitest';
import { Density } from '../../viewer/src/model/density.ts';

describe('timeline density bins', () => {
  test('columns count every event in range once, whatever the bin width became', () => {
    const d = new Density();
    const ts: number[] = [];
    for (let i = 0; i < 20_000; i++) ts.push(1000 + i * 3.7);
    for (const t of ts) d.add(t, t % 2 < 1 ? 'hub' : 'dev-a', true);
    expect(d.binMs).toBeGreaterThan(1);
    const t0 = ts[0]!;
    const t1 = ts.at(-1)! + d.binMs;
    const cols = new Uint16Array(500);
    let total = 0;
    for (const lane of ['hub', 'dev-a']) {
      d.columns(lane, t0, t1, 500, cols);
      total += cols.reduce((a, n) => a + n, 0);
    }
    expect(total).toBe(ts.length);
    // Bins stay bounded however long the trace grows.
    expect(d.counts.get('hub')!.length).toBeLessThanOrEqual(2048);
  });
});
