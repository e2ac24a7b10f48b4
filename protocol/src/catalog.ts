import type { Track } from './playback.ts';

/**
 * A small built-in catalog so that playing a uri means something: the hub does not stream audio,
 * it only needs names and durations. Unknown uris get placeholder metadata.
 */
const album = (
  albumName: string,
  artist: string,
  key: string,
  songs: ReadonlyArray<readonly [string, number]>,
): Track[] =>
  songs.map(([name, seconds], i) => ({
    uri: `demo:track:${key}-${i + 1}`,
    name,
    artists: [artist],
    album: albumName,
    durationMs: seconds * 1000,
    mediaType: 'audio/track' as const,
  }));

const nightDrive = album('Night Drive', 'The Handoffs', 'night', [
  ['Cold Start', 42],
  ['Clock Skew', 38],
  ['Two-Phase Commit', 51],
  ['Rollback', 35],
  ['Grace Period', 47],
]);
const kitchen = album('Kitchen Sessions', 'Fencing Tokens', 'kitchen', [
  ['Morning Speaker', 44],
  ['Volume Intent', 39],
  ['Shuffle Seed', 56],
  ['Heartbeat', 33],
]);

export const DEMO_CONTEXTS: Readonly<Record<string, readonly Track[]>> = {
  'demo:album:night-drive': nightDrive,
  'demo:album:kitchen-sessions': kitchen,
  'demo:playlist:everything': [...nightDrive, ...kitchen],
};

const byUri = new Map<string, Track>([...nightDrive, ...kitchen].map((t) => [t.uri, t]));

/** How long a track we know nothing about lasts. */
export const PLACEHOLDER_DURATION_MS = 180_000;

/** The catalog entry for a uri, or placeholder metadata that keeps the uri. */
export function lookupTrack(uri: string): Track {
  return (
    byUri.get(uri) ?? {
      uri,
      name: uri.split(':').pop() || uri,
      artists: ['Unknown artist'],
      album: 'Unknown album',
      durationMs: PLACEHOLDER_DURATION_MS,
      mediaType: uri.includes(':episode:') ? 'audio/episode' : 'audio/track',
    }
  );
}

/** The tracks of a context uri: a demo album or playlist, or a single placeholder. */
export function lookupContext(uri: string): readonly Track[] {
  return DEMO_CONTEXTS[uri] ?? [lookupTrack(uri)];
}
