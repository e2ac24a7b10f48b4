import { z } from 'zod';

/**
 * The Spotify Web API reference objects, as a client library reads them (field names, types,
 * nullability from the public OpenAPI description; `actions.disallows` as the service really
 * sends it). Strict where clients depend on a field; extra fields are allowed, as in the reference.
 */

const ExternalUrls = z.record(z.string(), z.string());

export const WebApiDevice = z.object({
  id: z.string().nullable(),
  is_active: z.boolean(),
  is_private_session: z.boolean(),
  is_restricted: z.boolean(),
  name: z.string(),
  type: z.enum(['Computer', 'Tablet', 'Smartphone', 'Speaker', 'TV', 'AVR', 'STB', 'AudioDongle', 'GameConsole', 'CastVideo', 'CastAudio', 'Automobile', 'Unknown']),
  volume_percent: z.number().int().min(0).max(100).nullable(),
  supports_volume: z.boolean(),
});

export const WebApiDevices = z.object({ devices: z.array(WebApiDevice) });

const SimplifiedArtist = z.object({ id: z.string(), name: z.string(), type: z.literal('artist'), uri: z.string(), href: z.string(), external_urls: ExternalUrls });

export const WebApiTrack = z.object({
  id: z.string(),
  name: z.string(),
  type: z.literal('track'),
  uri: z.string(),
  href: z.string(),
  duration_ms: z.number().int().positive(),
  artists: z.array(SimplifiedArtist).min(1),
  album: z.object({
    id: z.string(),
    name: z.string(),
    type: z.literal('album'),
    album_type: z.string(),
    uri: z.string(),
    href: z.string(),
    artists: z.array(SimplifiedArtist),
    images: z.array(z.object({ url: z.string() })),
    release_date: z.string(),
    release_date_precision: z.enum(['year', 'month', 'day']),
    total_tracks: z.number().int(),
    external_urls: ExternalUrls,
  }),
  disc_number: z.number().int(),
  track_number: z.number().int(),
  explicit: z.boolean(),
  is_local: z.boolean(),
  popularity: z.number().int(),
  preview_url: z.string().nullable(),
  external_urls: ExternalUrls,
});

export const WebApiEpisode = z.object({
  id: z.string(),
  name: z.string(),
  type: z.literal('episode'),
  uri: z.string(),
  href: z.string(),
  duration_ms: z.number().int().positive(),
  description: z.string(),
  explicit: z.boolean(),
  images: z.array(z.object({ url: z.string() })),
  release_date: z.string(),
  show: z.object({ id: z.string(), name: z.string(), publisher: z.string(), type: z.literal('show'), uri: z.string() }),
});

const Item = z.union([WebApiTrack, WebApiEpisode]);

const Context = z.object({ type: z.string(), uri: z.string(), href: z.string(), external_urls: ExternalUrls });

const Disallows = z
  .object({
    interrupting_playback: z.boolean(),
    pausing: z.boolean(),
    resuming: z.boolean(),
    seeking: z.boolean(),
    skipping_next: z.boolean(),
    skipping_prev: z.boolean(),
    toggling_repeat_context: z.boolean(),
    toggling_shuffle: z.boolean(),
    toggling_repeat_track: z.boolean(),
    transferring_playback: z.boolean(),
  })
  .partial()
  .strict();

const currentlyPlayingFields = {
  context: Context.nullable(),
  timestamp: z.number().int(),
  progress_ms: z.number().int().min(0).nullable(),
  is_playing: z.boolean(),
  item: Item.nullable(),
  currently_playing_type: z.enum(['track', 'episode', 'ad', 'unknown']),
  actions: z.object({ disallows: Disallows }),
};

export const WebApiCurrentlyPlaying = z.object(currentlyPlayingFields);

export const WebApiPlaybackState = z.object({
  device: WebApiDevice,
  repeat_state: z.enum(['off', 'track', 'context']),
  shuffle_state: z.boolean(),
  ...currentlyPlayingFields,
});

export const WebApiQueue = z.object({ currently_playing: Item.nullable(), queue: z.array(Item) });

export const WebApiUser = z.object({
  id: z.string(),
  display_name: z.string().nullable(),
  type: z.literal('user'),
  uri: z.string(),
  href: z.string(),
  external_urls: ExternalUrls,
  images: z.array(z.object({ url: z.string() })),
  followers: z.object({ href: z.string().nullable(), total: z.number().int() }),
  product: z.string(),
});

/** The reference error body; player refusals also carry a `reason`. */
export const WebApiError = z.object({
  error: z.object({
    status: z.number().int(),
    message: z.string().min(1),
    reason: z.string().optional(),
  }),
});
export type WebApiError = z.infer<typeof WebApiError>;
