import { describe, expect, test } from 'vitest';
import { decorate } from './tap.ts';

describe('fields.ignore-unknown: the tap decorates hub frames', () => {
  test('every object of a frame, however deep, gains a field no protocol version has; values are untouched', () => {
    const frame = {
      type: 'cluster.update',
      reason: 'x',
      cluster: {
        revision: 3,
        devices: [{ id: 'a', volume: 5 }],
        playback: { position: { positionMs: 1, atServerTime: 2, rate: 1 } },
      },
    };
    const out = JSON.parse(decorate(JSON.stringify(frame))) as Record<string, unknown> & {
      cluster: Record<string, unknown> & {
        devices: Array<Record<string, unknown>>;
        playback: { position: Record<string, unknown> };
      };
    };
    expect(out).toHaveProperty('x-kit-unknown');
    expect(out.cluster).toHaveProperty('x-kit-unknown');
    expect(out.cluster.devices[0]).toMatchObject({ id: 'a', volume: 5, 'x-kit-unknown': expect.any(Object) });
    expect(out.cluster.playback.position).toMatchObject({
      positionMs: 1,
      atServerTime: 2,
      rate: 1,
      'x-kit-unknown': expect.any(Object),
    });
    expect(out.type).toBe('cluster.update');
  });

  test('a frame that is not JSON passes as it is', () => {
    expect(decorate('not json')).toBe('not json');
  });
});
