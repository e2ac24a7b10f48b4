import { lookupContext, positionAt, WEB_API_DEVICE_TYPE, type Cluster, type DeviceInfo, type GroupInfo, type Track } from '@handoff/protocol';

/**
 * The cluster as the Spotify Web API spells it: field names, types and nesting of the reference
 * objects (Device, CurrentlyPlayingContext, CurrentlyPlaying, Queue, Track, Episode, PrivateUser).
 * The hub has no catalog service behind it, so catalog-only fields get neutral values (no images,
 * popularity 0, no markets) and `href`s point at paths this hub does not serve.
 */

export interface ShapeOptions {
  /** http://host:port of this hub, for `href`s. */
  base: string;
  /** Server time now, to derive `progress_ms`. */
  now: number;
  /** The reference leaves `item` null for an episode unless the client asks with `additional_types=episode`. */
  episodes: boolean;
}

export function webApiDevice(d: DeviceInfo, activeDeviceId: string | null) {
  const supportsVolume = d.capabilities.volumeSteps > 0;
  return {
    id: d.id,
    is_active: d.id === activeDeviceId,
    is_private_session: false,
    is_restricted: !d.capabilities.controllable,
    name: d.name,
    type: WEB_API_DEVICE_TYPE[d.kind],
    volume_percent: supportsVolume ? d.volume : null,
    supports_volume: supportsVolume,
  };
}

/**
 * A group as one device, the way Spotify lists a Cast or Sonos group: a Speaker with the group's
 * id and name, the mean of its members' volumes, volume if any member has it, restricted if any
 * member is; online while any member is.
 */
export function groupAsDeviceInfo(c: Cluster, g: GroupInfo): DeviceInfo {
  const members = c.devices.filter((d) => g.deviceIds.includes(d.id));
  const volume = members.length ? Math.round(members.reduce((sum, d) => sum + d.volume, 0) / members.length) : 0;
  return {
    id: g.id,
    name: g.name,
    kind: 'speaker',
    capabilities: {
      canPlay: true,
      volumeSteps: Math.max(0, ...members.map((d) => d.capabilities.volumeSteps)),
      mediaTypes: ['audio/track'],
      controllable: members.every((d) => d.capabilities.controllable),
    },
    online: members.some((d) => d.online),
    volume,
    lastSeenAt: Math.max(0, ...members.map((d) => d.lastSeenAt)),
  };
}

/** A device or a group (as one device) by id. */
const targetInfo = (c: Cluster, id: string | null): DeviceInfo | undefined => {
  if (id === null) return undefined;
  const device = c.devices.find((d) => d.id === id);
  if (device) return device;
  const group = c.groups?.find((g) => g.id === id);
  return group ? groupAsDeviceInfo(c, group) : undefined;
};

/** The devices the reference would list: those online now (or within their reconnect grace period), and each group with a member online. */
export const webApiDevices = (c: Cluster) =>
  [...c.devices, ...(c.groups ?? []).map((g) => groupAsDeviceInfo(c, g))].filter((d) => d.online).map((d) => webApiDevice(d, c.activeDeviceId));

/** `GET /v1/me/player`; null means 204 (no device is active). The active device may be a group. */
export function playbackState(c: Cluster, o: ShapeOptions) {
  const active = targetInfo(c, c.activeDeviceId);
  const playing = currentlyPlaying(c, o);
  if (!active || !playing) return null;
  return {
    device: webApiDevice(active, c.activeDeviceId),
    repeat_state: c.playback.repeat,
    shuffle_state: c.playback.shuffle,
    ...playing,
  };
}

/** `GET /v1/me/player/currently-playing`; null means 204 (no device is active). */
export function currentlyPlaying(c: Cluster, o: ShapeOptions) {
  const active = targetInfo(c, c.activeDeviceId);
  if (!active) return null;
  const { track, position, contextUri } = c.playback;
  const isPlaying = track !== null && position.rate > 0;
  const isEpisode = track?.mediaType === 'audio/episode';
  return {
    context: contextUri ? contextObject(contextUri, o.base) : null,
    timestamp: Math.round(position.atServerTime || o.now),
    progress_ms: track ? Math.round(positionAt(position, o.now, track.durationMs)) : null,
    is_playing: isPlaying,
    item: track && (!isEpisode || o.episodes) ? itemObject(track, o.base) : null,
    currently_playing_type: track ? (isEpisode ? 'episode' : 'track') : 'unknown',
    actions: { disallows: disallows(c, isPlaying, active.capabilities.controllable) },
  };
}

/** `GET /v1/me/player/queue`. */
export function queueObject(c: Cluster, base: string) {
  return {
    currently_playing: c.playback.track ? itemObject(c.playback.track, base) : null,
    queue: c.playback.upNext.map((t) => itemObject(t, base)),
  };
}

/** `GET /v1/me`: the hub knows users only by id. */
export function userObject(userId: string, base: string) {
  return {
    id: userId,
    display_name: userId,
    type: 'user',
    uri: `handoff:user:${userId}`,
    href: `${base}/v1/users/${encodeURIComponent(userId)}`,
    external_urls: {},
    images: [],
    followers: { href: null, total: 0 },
    product: 'premium',
  };
}

/** Only the actions that are not allowed, each `true`, as the reference sends them. */
function disallows(c: Cluster, isPlaying: boolean, controllable: boolean): Record<string, true> {
  const all = ['interrupting_playback', 'pausing', 'resuming', 'seeking', 'skipping_next', 'skipping_prev',
    'toggling_repeat_context', 'toggling_shuffle', 'toggling_repeat_track', 'transferring_playback'] as const;
  const loaded = c.playback.track !== null;
  const no = (action: (typeof all)[number]): boolean => {
    if (!controllable) return true;
    if (action === 'pausing') return !isPlaying;
    if (action === 'resuming') return isPlaying || !loaded;
    if (action === 'seeking' || action === 'skipping_next' || action === 'skipping_prev') return !loaded;
    return false;
  };
  return Object.fromEntries(all.filter(no).map((a) => [a, true]));
}

const parts = (uri: string) => uri.split(':');
const scheme = (uri: string) => (uri.includes(':') ? parts(uri)[0]! : 'handoff');
const idOf = (uri: string) => parts(uri).pop() || uri;
const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'unknown';

function contextObject(uri: string, base: string) {
  const type = parts(uri).length >= 3 ? parts(uri)[1]! : 'playlist';
  return { type, uri, href: `${base}/v1/${type}s/${encodeURIComponent(idOf(uri))}`, external_urls: {} };
}

function itemObject(t: Track, base: string) {
  return t.mediaType === 'audio/episode' ? episodeObject(t, base) : trackObject(t, base);
}

function trackObject(t: Track, base: string) {
  const id = idOf(t.uri);
  const artists = t.artists.map((name) => {
    const artistId = slug(name);
    return { id: artistId, name, type: 'artist', uri: `${scheme(t.uri)}:artist:${artistId}`, href: `${base}/v1/artists/${artistId}`, external_urls: {} };
  });
  const albumId = slug(t.album);
  const albumUri = `${scheme(t.uri)}:album:${albumId}`;
  return {
    id,
    name: t.name,
    type: 'track',
    uri: t.uri,
    href: `${base}/v1/tracks/${encodeURIComponent(id)}`,
    duration_ms: t.durationMs,
    artists,
    album: {
      id: albumId,
      name: t.album,
      type: 'album',
      album_type: 'album',
      uri: albumUri,
      href: `${base}/v1/albums/${albumId}`,
      artists,
      images: [],
      release_date: '1970',
      release_date_precision: 'year',
      total_tracks: lookupContext(albumUri).length,
      available_markets: [],
      external_urls: {},
    },
    disc_number: 1,
    track_number: Number(/-(\d+)$/.exec(id)?.[1] ?? 1),
    explicit: false,
    is_local: false,
    is_playable: true,
    popularity: 0,
    preview_url: null,
    available_markets: [],
    external_ids: {},
    external_urls: {},
  };
}

function episodeObject(t: Track, base: string) {
  const id = idOf(t.uri);
  const showId = slug(t.album);
  return {
    id,
    name: t.name,
    type: 'episode',
    uri: t.uri,
    href: `${base}/v1/episodes/${encodeURIComponent(id)}`,
    duration_ms: t.durationMs,
    description: '',
    html_description: '',
    explicit: false,
    images: [],
    is_externally_hosted: false,
    is_playable: true,
    language: 'en',
    languages: ['en'],
    release_date: '1970-01-01',
    release_date_precision: 'day',
    audio_preview_url: null,
    external_urls: {},
    show: {
      id: showId,
      name: t.album,
      publisher: t.artists[0] ?? '',
      type: 'show',
      uri: `${scheme(t.uri)}:show:${showId}`,
      href: `${base}/v1/shows/${showId}`,
      description: '',
      html_description: '',
      explicit: false,
      images: [],
      is_externally_hosted: false,
      languages: ['en'],
      media_type: 'audio',
      available_markets: [],
      copyrights: [],
      total_episodes: 1,
      external_urls: {},
    },
  };
}
