import { describe, expect, test } from 'vitest';
import { SessionHarness } from '../testing/session-harness.ts';
import { ResultMemory } from './result-memory.ts';

const result = (commandId: string, revision: number) => ({ type: 'command.result' as const, commandId, ok: true as const, revision });

describe('the results a session remembers for retries', () => {
  test('the latest result per id, oldest first, the oldest forgotten past the cap', () => {
    const memory = new ResultMemory([], 3);
    for (const id of ['a', 'b', 'c', 'd']) memory.remember({ commandId: id, result: result(id, 1) });
    memory.remember({ commandId: 'c', result: result('c', 2) });
    expect(memory.get('a')).toBeUndefined();
    expect(memory.entries().map((e) => [e.commandId, e.result.type === 'command.result' && e.result.ok && e.result.revision])).toEqual([
      ['b', 1],
      ['d', 1],
      ['c', 2],
    ]);
  });

  test('past many times the cap it still holds the last ones, each id once', () => {
    const memory = new ResultMemory([], 4);
    for (let i = 0; i < 50; i++) memory.remember({ commandId: `c${i % 7}`, result: result(`c${i % 7}`, i) });
    expect(memory.entries().map((e) => e.commandId)).toEqual(['c4', 'c5', 'c6', 'c0']);
    expect(memory.get('c0')).toEqual(result('c0', 49));
    expect(memory.get('c3')).toBeUndefined();
  });

  test('a command sent again is answered with its first result and not applied twice', () => {
    const h = new SessionHarness();
    h.join('phone');
    h.command('phone', { type: 'command.transfer', deviceId: 'phone' });
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
    const id = h.command('phone', { type: 'command.next' });
    const first = h.result('phone', id);
    const revision = h.ctx.revision;
    const track = h.ctx.queue.current?.uri;
    h.command('phone', { type: 'command.next' }, id);
    expect(h.ctx.revision).toBe(revision);
    expect(h.ctx.queue.current?.uri).toBe(track);
    expect(h.links.get('phone')!.of('command.result').filter((r) => r.commandId === id)).toEqual([first, first]);
  });

  test('the results are persisted with the session and a restored session answers a retry from them', () => {
    const h = new SessionHarness();
    h.join('phone');
    h.command('phone', { type: 'command.transfer', deviceId: 'phone' });
    const id = h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
    const saved = JSON.parse(JSON.stringify(h.persisted.at(-1)!)) as (typeof h.persisted)[number];
    expect(saved.results.map((r) => r.commandId)).toContain(id);
    h.session.stop();

    const restored = new SessionHarness(h.settings, saved, h.clock.now());
    restored.join('phone');
    restored.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive', positionMs: 9000 }, id);
    expect(restored.result('phone', id)).toEqual(h.result('phone', id));
    expect(restored.ctx.position.positionMs).toBe(0);
  });
});
