import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { apply, diff } from './json-patch.ts';

/** JSON values without keys that mean something to the object model itself. */
const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === '__proto__' ? undefined : x))) as unknown);
const same = (v: unknown) => JSON.parse(JSON.stringify(v ?? null)) as unknown;

describe('json-patch', () => {
  test('applying the diff of two JSON values to a copy of the first gives the second', () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        expect(same(apply(structuredClone(a), diff(a, b)))).toEqual(same(b));
      }),
      { numRuns: 300 },
    );
  });

  test('an unchanged part shared by both values costs nothing: only the changed path is named', () => {
    const devices = [{ id: 'a', caps: { volumeSteps: 100 } }, { id: 'b', caps: { volumeSteps: 100 } }];
    const prev = { revision: 1, devices, playback: { track: null } };
    const next = { ...prev, revision: 2, devices: [devices[0], { ...devices[1]!, volume: 40 }] };
    expect(diff(prev, next)).toEqual([
      [['revision'], 2],
      [['devices', 1, 'volume'], 40],
    ]);
  });

  test('keys that went away, arrays that shrank and a value of another type are all said', () => {
    const prev = { a: 1, b: [1, 2, 3], c: { x: 1 }, d: 'x' };
    const next = { a: 1, b: [1], c: [1], d: undefined };
    const ops = diff(prev, next);
    expect(apply(structuredClone(prev), ops)).toEqual({ a: 1, b: [1], c: [1] });
    expect(ops).toContainEqual([['d']]);
    // A key an object also inherits is still the value's own.
    expect(apply({ valueOf: false, toString: 1 }, diff({ valueOf: false, toString: 1 }, {}))).toEqual({});
  });
});
