import { describe, expect, test } from 'vitest';
import { SessionHarness } from '../testing/session-harness.ts';

/** phone plays the night-drive album; speaker and tv are idle. */
function playingOnPhone() {
  const h = new SessionHarness();
  const phone = h.join('phone', { kind: 'phone' });
  const speaker = h.join('speaker');
  const tv = h.join('tv', { kind: 'tv' });
  h.command('phone', { type: 'command.transfer', deviceId: 'phone' });
  h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
  h.advance(10_000);
  return { h, phone, speaker, tv };
}

describe('two-phase transfer', () => {
  test('asks the target to prepare at the derived position, without touching the source', () => {
    const { h, phone, speaker } = playingOnPhone();
    const revision = h.ctx.revision;
    h.command('phone', { type: 'command.transfer', deviceId: 'speaker' });
    expect(h.session.state).toBe('preparing');
    const prepare = speaker.last('transfer.prepare')!;
    expect(prepare.playback.track?.uri).toBe('demo:track:night-1');
    expect(prepare.deadline).toBe(h.clock.now() + h.settings.prepareTimeoutMs);
    expect(phone.of('transfer.switch')).toHaveLength(0);
    expect(h.ctx.revision).toBe(revision);
  });

  test('schedules one switch time for both devices once the target is ready, then commits on start', () => {
    const { h, phone, speaker, tv } = playingOnPhone();
    speaker.lead = 300;
    const id = h.command('phone', { type: 'command.transfer', deviceId: 'speaker' });
    const transferId = speaker.last('transfer.prepare')!.transferId;
    h.advance(120);
    h.event({ type: 'transfer.ready', deviceId: 'speaker', transferId });
    expect(h.session.state).toBe('switching');
    const start = speaker.last('transfer.switch')!;
    const stop = phone.last('transfer.switch')!;
    expect(start.role).toBe('start');
    expect(stop.role).toBe('stop');
    expect(start.atServerTime).toBe(stop.atServerTime);
    expect(start.atServerTime).toBe(h.clock.now() + 300);
    // 10 s played, 120 ms of preparing, 300 ms of lead: the target starts where the source will be.
    expect(start.positionMs).toBeCloseTo(10_420, 5);
    expect(h.result('phone', id)).toBeUndefined();

    h.advance(300);
    h.event({ type: 'transfer.started', deviceId: 'speaker', transferId });
    expect(h.session.state).toBe('idle');
    expect(h.ctx.activeDeviceId).toBe('speaker');
    expect(h.ctx.position).toEqual({ positionMs: start.positionMs, atServerTime: start.atServerTime, rate: 1 });
    expect(h.result('phone', id)).toMatchObject({ ok: true, revision: h.ctx.revision });
    expect(tv.last('cluster.update')?.cluster.activeDeviceId).toBe('speaker');
  });

  test('a paused transfer commits as soon as the target is ready, with no switch', () => {
    const { h, phone, speaker } = playingOnPhone();
    h.command('phone', { type: 'command.pause' });
    const id = h.command('phone', { type: 'command.transfer', deviceId: 'speaker' });
    const transferId = speaker.last('transfer.prepare')!.transferId;
    h.event({ type: 'transfer.ready', deviceId: 'speaker', transferId });
    expect(h.session.state).toBe('idle');
    expect(phone.of('transfer.switch')).toHaveLength(0);
    expect(h.ctx).toMatchObject({ activeDeviceId: 'speaker', position: { rate: 0 } });
    expect(h.result('phone', id)).toMatchObject({ ok: true });
  });

  test('a target that is not ready by the deadline is rolled back with TRANSFER_TIMEOUT; the source never stopped', () => {
    const { h, phone, speaker } = playingOnPhone();
    const id = h.command('phone', { type: 'command.transfer', deviceId: 'speaker' });
    h.advance(h.settings.prepareTimeoutMs + 1);
    expect(h.session.state).toBe('idle');
    expect(h.result('phone', id)).toMatchObject({ ok: false, code: 'TRANSFER_TIMEOUT' });
    expect(speaker.last('transfer.abort')).toMatchObject({ code: 'TRANSFER_TIMEOUT' });
    expect(phone.of('transfer.switch')).toHaveLength(0);
    expect(phone.of('transfer.abort')).toHaveLength(0);
    expect(h.ctx.activeDeviceId).toBe('phone');
  });

  test('a target that fails to load is rolled back with TRANSFER_FAILED and its reason', () => {
    const { h, speaker } = playingOnPhone();
    const id = h.command('phone', { type: 'command.transfer', deviceId: 'speaker' });
    const transferId = speaker.last('transfer.prepare')!.transferId;
    h.event({ type: 'transfer.failed', deviceId: 'speaker', transferId, reason: 'codec' });
    expect(h.result('phone', id)).toMatchObject({ ok: false, code: 'TRANSFER_FAILED', message: expect.stringContaining('codec') });
    expect(h.ctx.activeDeviceId).toBe('phone');
  });

  test('a target that does not confirm the switch is rolled back and the source resumes on its line', () => {
    const { h, phone, speaker } = playingOnPhone();
    const id = h.command('phone', { type: 'command.transfer', deviceId: 'speaker' });
    const transferId = speaker.last('transfer.prepare')!.transferId;
    h.event({ type: 'transfer.ready', deviceId: 'speaker', transferId });
    h.advance(h.settings.minLeadMs + h.settings.switchTimeoutMs + 1);
    expect(h.result('phone', id)).toMatchObject({ ok: false, code: 'TRANSFER_TIMEOUT' });
    expect(phone.last('transfer.abort')?.resumeAt).toEqual(h.ctx.position);
    expect(speaker.last('transfer.abort')).toBeDefined();
    expect(h.ctx.activeDeviceId).toBe('phone');
  });

  test('a target that disconnects while preparing fails the transfer with DEVICE_OFFLINE', () => {
    const { h } = playingOnPhone();
    const id = h.command('phone', { type: 'command.transfer', deviceId: 'speaker' });
    h.leave('speaker');
    expect(h.result('phone', id)).toMatchObject({ ok: false, code: 'DEVICE_OFFLINE' });
    expect(h.session.state).toBe('idle');
  });

  test('a newer transfer supersedes one being prepared', () => {
    const { h, speaker, tv } = playingOnPhone();
    const first = h.command('phone', { type: 'command.transfer', deviceId: 'speaker' });
    const second = h.command('phone', { type: 'command.transfer', deviceId: 'tv' });
    expect(h.result('phone', first)).toMatchObject({ ok: false, code: 'SUPERSEDED' });
    expect(speaker.last('transfer.abort')).toMatchObject({ code: 'SUPERSEDED' });
    const transferId = tv.last('transfer.prepare')!.transferId;
    h.event({ type: 'transfer.ready', deviceId: 'tv', transferId });
    h.advance(h.settings.minLeadMs);
    h.event({ type: 'transfer.started', deviceId: 'tv', transferId });
    expect(h.result('phone', second)).toMatchObject({ ok: true });
    expect(h.ctx.activeDeviceId).toBe('tv');
  });

  test('a late ready from a superseded transfer changes nothing', () => {
    const { h, speaker } = playingOnPhone();
    h.command('phone', { type: 'command.transfer', deviceId: 'speaker' });
    const stale = speaker.last('transfer.prepare')!.transferId;
    h.command('phone', { type: 'command.transfer', deviceId: 'tv' });
    h.event({ type: 'transfer.ready', deviceId: 'speaker', transferId: stale });
    expect(h.session.state).toBe('preparing');
    expect(speaker.of('transfer.switch')).toHaveLength(0);
  });

  test('pausing while a transfer is prepared supersedes it and pauses', () => {
    const { h } = playingOnPhone();
    const id = h.command('phone', { type: 'command.transfer', deviceId: 'speaker' });
    const pause = h.command('tv', { type: 'command.pause' });
    expect(h.result('phone', id)).toMatchObject({ ok: false, code: 'SUPERSEDED' });
    expect(h.result('tv', pause)).toMatchObject({ ok: true });
    expect(h.ctx.position.rate).toBe(0);
  });

  test('commands during the switch wait for it and then apply, in order', () => {
    const { h, speaker } = playingOnPhone();
    h.command('phone', { type: 'command.transfer', deviceId: 'speaker' });
    const transferId = speaker.last('transfer.prepare')!.transferId;
    h.event({ type: 'transfer.ready', deviceId: 'speaker', transferId });
    const volume = h.command('tv', { type: 'command.volume', volumePercent: 12 });
    const pause = h.command('tv', { type: 'command.pause' });
    expect(h.result('tv', volume)).toBeUndefined();
    h.advance(h.settings.minLeadMs);
    h.event({ type: 'transfer.started', deviceId: 'speaker', transferId });
    expect(h.result('tv', volume)).toMatchObject({ ok: true });
    expect(h.result('tv', pause)).toMatchObject({ ok: true });
    expect(h.ctx.devices['speaker']?.volume).toBe(12);
    expect(h.ctx.position.rate).toBe(0);
  });

  test('a retried transfer id in flight is answered once the transfer resolves, and starts nothing new', () => {
    const { h, speaker } = playingOnPhone();
    h.command('phone', { type: 'command.transfer', deviceId: 'speaker' }, 'same');
    h.command('tv', { type: 'command.transfer', deviceId: 'speaker' }, 'same');
    expect(speaker.of('transfer.prepare')).toHaveLength(1);
    const transferId = speaker.last('transfer.prepare')!.transferId;
    h.event({ type: 'transfer.ready', deviceId: 'speaker', transferId });
    h.advance(h.settings.minLeadMs);
    h.event({ type: 'transfer.started', deviceId: 'speaker', transferId });
    expect(h.result('phone', 'same')).toMatchObject({ ok: true });
    expect(h.result('tv', 'same')).toMatchObject({ ok: true });
  });

  test('transfer to the active device is a no-op that starts playback if asked to play', () => {
    const { h } = playingOnPhone();
    h.command('phone', { type: 'command.pause' });
    const id = h.command('tv', { type: 'command.transfer', deviceId: 'phone', play: true });
    expect(h.session.state).toBe('idle');
    expect(h.result('tv', id)).toMatchObject({ ok: true });
    expect(h.ctx).toMatchObject({ activeDeviceId: 'phone', position: { rate: 1 } });
  });

  test.each([
    ['an unknown device', 'nope', 'DEVICE_NOT_FOUND'],
    ['an offline device', 'tv', 'DEVICE_OFFLINE'],
    ['a device that cannot play', 'remote', 'RESTRICTED'],
  ])('transfer to %s is refused with %s', (_what, target, code) => {
    const { h } = playingOnPhone();
    h.join('remote', { caps: { canPlay: false } });
    h.leave('tv', true);
    const id = h.command('phone', { type: 'command.transfer', deviceId: target });
    expect(h.result('phone', id)).toMatchObject({ ok: false, code });
    expect(h.session.state).toBe('idle');
  });

  test('play on another device with new content hands the new content to that device', () => {
    const { h, phone, speaker } = playingOnPhone();
    const id = h.command('http', { type: 'command.play', deviceId: 'speaker', uris: ['demo:track:kitchen-2'] });
    const prepare = speaker.last('transfer.prepare')!;
    expect(prepare.playback.track?.uri).toBe('demo:track:kitchen-2');
    // The source keeps its own content until the switch.
    expect(h.ctx.queue.current?.uri).toBe('demo:track:night-1');
    h.event({ type: 'transfer.ready', deviceId: 'speaker', transferId: prepare.transferId });
    expect(phone.last('transfer.switch')?.positionMs).toBe(0);
    h.advance(h.settings.minLeadMs);
    h.event({ type: 'transfer.started', deviceId: 'speaker', transferId: prepare.transferId });
    expect(h.result('http', id)).toMatchObject({ ok: true });
    expect(h.ctx.queue.current?.uri).toBe('demo:track:kitchen-2');
  });
});

describe('answers about transfers', () => {
  test('a ready for a transfer that is not in progress is answered with BAD_REQUEST and changes nothing', () => {
    const { h, speaker } = playingOnPhone();
    const revision = h.ctx.revision;
    h.event({ type: 'transfer.ready', deviceId: 'speaker', transferId: 'tr-made-up' });
    expect(speaker.last('error')).toMatchObject({ code: 'BAD_REQUEST', ref: 'transfer.ready' });
    expect(h.session.state).toBe('idle');
    expect(h.ctx.revision).toBe(revision);
  });

  test('only the target may answer for a transfer', () => {
    const { h, tv } = playingOnPhone();
    h.command('phone', { type: 'command.transfer', deviceId: 'speaker' });
    const transferId = h.links.get('speaker')!.last('transfer.prepare')!.transferId;
    h.event({ type: 'transfer.ready', deviceId: 'tv', transferId });
    expect(h.session.state).toBe('preparing');
    expect(tv.last('error')).toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('never two devices at once', () => {
  test('a transfer away from a playing device that is reconnecting is refused: it could not be silenced', () => {
    const { h } = playingOnPhone();
    h.leave('phone');
    const id = h.command('tv', { type: 'command.transfer', deviceId: 'speaker' });
    expect(h.result('tv', id)).toMatchObject({ ok: false, code: 'DEVICE_OFFLINE', message: expect.stringContaining('phone') });
    // Once its grace period is over it is offline, paused, and playback can move.
    h.advance(h.settings.graceMs);
    const again = h.command('tv', { type: 'command.transfer', deviceId: 'speaker', play: true });
    expect(h.session.state).toBe('preparing');
    expect(h.result('tv', again)).toBeUndefined();
  });
});

describe('a source that disconnects while the target prepares', () => {
  test('rolls the transfer back rather than start a second device it could not silence', () => {
    const { h, speaker } = playingOnPhone();
    const id = h.command('tv', { type: 'command.transfer', deviceId: 'speaker' });
    const transferId = speaker.last('transfer.prepare')!.transferId;
    h.leave('phone');
    h.event({ type: 'transfer.ready', deviceId: 'speaker', transferId });
    expect(h.result('tv', id)).toMatchObject({ ok: false, code: 'DEVICE_OFFLINE' });
    expect(speaker.of('transfer.switch')).toHaveLength(0);
    expect(speaker.last('transfer.abort')).toBeDefined();
  });
});

describe('a source that disconnects during the switch', () => {
  test('rolls back: a gap is better than two players', () => {
    const { h, speaker } = playingOnPhone();
    const id = h.command('tv', { type: 'command.transfer', deviceId: 'speaker' });
    const transferId = speaker.last('transfer.prepare')!.transferId;
    h.event({ type: 'transfer.ready', deviceId: 'speaker', transferId });
    h.leave('phone');
    expect(h.result('tv', id)).toMatchObject({ ok: false, code: 'DEVICE_OFFLINE' });
    expect(speaker.last('transfer.abort')).toBeDefined();
    expect(h.ctx.activeDeviceId).toBe('phone');
  });
});

describe('a target that disconnects during the switch', () => {
  test('commits: its start fires on its own clock, so resuming the source would play on two devices', () => {
    const { h, phone, speaker } = playingOnPhone();
    const id = h.command('tv', { type: 'command.transfer', deviceId: 'speaker' });
    const transferId = speaker.last('transfer.prepare')!.transferId;
    h.event({ type: 'transfer.ready', deviceId: 'speaker', transferId });
    h.leave('speaker');
    expect(h.result('tv', id)).toMatchObject({ ok: true });
    expect(h.ctx.activeDeviceId).toBe('speaker');
    expect(phone.of('transfer.abort')).toHaveLength(0);
  });
});
