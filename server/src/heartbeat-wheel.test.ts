import { describe, expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import { HeartbeatWheel } from './heartbeat-wheel.ts';

describe('heartbeat wheel', () => {
  test('visits every member once per period, a slice per tick rather than all at once', () => {
    const clock = new SimulatedClock();
    const visits: Array<{ at: number; member: number }> = [];
    const wheel = new HeartbeatWheel<number>(clock, 1000, (member) => visits.push({ at: clock.now(), member }), 100);
    for (let m = 0; m < 50; m++) wheel.add(m);
    for (let t = 0; t < 10; t++) clock.increment(100);
    const perMember = new Map<number, number>();
    for (const v of visits) perMember.set(v.member, (perMember.get(v.member) ?? 0) + 1);
    expect(perMember.size).toBe(50);
    expect([...perMember.values()].every((n) => n === 1)).toBe(true);
    const perTick = new Map<number, number>();
    for (const v of visits) perTick.set(v.at, (perTick.get(v.at) ?? 0) + 1);
    expect(Math.max(...perTick.values())).toBe(5);
    wheel.stop();
  });

  test('a member removed is not visited again; stop ends the visits', () => {
    const clock = new SimulatedClock();
    const seen = new Set<string>();
    const wheel = new HeartbeatWheel<string>(clock, 200, (m) => seen.add(m), 100);
    wheel.add('a');
    wheel.add('b');
    wheel.delete('a');
    clock.increment(100);
    clock.increment(100);
    expect([...seen]).toEqual(['b']);
    wheel.stop();
    seen.clear();
    for (let t = 0; t < 10; t++) clock.increment(100);
    expect(seen.size).toBe(0);
  });
});
