import { describe, expect, test } from 'vitest';
import { createSessionMachine } from '../../server/src/session/session-machine.ts';
import { DEFAULT_SESSION_SETTINGS } from '../../server/src/session/settings.ts';
import { readChart } from '../../viewer/src/model/machine.ts';

describe('the statechart the viewer draws', () => {
  test('reads the hub’s own session machine: its states and the transfer’s way through them', () => {
    const def = JSON.parse(JSON.stringify(createSessionMachine(DEFAULT_SESSION_SETTINGS).toJSON())) as unknown;
    const chart = readChart(def);
    expect(chart.states).toEqual(expect.arrayContaining(['idle', 'preparing', 'switching']));
    expect(chart.initial).toBe('idle');
    const has = (from: string, event: string, to: string) => chart.edges.some((e) => e.from === from && e.event === event && e.to === to);
    expect(has('idle', 'command', 'preparing')).toBe(true);
    expect(has('preparing', 'transfer.ready', 'switching')).toBe(true);
    expect(has('switching', 'transfer.started', 'idle')).toBe(true);
    expect(has('preparing', 'timer.prepare', 'idle')).toBe(true);
    expect(() => readChart({ nope: 1 })).toThrow(/not a machine definition/);
  });
});
