import type { DeviceMessage } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { SessionHarness } from '../../server/src/testing/session-harness.ts';
import { TraceStore } from '../../viewer/src/model/store.ts';
import { ms } from '../../viewer/src/model/summary.ts';
import { durationOf, outcomeText, phasesOf, type Transfer } from '../../viewer/src/model/transfers.ts';

/**
 * The viewer's reading of the hub's own trace for every way a transfer ends: the real session
 * machine on a simulated clock, with the device messages recorded as the device connection
 * records them, then loaded into the viewer's store.
 */
function household() {
  const h = new SessionHarness();
  const links = { phone: h.join('phone', { kind: 'phone' }), speaker: h.join('speaker'), tv: h.join('tv', { kind: 'tv' }) };
  h.command('phone', { type: 'command.transfer', deviceId: 'phone' });
  h.command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' });
  h.advance(10_000);
  /** A device's frame, traced as `message.in` (as device-connection.ts does) and fed to the session. */
  const from = (deviceId: string, message: Extract<DeviceMessage, { transferId: string }>) => {
    const parentSeq = h.session.traceEvent('message.in', message.type, { deviceId, payload: message, correlationId: message.transferId });
    if (message.type === 'transfer.ready') h.session.send({ type: 'transfer.ready', deviceId, transferId: message.transferId }, { parentSeq });
    if (message.type === 'transfer.failed') h.session.send({ type: 'transfer.failed', deviceId, transferId: message.transferId, reason: message.reason }, { parentSeq });
    if (message.type === 'transfer.started') h.session.send({ type: 'transfer.started', deviceId, transferId: message.transferId, ...(message.atServerTime !== undefined ? { atServerTime: message.atServerTime } : {}) }, { parentSeq });
  };
  /** A command from the phone, traced as `message.in` first (as device-connection.ts does). */
  let n = 0;
  const command = (deviceId: string) => {
    const commandId = `cmd-t${++n}`;
    const message = { type: 'command.transfer', commandId, deviceId } as const;
    h.session.traceEvent('message.in', message.type, { deviceId: 'phone', payload: message, correlationId: commandId });
    return h.command('phone', message, commandId);
  };
  const transferTo = (target: keyof typeof links) => {
    command(target);
    return links[target].last('transfer.prepare')!.transferId;
  };
  const view = () => {
    const store = new TraceStore();
    store.reset({ kind: 'file', name: 'harness', userId: 'alice' });
    store.append(h.trace.read('alice'));
    return store;
  };
  return { h, links, from, command, transferTo, view };
}

function expectTruthfulPhases(t: Transfer) {
  const phases = phasesOf(t);
  expect(phases.length).toBeGreaterThan(0);
  for (const p of phases) expect(p.ms).toBeGreaterThanOrEqual(0);
  expect(phases.reduce((a, p) => a + p.ms, 0)).toBeCloseTo(durationOf(t), 6);
  return phases;
}

const transferOf = (store: TraceStore, id: string) => store.transfers.byId.get(id)!;

describe('transfer outcomes as the viewer tells them', () => {
  test('committed: prepare, schedule, lead, confirm and commit are non-negative and add up to the duration', () => {
    const { h, links, from, transferTo, view } = household();
    links.speaker.lead = 300;
    const id = transferTo('speaker');
    h.advance(120);
    from('speaker', { type: 'transfer.ready', transferId: id });
    h.advance(305);
    from('speaker', { type: 'transfer.started', transferId: id, atServerTime: h.clock.now() - 2 });
    const t = transferOf(view(), id);
    expect(t.outcome).toBe('committed');
    expect(expectTruthfulPhases(t).map((p) => p.name)).toEqual(['prepare', 'schedule', 'lead', 'confirm', 'commit']);
    expect(outcomeText(t, ms)).toBe(`committed in ${ms(durationOf(t))}`);
  });

  test('TRANSFER_FAILED while preparing: one prepare phase up to the rollback', () => {
    const { h, from, transferTo, view } = household();
    const id = transferTo('speaker');
    h.advance(80);
    from('speaker', { type: 'transfer.failed', transferId: id, reason: 'codec not supported' });
    const t = transferOf(view(), id);
    expect(t).toMatchObject({ outcome: 'rolled-back', code: 'TRANSFER_FAILED' });
    expect(expectTruthfulPhases(t).map((p) => p.name)).toEqual(['prepare']);
    expect(outcomeText(t, ms)).toBe('rolled back at +80 ms in prepare: TRANSFER_FAILED');
  });

  test('TRANSFER_TIMEOUT: a ready that arrives after the rollback is not counted', () => {
    const { h, from, transferTo, view } = household();
    const id = transferTo('speaker');
    h.advance(h.settings.prepareTimeoutMs + 1);
    h.advance(2000);
    from('speaker', { type: 'transfer.ready', transferId: id });
    const t = transferOf(view(), id);
    expect(t).toMatchObject({ outcome: 'rolled-back', code: 'TRANSFER_TIMEOUT', ready: null });
    expect(t.lateSeqs.length).toBeGreaterThan(0);
    const phases = expectTruthfulPhases(t);
    expect(phases.map((p) => p.name)).toEqual(['prepare']);
    expect(durationOf(t)).toBe(h.settings.prepareTimeoutMs + 1);
    expect(outcomeText(t, ms)).toBe('rolled back at +5.00 s in prepare: TRANSFER_TIMEOUT');
  });

  test('SUPERSEDED after 30 ms: the superseded transfer ends at its rollback, a late ready ignored', () => {
    const { h, from, transferTo, view } = household();
    const first = transferTo('speaker');
    h.advance(30);
    const second = transferTo('tv');
    h.advance(187);
    from('speaker', { type: 'transfer.ready', transferId: first });
    const store = view();
    const t = transferOf(store, first);
    expect(t).toMatchObject({ outcome: 'rolled-back', code: 'SUPERSEDED' });
    expect(expectTruthfulPhases(t)).toEqual([expect.objectContaining({ name: 'prepare', ms: 30 })]);
    expect(transferOf(store, second).outcome).toBe('pending');
  });

  test('DEVICE_OFFLINE (the source left) during the lead: the lead counts only up to the rollback, not the planned time', () => {
    const { h, links, from, transferTo, view } = household();
    links.speaker.lead = 1430;
    const id = transferTo('speaker');
    h.advance(100);
    from('speaker', { type: 'transfer.ready', transferId: id });
    h.advance(352);
    h.leave('phone', true);
    const t = transferOf(view(), id);
    expect(t).toMatchObject({ outcome: 'rolled-back', code: 'DEVICE_OFFLINE' });
    const phases = expectTruthfulPhases(t);
    expect(phases.map((p) => p.name)).toEqual(['prepare', 'schedule', 'lead']);
    expect(phases.at(-1)!.ms).toBe(352);
    expect(outcomeText(t, ms)).toBe('rolled back at +452 ms in lead: DEVICE_OFFLINE');
  });

  test('a transfer refused before prepare is listed as refused and is a problem', () => {
    const { command, view } = household();
    const commandId = command('no-such-device');
    const store = view();
    const t = store.transfers.byCommand(commandId)!;
    expect(t).toMatchObject({ outcome: 'refused' });
    expect(t.code).not.toBeNull();
    expect(phasesOf(t)).toEqual([]);
    expect(outcomeText(t, ms)).toBe(`refused before prepare: ${t.code}`);
    expect(store.problems.list.filter((p) => p.kind === 'refused').map((p) => p.correlationId)).toEqual([commandId]);
  });

  test('problems: every rollback, failed result, error and unexpected disconnect, once each, linked to its event', () => {
    const { h, from, command, transferTo, view } = household();
    const failed = transferTo('speaker');
    from('speaker', { type: 'transfer.failed', transferId: failed, reason: 'codec' });
    command('nowhere');
    h.session.traceEvent('error', 'BAD_REQUEST', { deviceId: 'tv', payload: { message: 'volumePercent: too big', ref: 'command.volume' } });
    h.leave('tv');
    const store = view();
    const kinds = store.problems.list.map((p) => p.kind);
    expect(kinds).toEqual(['rolled-back', 'refused', 'error', 'disconnect']);
    for (const p of store.problems.list) expect(store.eventBySeq(p.seq)).toBeDefined();
    // The `error` chip shows them all.
    store.setFilter({ devices: [], kinds: ['error'], type: '', correlationId: '', text: '' });
    const shown = new Set(store.filtered.map((i) => store.events[i]!.seq));
    for (const p of store.problems.list) expect(shown.has(p.seq)).toBe(true);
  });
});
