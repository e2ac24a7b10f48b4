import { describe, expect, test } from 'vitest';
import { OwnerAffinity } from './owner-affinity.ts';

function setup() {
  const state = { idle: true, moves: [] as string[] };
  const affinity = new OwnerAffinity({ idle: () => state.idle, moveTo: (url) => state.moves.push(url) });
  return { state, affinity };
}

describe('owner affinity', () => {
  test('welcomed on another node than the owner, with nothing in flight: moves to the owner, once', () => {
    const { state, affinity } = setup();
    affinity.welcomed('ws://a/v1/connect', 'ws://b/v1/connect');
    affinity.check();
    expect(state.moves).toEqual(['ws://b/v1/connect']);
  });

  test('with a command or a switch in flight it waits, and moves once they are done', () => {
    const { state, affinity } = setup();
    state.idle = false;
    affinity.welcomed('ws://a/v1/connect', 'ws://b/v1/connect');
    affinity.check();
    expect(state.moves).toEqual([]);
    state.idle = true;
    affinity.check();
    expect(state.moves).toEqual(['ws://b/v1/connect']);
  });

  test('on the owner already, or told no owner, it stays', () => {
    const { state, affinity } = setup();
    affinity.welcomed('ws://b/v1/connect', 'ws://b/v1/connect');
    affinity.welcomed('ws://a/v1/connect', undefined);
    affinity.check();
    expect(state.moves).toEqual([]);
  });
});
