import type { Command, CommandResult } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { silentLog } from '../log.ts';
import type { SessionEvent } from '../session/events.ts';
import type { TraceEffect } from '../session/context.ts';
import { noopMetrics, type Metrics } from './metrics.ts';
import { sessionMetrics } from './session-metrics.ts';

function setup() {
  let now = 1000;
  const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => {} };
  const seen: Array<[string, ...unknown[]]> = [];
  const metrics: Metrics = {
    ...noopMetrics,
    commandDone: (code, ms) => seen.push(['command', code, ms]),
    transferDone: (code, ms) => seen.push(['transfer', code, ms]),
    switchLateness: (ms, measured) => seen.push(['lateness', ms, measured]),
  };
  const observer = sessionMetrics('alice', clock, metrics, silentLog);
  const command = (commandId: string): SessionEvent => ({ type: 'command', command: { type: 'command.pause', commandId } as Command, replyTo: { kind: 'none' }, origin: 'phone' });
  const ok = (commandId: string): CommandResult => ({ type: 'command.result', commandId, ok: true, revision: 1 });
  const phase = (body: Extract<TraceEffect, { kind: 'transfer.phase' }>) => observer.traced({ type: 'trace', correlationId: 'tr-1', ...body });
  return { observer, seen, command, ok, phase, advance: (ms: number) => (now += ms) };
}

describe('session metrics', () => {
  test('a command answered at once is timed from its arrival', () => {
    const { observer, seen, command, ok, advance } = setup();
    observer.input(command('c1'));
    advance(2);
    observer.replied(ok('c1'));
    expect(seen).toEqual([['command', 'ok', 2]]);
  });

  test('a command answered later (a transfer) is timed from its own arrival, even when others came and went meanwhile', () => {
    const { observer, seen, command, ok, advance } = setup();
    observer.input(command('transfer'));
    advance(10);
    observer.input(command('volume'));
    advance(1);
    observer.replied(ok('volume'));
    advance(100);
    observer.replied(ok('transfer'));
    expect(seen).toEqual([
      ['command', 'ok', 1],
      ['command', 'ok', 111],
    ]);
  });

  test('an answer for a command it never saw arrive is counted without a time', () => {
    const { observer, seen } = setup();
    observer.replied({ type: 'command.result', commandId: 'x', ok: false, code: 'RATE_LIMITED', message: 'slow down' });
    expect(seen).toEqual([['command', 'RATE_LIMITED', undefined]]);
  });

  test('a transfer is timed from prepare to its end, and the target start is compared with the scheduled switch', () => {
    const { observer, seen, phase, advance } = setup();
    phase({ kind: 'transfer.phase', name: 'prepare', payload: { commandId: 'c1', sourceId: 'phone', targetId: 'speaker', play: true } });
    advance(50);
    phase({ kind: 'transfer.phase', name: 'switch-scheduled', payload: { atServerTime: 1120, positionMs: 0, leadMs: 100 } });
    advance(80);
    observer.input({ type: 'transfer.started', deviceId: 'speaker', transferId: 'tr-1', atServerTime: 1123 });
    phase({ kind: 'transfer.phase', name: 'committed', payload: { durationMs: 120, sourceId: 'phone' } });
    expect(seen).toEqual([
      ['lateness', 3, 'reported'],
      ['transfer', 'ok', 130],
    ]);
  });

  test('without a reported start time, lateness is taken from when transfer.started arrived', () => {
    const { observer, seen, phase, advance } = setup();
    phase({ kind: 'transfer.phase', name: 'prepare', payload: { commandId: 'c1', sourceId: 'phone', targetId: 'speaker', play: true } });
    phase({ kind: 'transfer.phase', name: 'switch-scheduled', payload: { atServerTime: 1100, positionMs: 0, leadMs: 100 } });
    advance(105);
    observer.input({ type: 'transfer.started', deviceId: 'speaker', transferId: 'tr-1' });
    phase({ kind: 'transfer.phase', name: 'rolled-back', payload: { code: 'TRANSFER_TIMEOUT', message: 'target did not answer in time' } });
    expect(seen).toEqual([
      ['lateness', 5, 'arrival'],
      ['transfer', 'TRANSFER_TIMEOUT', 105],
    ]);
  });
});
