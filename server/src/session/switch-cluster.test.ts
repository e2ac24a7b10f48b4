import { describe, expect, test } from 'vitest';
import { SessionHarness } from '../testing/session-harness.ts';

/** phone plays; a transfer to speaker is scheduled (switching), and the car is a bystander. */
function switching() {
  const h = new SessionHarness();
  const phone = h.join('phone', { kind: 'phone' });
  const speaker = h.join('speaker');
  const car = h.join('car', { kind: 'car' });
  h.command('phone', { type: 'command.transfer', deviceId: 'phone' });
  h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
  h.advance(5_000);
  const id = h.command('phone', { type: 'command.transfer', deviceId: 'speaker' });
  const transferId = speaker.last('transfer.prepare')!.transferId;
  h.event({ type: 'transfer.ready', deviceId: 'speaker', transferId });
  expect(h.session.state).toBe('switching');
  return { h, phone, speaker, car, id, transferId };
}

describe('clusters during a switch', () => {
  test('a change committed during the switch reaches bystanders but not the source or target, whose cluster would contradict the switch', () => {
    const { h, phone, speaker, car } = switching();
    const before = { phone: phone.of('cluster.update').length, speaker: speaker.of('cluster.update').length };
    h.leave('car', true);
    h.join('tv', { kind: 'tv' });
    expect(phone.of('cluster.update')).toHaveLength(before.phone);
    expect(speaker.of('cluster.update')).toHaveLength(before.speaker);
    expect(h.links.get('tv')!.last('hub.welcome')).toBeDefined();
    expect(car.closed).toBeNull();
  });

  test('on commit the source and target get the new cluster, with the target active and every change made meanwhile', () => {
    const { h, phone, speaker, transferId, id } = switching();
    h.join('tv', { kind: 'tv' });
    h.advance(h.settings.minLeadMs);
    h.event({ type: 'transfer.started', deviceId: 'speaker', transferId });
    for (const link of [phone, speaker]) {
      const last = link.last('cluster.update')!.cluster;
      expect(last.activeDeviceId).toBe('speaker');
      expect(last.devices.map((d) => d.id)).toContain('tv');
      expect(last.revision).toBe(h.ctx.revision);
    }
    expect(h.result('phone', id)).toMatchObject({ ok: true });
  });

  test('on rollback the source and target get the cluster they were kept from, at the same revision, after the abort', () => {
    const { h, phone, speaker, id } = switching();
    h.join('tv', { kind: 'tv' });
    const revision = h.ctx.revision;
    h.advance(h.settings.minLeadMs + h.settings.switchTimeoutMs + 1);
    expect(h.result('phone', id)).toMatchObject({ ok: false, code: 'TRANSFER_TIMEOUT' });
    for (const link of [phone, speaker]) {
      const types = link.inbox.map((m) => m.type);
      expect(types.lastIndexOf('cluster.update')).toBeGreaterThan(types.lastIndexOf('transfer.abort'));
      const last = link.last('cluster.update')!.cluster;
      expect(last).toMatchObject({ revision, activeDeviceId: 'phone' });
      expect(last.devices.map((d) => d.id)).toContain('tv');
    }
  });

  test('a switch with no change meanwhile sends no extra cluster on rollback', () => {
    const { h, phone } = switching();
    const before = phone.of('cluster.update').length;
    h.advance(h.settings.minLeadMs + h.settings.switchTimeoutMs + 1);
    expect(phone.of('cluster.update')).toHaveLength(before);
  });
});
