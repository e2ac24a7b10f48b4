import { signToken, type RunningHub } from '@handoff/server';

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty body. */
  body: unknown;
}

type Role = 'device' | 'viewer' | 'admin';

/** A token for `user` signed with the hub's secret; a negative ttl makes an expired one. */
export const tokenFor = (hub: RunningHub, user: string, role: Role = 'viewer', ttlSeconds = 600): Promise<string> =>
  signToken(hub.secret, { userId: user, role }, ttlSeconds);

/**
 * A bare Web API client, as a script would use one: fetch with a bearer token. `token: null`
 * sends no Authorization header (a promised token, as `tokenFor` gives, is awaited per request). Requests other than GET carry `Content-Type: application/json`,
 * with or without a body, as many client libraries send them.
 */
export function webApi(hub: RunningHub, token: string | Promise<string> | null, defaults: Record<string, string> = {}) {
  const call = async (
    method: string,
    path: string,
    opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...defaults, ...opts.headers };
    if (token !== null) headers.authorization = `Bearer ${await token}`;
    const body = opts.body !== undefined ? JSON.stringify(opts.body) : opts.raw;
    if (method !== 'GET') headers['content-type'] ??= 'application/json';
    const res = await fetch(`${hub.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
  return {
    call,
    get: (path: string, headers?: Record<string, string>) => call('GET', path, headers ? { headers } : {}),
    put: (path: string, body?: unknown, headers?: Record<string, string>) => call('PUT', path, { body, ...(headers ? { headers } : {}) }),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => call('POST', path, { body, ...(headers ? { headers } : {}) }),
  };
}

export type WebApi = ReturnType<typeof webApi>;

/** Make `deviceId` active and play the night-drive album there, over HTTP; throws unless both answer 204. */
export async function playOver(api: WebApi, deviceId: string, body: object = { context_uri: 'demo:album:night-drive' }): Promise<void> {
  for (const res of [await api.put('/v1/me/player', { device_ids: [deviceId] }), await api.put('/v1/me/player/play', body)]) {
    if (res.status !== 204) throw new Error(`expected 204, got ${res.status} ${JSON.stringify(res.body)}`);
  }
}
