import { describe, expect, test } from 'vitest';
import { ownerOf, ownerTable, partitionOf } from './rendezvous.ts';

const P = 1024;
const count = (table: Array<string | null>, node: string) => table.filter((o) => o === node).length;

describe('rendezvous ownership of partitions', () => {
  test('a user always lands in the same partition, within range', () => {
    for (const user of ['alice', 'bob', 'ü-ß-{x}', '']) {
      const p = partitionOf(user, P);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(P);
      expect(partitionOf(user, P)).toBe(p);
    }
  });

  test('the owner table does not depend on the order the members are listed in, and agrees with ownerOf', () => {
    const table = ownerTable(['c', 'a', 'b'], P);
    expect(ownerTable(['b', 'c', 'a'], P)).toEqual(table);
    for (const user of ['u1', 'u2', 'u3', 'u4']) expect(ownerOf(user, ['a', 'b', 'c'], P)).toBe(table[partitionOf(user, P)]);
  });

  test('partitions spread over the members roughly evenly', () => {
    const members = ['node-a', 'node-b', 'node-c', 'node-d'];
    const table = ownerTable(members, P);
    for (const m of members) {
      expect(count(table, m)).toBeGreaterThan((P / members.length) * 0.75);
      expect(count(table, m)).toBeLessThan((P / members.length) * 1.25);
    }
  });

  test('a node joining takes only partitions that move to it, about its share; one leaving gives up only its own', () => {
    const before = ownerTable(['node-a', 'node-b', 'node-c'], P);
    const joined = ownerTable(['node-a', 'node-b', 'node-c', 'node-d'], P);
    const moved = before.flatMap((owner, p) => (joined[p] !== owner ? [p] : []));
    expect(moved.every((p) => joined[p] === 'node-d')).toBe(true);
    expect(moved.length).toBeGreaterThan((P / 4) * 0.75);
    expect(moved.length).toBeLessThan((P / 4) * 1.25);
    const left = ownerTable(['node-a', 'node-c'], P);
    before.forEach((owner, p) => {
      if (owner !== 'node-b') expect(left[p]).toBe(owner);
    });
  });

  test('no members: no owner', () => {
    expect(ownerTable([], 4)).toEqual([null, null, null, null]);
    expect(ownerOf('u', [], P)).toBeNull();
  });
});
