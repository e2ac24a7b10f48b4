/**
 * Which partition a user is in, and which node owns a partition: pure functions of the user id,
 * the partition count and the live members, so every node computes the same answer with no
 * Redis round trip. Ownership is rendezvous (highest-random-weight) hashing: each partition goes
 * to the member with the highest weight for it, so a member joining takes only the partitions it
 * now outweighs, and one leaving gives up only its own.
 */

/** 32-bit FNV-1a of a string (UTF-16 code units), then mixed. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** MurmurHash3's finalizer: every input bit moves about half the output bits. */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The user's partition, in [0, partitions): the same on every node with the same PARTITIONS. */
export function partitionOf(userId: string, partitions: number): number {
  return hash32(userId) % partitions;
}

/** A member's weight for a partition. */
const weight = (memberHash: number, partition: number) => mix32(memberHash ^ mix32(Math.imul(partition + 1, 0x9e3779b9)));

/**
 * The owner of every partition (index: partition) among `members`; null entries when there are
 * none. Ties (equal weights) go to the member whose name sorts first, so the table never depends
 * on the order `members` came in.
 */
export function ownerTable(members: readonly string[], partitions: number): Array<string | null> {
  const sorted = [...new Set(members)].sort();
  const hashes = sorted.map(hash32);
  const table = new Array<string | null>(partitions).fill(null);
  for (let p = 0; p < partitions; p++) {
    let best = -1;
    let bestWeight = -1;
    for (let m = 0; m < sorted.length; m++) {
      const w = weight(hashes[m]!, p);
      if (w > bestWeight) {
        best = m;
        bestWeight = w;
      }
    }
    table[p] = best < 0 ? null : sorted[best]!;
  }
  return table;
}

/** The owner of the user's partition among `members` (null when there are none). */
export function ownerOf(userId: string, members: readonly string[], partitions: number): string | null {
  const p = partitionOf(userId, partitions);
  const sorted = [...new Set(members)].sort();
  let best: string | null = null;
  let bestWeight = -1;
  for (const m of sorted) {
    const w = weight(hash32(m), p);
    if (w > bestWeight) {
      best = m;
      bestWeight = w;
    }
  }
  return best;
}
