import { describe, expect, test } from 'vitest';
import { SessionHarness } from '../testing/session-harness.ts';

function withActivePhone() {
  const h = new SessionHarness();
  const phone = h.join('phone', { kind: 'phone' });
  const speaker = h.join('speaker', { caps: { volumeSteps: 0 } });
  h.command('phone', { type: 'command.transfer', deviceId: 'phone' });
  return { h, phone, speaker };
}

describe('playback commands', () => {
  test('without an active device, playback commands are refused with NO_ACTIVE_DEVICE', () => {
    const h = new SessionHarness();
    h.join('phone');
    const id = h.command('phone', { type: 'command.pause' });
    expect(h.result('phone', id)).toMatchObject({ ok: false, code: 'NO_ACTIVE_DEVICE' });
  });

  test('play, pause, resume and seek move the position line and bump the revision', () => {
    const { h } = withActivePhone();
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive', positionMs: 1000 });
    expect(h.ctx.position).toEqual({ positionMs: 1000, atServerTime: h.clock.now(), rate: 1 });
    h.advance(2000);
    h.command('phone', { type: 'command.pause' });
    expect(h.ctx.position).toEqual({ positionMs: 3000, atServerTime: h.clock.now(), rate: 0 });
    h.advance(5000);
    const before = h.ctx.revision;
    h.command('phone', { type: 'command.seek', positionMs: 20_000 });
    expect(h.ctx.position).toMatchObject({ positionMs: 20_000, rate: 0 });
    h.command('phone', { type: 'command.resume' });
    expect(h.ctx.position).toMatchObject({ positionMs: 20_000, rate: 1 });
    expect(h.ctx.revision).toBe(before + 2);
  });

  test('pausing what is paused succeeds without a new revision', () => {
    const { h } = withActivePhone();
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
    h.command('phone', { type: 'command.pause' });
    const revision = h.ctx.revision;
    const id = h.command('phone', { type: 'command.pause' });
    expect(h.result('phone', id)).toMatchObject({ ok: true, revision });
  });

  test('a duplicate command id is applied once and answered twice with the same result', () => {
    const { h } = withActivePhone();
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
    h.command('phone', { type: 'command.queue', uri: 'demo:track:kitchen-1' }, 'q1');
    const revision = h.ctx.revision;
    h.command('phone', { type: 'command.queue', uri: 'demo:track:kitchen-1' }, 'q1');
    expect(h.ctx.revision).toBe(revision);
    expect(h.ctx.queue.userQueue).toHaveLength(1);
    const answers = h.links.get('phone')!.of('command.result').filter((r) => r.commandId === 'q1');
    expect(answers).toHaveLength(2);
    expect(answers[0]).toEqual(answers[1]);
  });

  test('volume on a device without volume control is refused with RESTRICTED', () => {
    const { h } = withActivePhone();
    const id = h.command('phone', { type: 'command.volume', volumePercent: 40, deviceId: 'speaker' });
    expect(h.result('phone', id)).toMatchObject({ ok: false, code: 'RESTRICTED' });
  });

  test('volume defaults to the active device and reports the value that was set', () => {
    const { h, speaker } = withActivePhone();
    h.command('speaker', { type: 'command.volume', volumePercent: 37 });
    expect(speaker.last('cluster.update')?.cluster.devices.find((d) => d.id === 'phone')?.volume).toBe(37);
  });

  test('commands from another device are refused when the active device is not controllable', () => {
    const h = new SessionHarness();
    h.join('car', { kind: 'car', caps: { controllable: false } });
    h.join('phone');
    h.command('car', { type: 'command.transfer', deviceId: 'car' });
    const id = h.command('phone', { type: 'command.pause' });
    expect(h.result('phone', id)).toMatchObject({ ok: false, code: 'RESTRICTED' });
    const own = h.command('car', { type: 'command.pause' });
    expect(h.result('car', own)).toMatchObject({ ok: true });
  });

  test('a device that cannot play episodes is refused an episode', () => {
    const { h } = withActivePhone();
    const id = h.command('phone', { type: 'command.play', uris: ['show:episode:1'] });
    expect(h.result('phone', id)).toMatchObject({ ok: false, code: 'RESTRICTED' });
  });
});

describe('the queue', () => {
  test('when a track ends the hub moves to the next one and pushes it', () => {
    const { h, speaker } = withActivePhone();
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
    h.advance(42_000);
    expect(h.ctx.queue.current?.uri).toBe('demo:track:night-2');
    expect(h.ctx.position).toMatchObject({ positionMs: 0, rate: 1 });
    expect(speaker.last('cluster.update')?.reason).toBe('track.next');
  });

  test('at the end of the context playback stops at its start', () => {
    const { h } = withActivePhone();
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive', offset: { position: 4 } });
    h.advance(47_000);
    expect(h.ctx.position.rate).toBe(0);
    expect(h.ctx.queue.current?.uri).toBe('demo:track:night-1');
  });

  test('repeat track replays the track; repeat context wraps around', () => {
    const { h } = withActivePhone();
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive', offset: { position: 4 } });
    h.command('phone', { type: 'command.repeat', state: 'track' });
    h.advance(47_000);
    expect(h.ctx.queue.current?.uri).toBe('demo:track:night-5');
    h.command('phone', { type: 'command.repeat', state: 'context' });
    h.advance(47_000);
    expect(h.ctx.queue.current?.uri).toBe('demo:track:night-1');
    expect(h.ctx.position.rate).toBe(1);
  });

  test('queued tracks play before the context continues', () => {
    const { h } = withActivePhone();
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
    h.command('phone', { type: 'command.queue', uri: 'spotify:track:abc' });
    h.command('phone', { type: 'command.next' });
    expect(h.ctx.queue.current).toMatchObject({ uri: 'spotify:track:abc', durationMs: 180_000 });
    h.command('phone', { type: 'command.next' });
    expect(h.ctx.queue.current?.uri).toBe('demo:track:night-2');
  });

  test('with shuffle on, previous returns to the track played before', () => {
    const { h } = withActivePhone();
    h.command('phone', { type: 'command.play', contextUri: 'demo:playlist:everything' });
    h.command('phone', { type: 'command.shuffle', state: true });
    const played = [h.ctx.queue.current!.uri];
    for (let i = 0; i < 4; i++) {
      h.command('phone', { type: 'command.next' });
      played.push(h.ctx.queue.current!.uri);
    }
    expect(new Set(played).size).toBe(5);
    for (let i = 3; i >= 0; i--) {
      h.command('phone', { type: 'command.previous' });
      expect(h.ctx.queue.current?.uri).toBe(played[i]);
    }
  });

  test('previous more than three seconds into a track restarts it', () => {
    const { h } = withActivePhone();
    h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive', offset: { position: 2 } });
    h.advance(5000);
    h.command('phone', { type: 'command.previous' });
    expect(h.ctx.queue.current?.uri).toBe('demo:track:night-3');
    expect(h.ctx.position.positionMs).toBe(0);
  });
});
