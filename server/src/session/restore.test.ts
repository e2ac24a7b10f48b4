import { describe, expect, test } from 'vitest';
import { SessionHarness } from '../testing/session-harness.ts';

describe('restore from a persisted snapshot', () => {
  test('every committed change is persisted with its revision', () => {
    const h = new SessionHarness();
    h.join('phone');
    h.join('speaker');
    expect(h.persisted.map((p) => p.revision)).toEqual([1, 2]);
  });

  test('deadlines are re-armed after a restore: a track still ends and the queue moves on', () => {
    const h = new SessionHarness();
    h.join('phone');
    h.command('phone', { type: 'command.transfer', deviceId: 'phone' });
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
    const saved = h.persisted.at(-1)!;
    h.session.stop();

    const restored = new SessionHarness(h.settings, { value: saved.value, context: JSON.parse(JSON.stringify(saved.context)) }, h.clock.now());
    expect(restored.ctx.queue.current?.uri).toBe('demo:track:night-1');
    restored.join('phone');
    restored.advance(42_000);
    expect(restored.ctx.queue.current?.uri).toBe('demo:track:night-2');
  });

  test('a transfer in flight when persisted still times out after a restore, never hangs', () => {
    const h = new SessionHarness();
    h.join('phone');
    h.join('speaker');
    h.command('phone', { type: 'command.transfer', deviceId: 'phone' });
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
    h.command('phone', { type: 'command.transfer', deviceId: 'speaker' });
    const snapshot = { value: h.session.state, context: structuredClone(h.ctx) };
    expect(snapshot.value).toBe('preparing');
    h.session.stop();

    const restored = new SessionHarness(h.settings, snapshot, h.clock.now());
    restored.advance(h.settings.prepareTimeoutMs);
    expect(restored.session.state).toBe('idle');
    expect(restored.ctx.transfer).toBeNull();
    expect(restored.ctx.activeDeviceId).toBe('phone');
  });
});

describe('opening a session', () => {
  test('a session opened with no device (an HTTP command for a user) is stopped after its idle time', () => {
    const h = new SessionHarness();
    h.command('http', { type: 'command.pause' });
    h.advance(h.settings.idleMs);
    expect(h.idled).toBe(1);
  });

  test('after a restore, devices that were connected get a fresh grace period from the moment of restore', () => {
    const h = new SessionHarness();
    h.join('phone');
    h.command('phone', { type: 'command.transfer', deviceId: 'phone' });
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
    const snapshot = { value: h.session.state, context: structuredClone(h.ctx) };
    h.session.stop();

    const restored = new SessionHarness(h.settings, snapshot, h.clock.now() + 60_000);
    expect(restored.ctx.devices['phone']).toMatchObject({ online: true, connId: null });
    restored.advance(h.settings.graceMs - 1);
    restored.join('phone');
    restored.advance(h.settings.graceMs);
    expect(restored.ctx).toMatchObject({ activeDeviceId: 'phone', devices: { phone: { online: true } } });
  });
});
