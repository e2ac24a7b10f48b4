import { lookupContext, lookupTrack, type RepeatMode, type Track } from '@handoff/protocol';

/** A track played before, and where the context stood when it played (null: from the user queue). */
interface Played {
  track: Track;
  cursor: number | null;
}

/**
 * What the user listens to, without time: the context, its play order, the user queue and the
 * history that `previous` walks back. Pure data; every function returns a new value.
 */
export interface PlayQueue {
  contextUri: string | null;
  tracks: Track[];
  /** Indices into `tracks` in the order they play (shuffled or not). */
  order: number[];
  /** Position in `order` of the context's current track. */
  cursor: number;
  /** Tracks added with `queue`; they play before the context continues. */
  userQueue: Track[];
  current: Track | null;
  /** Whether `current` came from the user queue rather than the context. */
  currentFromQueue: boolean;
  history: Played[];
  shuffle: boolean;
  repeat: RepeatMode;
  seed: number;
}

const HISTORY_LIMIT = 50;

export const emptyQueue = (): PlayQueue => ({
  contextUri: null,
  tracks: [],
  order: [],
  cursor: 0,
  userQueue: [],
  current: null,
  currentFromQueue: false,
  history: [],
  shuffle: false,
  repeat: 'off',
  seed: 1,
});

/** mulberry32: a tiny seeded generator, so a shuffle replays the same from a snapshot. */
function nextRandom(seed: number): [number, number] {
  let t = (seed + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, (seed + 0x6d2b79f5) | 0];
}

/** An order that starts with `first` and shuffles the rest. */
function shuffledOrder(count: number, first: number, seed: number): [number[], number] {
  const rest = [...Array(count).keys()].filter((i) => i !== first);
  let s = seed;
  for (let i = rest.length - 1; i > 0; i--) {
    const [r, next] = nextRandom(s);
    s = next;
    const j = Math.floor(r * (i + 1));
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
  }
  return [count > 0 ? [first, ...rest] : [], s];
}

const identity = (count: number) => [...Array(count).keys()];

/** Start a context (or a list of uris) at a track index or uri. */
export function startContent(
  q: PlayQueue,
  content: { contextUri?: string; uris?: string[]; offset?: { position: number } | { uri: string } },
): PlayQueue {
  const tracks = content.uris
    ? content.uris.map(lookupTrack)
    : [...lookupContext(content.contextUri ?? '')];
  let start = 0;
  if (content.offset && 'position' in content.offset) start = content.offset.position;
  if (content.offset && 'uri' in content.offset) {
    const uri = content.offset.uri;
    start = Math.max(0, tracks.findIndex((t) => t.uri === uri));
  }
  start = Math.min(start, tracks.length - 1);
  const [order, seed] = q.shuffle ? shuffledOrder(tracks.length, start, q.seed) : [identity(tracks.length), q.seed];
  const cursor = order.indexOf(start);
  return {
    ...q,
    contextUri: content.uris ? null : (content.contextUri ?? null),
    tracks,
    order,
    cursor,
    seed,
    current: tracks[start] ?? null,
    currentFromQueue: false,
    history: pushHistory(q),
  };
}

function pushHistory(q: PlayQueue): Played[] {
  if (!q.current) return q.history;
  const entry = { track: q.current, cursor: q.currentFromQueue ? null : q.cursor };
  return [...q.history, entry].slice(-HISTORY_LIMIT);
}

/**
 * Move to what plays next. `auto` is true when the track ended by itself: then repeat-track
 * replays it. Returns null at the end of the context with repeat off.
 */
export function advance(q: PlayQueue, auto: boolean): PlayQueue | null {
  if (auto && q.repeat === 'track' && q.current) return q;
  const [queued, ...restQueue] = q.userQueue;
  if (queued) {
    return { ...q, userQueue: restQueue, current: queued, currentFromQueue: true, history: pushHistory(q) };
  }
  let cursor = q.cursor + 1;
  if (cursor >= q.order.length) {
    if (q.repeat === 'off' || q.order.length === 0) return null;
    cursor = 0;
  }
  const track = q.tracks[q.order[cursor]!] ?? null;
  return { ...q, cursor, current: track, currentFromQueue: false, history: pushHistory(q) };
}

/** Step back to the track played before (also with shuffle on); null when there is none. */
export function stepBack(q: PlayQueue): PlayQueue | null {
  const last = q.history.at(-1);
  if (!last) return null;
  const userQueue = q.currentFromQueue && q.current ? [q.current, ...q.userQueue] : q.userQueue;
  return {
    ...q,
    history: q.history.slice(0, -1),
    userQueue,
    current: last.track,
    currentFromQueue: last.cursor === null,
    cursor: last.cursor ?? q.cursor,
  };
}

/** Rewind to the start of the context, for when playback reached its end. */
export function rewind(q: PlayQueue): PlayQueue {
  const first = q.order[0];
  return {
    ...q,
    cursor: 0,
    current: first === undefined ? q.current : (q.tracks[first] ?? null),
    currentFromQueue: false,
    history: pushHistory(q),
  };
}

export function setShuffle(q: PlayQueue, on: boolean): PlayQueue {
  if (on === q.shuffle) return q;
  const currentIndex = q.order[q.cursor] ?? 0;
  if (!on) return { ...q, shuffle: false, order: identity(q.tracks.length), cursor: currentIndex };
  const [order, seed] = shuffledOrder(q.tracks.length, currentIndex, q.seed);
  return { ...q, shuffle: true, order, cursor: 0, seed };
}

export const setRepeat = (q: PlayQueue, repeat: RepeatMode): PlayQueue => ({ ...q, repeat });

export const enqueue = (q: PlayQueue, uri: string): PlayQueue => ({
  ...q,
  userQueue: [...q.userQueue, lookupTrack(uri)].slice(-100),
});

/** The next `limit` tracks as they will play: the user queue, then the rest of the context. */
export function upNext(q: PlayQueue, limit = 20): Track[] {
  const out = q.userQueue.slice(0, limit);
  for (let i = q.cursor + 1; i < q.order.length && out.length < limit; i++) {
    const track = q.tracks[q.order[i]!];
    if (track) out.push(track);
  }
  return out;
}
