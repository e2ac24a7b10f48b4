import { z } from 'zod';
import { MediaType } from './device.ts';

export const Track = z.object({
  uri: z.string().min(1).max(256),
  name: z.string().max(256),
  artists: z.array(z.string().max(256)).max(16),
  album: z.string().max(256),
  durationMs: z.number().int().positive().max(24 * 3600_000),
  mediaType: MediaType,
});
export type Track = z.infer<typeof Track>;

/**
 * Where playback is, as a line: at server time `atServerTime` the position was `positionMs`,
 * and it moves at `rate` ms per ms (0 while paused). The position now is derived, never stored.
 */
export const Position = z.object({
  positionMs: z.number().min(0),
  atServerTime: z.number(),
  rate: z.union([z.literal(0), z.literal(1)]),
});
export type Position = z.infer<typeof Position>;

export const RepeatMode = z.enum(['off', 'context', 'track']);
export type RepeatMode = z.infer<typeof RepeatMode>;

/** Everything a device needs to play what the user is listening to. */
export const Playback = z.object({
  contextUri: z.string().max(256).nullable(),
  /** The track playing now (or paused), null before anything was played. */
  track: Track.nullable(),
  position: Position,
  shuffle: z.boolean(),
  repeat: RepeatMode,
  /** What plays next, in order (the user queue first, then the context). At most 20 shown. */
  upNext: z.array(Track).max(20),
});
export type Playback = z.infer<typeof Playback>;

/** Position at server time `at`, clamped to the track. */
export function positionAt(position: Position, at: number, durationMs = Infinity): number {
  const ms = position.positionMs + Math.max(0, at - position.atServerTime) * position.rate;
  return Math.min(ms, durationMs);
}
