import { afterEach, describe, expect, test, vi } from 'vitest';
import { HeartbeatWheel } from './heartbeat-wheel.ts';

describe('heartbeat wheel', () => {
  afterEach(() => void vi.useRealTimers());

  test('visits every member once per period, a slice per tick rather than all at once', () => {
    vi.useFakeTimers();
    const visits: Array<{ at: number; member: number }> = [];
    const wheel = new HeartbeatWheel<number>(1000, (member) => visits.push({ at: Date.now(), member }), 100);
    for (let m = 0; m < 50; m++) wheel.add(m);
    const start = Date.now();
    vi.advanceTimersByTime(1000);
    const perMember = new Map<number, number>();
    for (const v of visits) perMember.set(v.member, (perMember.get(v.member) ?? 0) + 1);
    expect(perMember.size).toBe(50);
    expect([...perMember.values()].every((n) => n === 1)).toBe(true);
    const perTick = new Map<number, number>();
    for (const v of visits) perTick.set(v.at - start, (perTick.get(v.at - start) ?? 0) + 1);
    expect(Math.max(...perTick.values())).toBe(5);
    wheel.stop();
  });

  test('a member removed is not visited again; stop ends the visits', () => {
    vi.useFakeTimers();
    const seen = new Set<string>();
    const wheel = new HeartbeatWheel<string>(200, (m) => seen.add(m), 100);
    wheel.add('a');
    wheel.add('b');
    wheel.delete('a');
    vi.advanceTimersByTime(200);
    expect([...seen]).toEqual(['b']);
    wheel.stop();
    seen.clear();
    vi.advanceTimersByTime(1000);
    expect(seen.size).toBe(0);
  });
});
