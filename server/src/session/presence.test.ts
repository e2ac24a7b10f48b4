import { describe, expect, test } from 'vitest';
import { SessionHarness } from '../testing/session-harness.ts';

describe('presence', () => {
  test('a joining device is welcomed with the cluster and announced to the others', () => {
    const h = new SessionHarness();
    const phone = h.join('phone');
    const speaker = h.join('speaker');
    expect(speaker.last('hub.welcome')?.cluster.devices.map((d) => d.id)).toEqual(['phone', 'speaker']);
    expect(phone.last('cluster.update')).toMatchObject({ reason: 'device.joined', cluster: { revision: h.ctx.revision } });
    expect(speaker.of('cluster.update')).toHaveLength(0);
  });

  test('a device that reconnects within the grace period keeps its active role and nobody is told it left', () => {
    const h = new SessionHarness();
    h.join('phone');
    const speaker = h.join('speaker');
    h.command('phone', { type: 'command.transfer', deviceId: 'phone' });
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
    const seen = speaker.inbox.length;
    h.leave('phone');
    h.advance(h.settings.graceMs - 1);
    h.join('phone');
    h.advance(h.settings.graceMs * 2);
    expect(h.ctx.activeDeviceId).toBe('phone');
    expect(h.ctx.devices['phone']?.online).toBe(true);
    expect(h.ctx.position.rate).toBe(1);
    expect(speaker.inbox.slice(seen).filter((m) => m.type === 'cluster.update')).toHaveLength(0);
  });

  test('the grace period counts from the last frame heard, and playback pauses where the device fell silent', () => {
    const h = new SessionHarness();
    h.join('phone');
    h.join('speaker');
    h.command('phone', { type: 'command.transfer', deviceId: 'phone' });
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
    const { positionMs, atServerTime } = h.ctx.position;
    h.advance(5000);
    // Heard last 3 s ago (its pongs stopped); the close comes only now, as a heartbeat timeout would.
    const lastHeardAt = h.clock.now() - 3000;
    h.leave('phone', false, lastHeardAt);
    h.advance(h.settings.graceMs - 3000 - 1);
    expect(h.ctx.devices['phone']?.online).toBe(true);
    h.advance(1);
    expect(h.ctx.devices['phone']?.online).toBe(false);
    // The device stopped its sound graceMs after it last heard the hub: the line resumes from there, skipping nothing.
    expect(h.ctx.position).toMatchObject({ positionMs: positionMs + (lastHeardAt + h.settings.graceMs - atServerTime), rate: 0 });
  });

  test('a close noticed after the grace period already ran out makes the device offline at once', () => {
    const h = new SessionHarness();
    h.join('phone');
    h.command('phone', { type: 'command.transfer', deviceId: 'phone' });
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
    h.advance(h.settings.graceMs + 5000);
    h.leave('phone', false, h.clock.now() - h.settings.graceMs - 1000);
    h.advance(0);
    expect(h.ctx.devices['phone']?.online).toBe(false);
    expect(h.ctx.position.rate).toBe(0);
  });

  test('a device gone past the grace period is marked offline, loses the active role, and every device is told', () => {
    const h = new SessionHarness();
    h.join('phone');
    const speaker = h.join('speaker');
    h.command('phone', { type: 'command.transfer', deviceId: 'phone' });
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
    h.leave('phone');
    h.advance(h.settings.graceMs);
    const update = speaker.last('cluster.update')!;
    expect(update.reason).toBe('device.offline');
    expect(update.cluster.devices.find((d) => d.id === 'phone')?.online).toBe(false);
    expect(update.cluster.activeDeviceId).toBeNull();
    expect(update.cluster.playback.position.rate).toBe(0);
  });

  test('a goodbye is offline at once, with no grace period', () => {
    const h = new SessionHarness();
    h.join('phone');
    const speaker = h.join('speaker');
    h.leave('phone', true);
    expect(speaker.last('cluster.update')?.cluster.devices.find((d) => d.id === 'phone')?.online).toBe(false);
  });

  test('a close from a replaced connection is ignored', () => {
    const h = new SessionHarness();
    h.join('phone');
    const oldConn = h.ctx.devices['phone']!.connId!;
    h.join('phone');
    h.event({ type: 'device.leave', deviceId: 'phone', connId: oldConn, goodbye: false });
    h.advance(h.settings.graceMs * 2);
    expect(h.ctx.devices['phone']).toMatchObject({ online: true, connId: expect.not.stringMatching(oldConn) });
  });

  test('a session with no device left asks to be stopped after its idle time', () => {
    const h = new SessionHarness();
    h.join('phone');
    h.leave('phone');
    h.advance(h.settings.idleMs - 1);
    expect(h.idled).toBe(0);
    h.advance(1);
    expect(h.idled).toBe(1);
  });

  test('a device coming back cancels the idle stop', () => {
    const h = new SessionHarness();
    h.join('phone');
    h.leave('phone');
    h.join('phone');
    h.advance(h.settings.idleMs * 2);
    expect(h.idled).toBe(0);
  });

  test('after a hub restart the session is rebuilt from the device that reports it is playing', () => {
    const h = new SessionHarness();
    const playback = {
      contextUri: 'demo:album:night-drive',
      track: { uri: 'demo:track:night-2', name: 'Clock Skew', artists: ['The Handoffs'], album: 'Night Drive', durationMs: 38_000, mediaType: 'audio/track' as const },
      position: { positionMs: 5000, atServerTime: h.clock.now() - 1000, rate: 1 as const },
      shuffle: false,
      repeat: 'off' as const,
      upNext: [],
    };
    const idle = h.join('speaker', { resume: { revision: 40, playing: false, playback } });
    expect(h.ctx.activeDeviceId).toBeNull();
    h.join('phone', { resume: { revision: 42, playing: true, playback } });
    expect(h.ctx).toMatchObject({ activeDeviceId: 'phone', position: playback.position, queue: { current: { uri: 'demo:track:night-2' } } });
    // Pushes carry revisions above anything a device saw before the restart.
    expect(idle.last('cluster.update')!.cluster.revision).toBeGreaterThan(42);
  });

  describe('after a hub restart with nothing playing', () => {
    const paused = (h: SessionHarness) => ({
      contextUri: 'demo:album:night-drive',
      track: { uri: 'demo:track:night-2', name: 'Clock Skew', artists: ['The Handoffs'], album: 'Night Drive', durationMs: 38_000, mediaType: 'audio/track' as const },
      position: { positionMs: 7000, atServerTime: h.clock.now() - 60_000, rate: 0 as const },
      shuffle: true,
      repeat: 'context' as const,
      upNext: [],
    });

    test('the device that was active comes back active and paused where it was, with its queue', () => {
      const h = new SessionHarness();
      const playback = paused(h);
      h.join('speaker', { resume: { revision: 12, playing: false, playback, active: true } });
      expect(h.ctx.activeDeviceId).toBe('speaker');
      expect(h.ctx.position).toMatchObject({ positionMs: 7000, rate: 0 });
      expect(h.ctx.queue).toMatchObject({ current: { uri: 'demo:track:night-2' }, shuffle: true, repeat: 'context', contextUri: 'demo:album:night-drive' });
      h.command('speaker', { type: 'command.resume' });
      expect(h.ctx.position.rate).toBe(1);
    });

    test('a paused report of another device fills an empty session with no device active; a playing report still wins', () => {
      const h = new SessionHarness();
      const playback = paused(h);
      h.join('phone', { resume: { revision: 12, playing: false, playback } });
      expect(h.ctx.activeDeviceId).toBeNull();
      expect(h.ctx.queue.current?.uri).toBe('demo:track:night-2');
      const playing = { ...playback, track: { ...playback.track, uri: 'demo:track:night-3' }, position: { positionMs: 100, atServerTime: h.clock.now(), rate: 1 as const } };
      h.join('speaker', { resume: { revision: 13, playing: true, playback: playing } });
      expect(h.ctx).toMatchObject({ activeDeviceId: 'speaker', position: { rate: 1 }, queue: { current: { uri: 'demo:track:night-3' } } });
    });

    test('a device back after its grace period ran out does not take the role back, and the line stays where it paused', () => {
      const h = new SessionHarness();
      h.join('speaker');
      h.command('speaker', { type: 'command.transfer', deviceId: 'speaker' });
      h.command('speaker', { type: 'command.play', contextUri: 'demo:album:night-drive' });
      const cluster = h.links.get('speaker')!.last('cluster.update')!.cluster;
      h.leave('speaker');
      h.advance(h.settings.graceMs + 3000);
      const paused = h.ctx.position;
      h.join('speaker', { resume: { revision: cluster.revision, playing: false, playback: cluster.playback, active: true } });
      expect(h.ctx.activeDeviceId).toBeNull();
      expect(h.ctx.position).toEqual(paused);
    });

    test('the device that was active takes its role back when another device reported the same paused track first', () => {
      const h = new SessionHarness();
      const playback = paused(h);
      h.join('phone', { resume: { revision: 12, playing: false, playback } });
      expect(h.ctx.activeDeviceId).toBeNull();
      h.join('speaker', { resume: { revision: 12, playing: false, playback, active: true } });
      expect(h.ctx).toMatchObject({ activeDeviceId: 'speaker', position: { rate: 0 }, queue: { current: { uri: 'demo:track:night-2' } } });
    });

    test('a paused report of a device that was not active never replaces what is loaded', () => {
      const h = new SessionHarness();
      h.join('phone', { resume: { revision: 3, playing: false, playback: paused(h) } });
      const other = { ...paused(h), track: { ...paused(h).track, uri: 'demo:track:night-1' } };
      h.join('tv', { resume: { revision: 3, playing: false, playback: other } });
      expect(h.ctx.queue.current?.uri).toBe('demo:track:night-2');
    });
  });

});
