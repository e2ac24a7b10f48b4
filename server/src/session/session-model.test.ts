import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { SessionHarness } from '../testing/session-harness.ts';

/**
 * Random command sequences against the session, compared step by step with a small reference
 * model of what a user would expect: who is active, whether it plays, each device's volume,
 * shuffle and repeat. Transfers are answered by the target at once (ready, then started).
 */
const DEVICES = ['phone', 'speaker', 'tv', 'remote'] as const;
type Dev = (typeof DEVICES)[number];

interface Model {
  online: Set<Dev>;
  active: Dev | null;
  playing: boolean;
  loaded: boolean;
  volume: Record<Dev, number>;
  shuffle: boolean;
  repeat: 'off' | 'context' | 'track';
}

const dev = fc.constantFrom(...DEVICES);
const action = fc.oneof(
  fc.record({ kind: fc.constant('transfer' as const), from: dev, to: dev, play: fc.option(fc.boolean(), { nil: undefined }) }),
  fc.record({ kind: fc.constant('play' as const), from: dev }),
  fc.record({ kind: fc.constant('pause' as const), from: dev }),
  fc.record({ kind: fc.constant('resume' as const), from: dev }),
  fc.record({ kind: fc.constant('seek' as const), from: dev, to: fc.integer({ min: 0, max: 30_000 }) }),
  fc.record({ kind: fc.constant('next' as const), from: dev }),
  fc.record({ kind: fc.constant('previous' as const), from: dev }),
  fc.record({ kind: fc.constant('volume' as const), from: dev, on: dev, value: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ kind: fc.constant('shuffle' as const), from: dev, on: fc.boolean() }),
  fc.record({ kind: fc.constant('repeat' as const), from: dev, mode: fc.constantFrom('off' as const, 'context' as const, 'track' as const) }),
  fc.record({ kind: fc.constant('leave' as const), who: fc.constantFrom('speaker' as const, 'tv' as const) }),
  fc.record({ kind: fc.constant('join' as const), who: fc.constantFrom('speaker' as const, 'tv' as const) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 20_000 }) }),
);
type Action = typeof action extends fc.Arbitrary<infer A> ? A : never;

function step(h: SessionHarness, m: Model, a: Action): void {
  const can = (from: Dev) => m.online.has(from);
  switch (a.kind) {
    case 'transfer': {
      if (!can(a.from)) return;
      const id = h.command(a.from, { type: 'command.transfer', deviceId: a.to, ...(a.play !== undefined ? { play: a.play } : {}) });
      const prepare = h.links.get(a.to)?.inbox.findLast((x) => x.type === 'transfer.prepare');
      if (h.session.state === 'preparing' && prepare?.type === 'transfer.prepare') {
        h.event({ type: 'transfer.ready', deviceId: a.to, transferId: prepare.transferId });
        h.advance(h.settings.minLeadMs);
        if ((h.session.state as string) === 'switching') h.event({ type: 'transfer.started', deviceId: a.to, transferId: prepare.transferId });
      }
      const ok = m.online.has(a.to) && a.to !== 'remote';
      expect(h.result(a.from, id)?.ok).toBe(ok);
      if (ok) {
        m.active = a.to;
        if (a.play !== undefined && m.loaded) m.playing = a.play;
      }
      return;
    }
    case 'play': {
      if (!can(a.from) || !m.active) return;
      h.command(a.from, { type: 'command.play', contextUri: 'demo:playlist:everything' });
      m.playing = true;
      m.loaded = true;
      return;
    }
    case 'pause':
    case 'resume': {
      if (!can(a.from)) return;
      const id = h.command(a.from, { type: `command.${a.kind}` });
      const ok = m.active !== null && (a.kind === 'pause' || m.loaded);
      expect(h.result(a.from, id)?.ok).toBe(ok);
      if (ok) m.playing = a.kind === 'resume';
      return;
    }
    case 'seek':
    case 'next':
    case 'previous': {
      if (!can(a.from)) return;
      const id = h.command(a.from, a.kind === 'seek' ? { type: 'command.seek', positionMs: a.to } : { type: `command.${a.kind}` });
      expect(h.result(a.from, id)?.ok).toBe(m.active !== null && (a.kind !== 'seek' || m.loaded));
      return;
    }
    case 'volume': {
      if (!can(a.from)) return;
      const id = h.command(a.from, { type: 'command.volume', volumePercent: a.value, deviceId: a.on });
      const ok = m.online.has(a.on) && a.on !== 'remote';
      expect(h.result(a.from, id)?.ok).toBe(ok);
      if (ok) m.volume[a.on] = a.value;
      return;
    }
    case 'shuffle':
    case 'repeat': {
      if (!can(a.from)) return;
      const id = h.command(a.from, a.kind === 'shuffle' ? { type: 'command.shuffle', state: a.on } : { type: 'command.repeat', state: a.mode });
      expect(h.result(a.from, id)?.ok).toBe(m.active !== null);
      if (m.active && a.kind === 'shuffle') m.shuffle = a.on;
      if (m.active && a.kind === 'repeat') m.repeat = a.mode;
      return;
    }
    case 'leave':
      if (!m.online.has(a.who)) return;
      h.leave(a.who, true);
      m.online.delete(a.who);
      if (m.active === a.who) {
        m.active = null;
        m.playing = false;
      }
      return;
    case 'join':
      if (m.online.has(a.who)) return;
      h.join(a.who);
      m.online.add(a.who);
      return;
    case 'wait': {
      h.advance(a.ms);
      // Tracks end by themselves: at the end of the context with repeat off, playback stops.
      if (m.playing && !h.ctx.position.rate) m.playing = false;
      return;
    }
  }
}

describe('the session against a reference model', () => {
  test('random command sequences keep the session and the model in agreement, and revisions only rise', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 60 }), (actions) => {
        const h = new SessionHarness();
        for (const d of DEVICES) h.join(d, d === 'remote' ? { caps: { canPlay: false, volumeSteps: 0 } } : {});
        const m: Model = {
          online: new Set(DEVICES),
          active: null,
          playing: false,
          loaded: false,
          volume: { phone: 50, speaker: 50, tv: 50, remote: 50 },
          shuffle: false,
          repeat: 'off',
        };
        let revision = h.ctx.revision;
        for (const a of actions) {
          step(h, m, a);
          const ctx = h.ctx;
          expect(h.session.state).toBe('idle');
          expect(ctx.revision).toBeGreaterThanOrEqual(revision);
          revision = ctx.revision;
          expect(ctx.activeDeviceId).toBe(m.active);
          expect(ctx.position.rate > 0).toBe(m.playing);
          for (const d of DEVICES) if (d !== 'remote') expect(ctx.devices[d]?.volume).toBe(m.volume[d]);
          expect(ctx.queue.shuffle).toBe(m.shuffle);
          expect(ctx.queue.repeat).toBe(m.repeat);
          if (ctx.activeDeviceId) expect(ctx.devices[ctx.activeDeviceId]?.online).toBe(true);
          // Every device that is connected saw the latest revision.
          for (const d of m.online) {
            const link = h.links.get(d)!;
            const last = link.inbox.findLast((x) => x.type === 'cluster.update' || x.type === 'hub.welcome');
            const seen = last && 'cluster' in last ? last.cluster.revision : -1;
            expect(seen).toBe(ctx.revision);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
