import type { HubInfo } from '../model/types.ts';

/** The hub's public info, or null when no hub answers (an imported file still opens). */
export async function fetchInfo(): Promise<HubInfo | null> {
  try {
    const res = await fetch('/v1/info', { cache: 'no-store' });
    if (!res.ok) return null;
    const body = (await res.json()) as Partial<HubInfo>;
    return typeof body.devMode === 'boolean' ? (body as HubInfo) : null;
  } catch {
    return null;
  }
}

/** Dev mode only: a token for any user. */
export async function devToken(user: string, role: 'viewer' | 'admin'): Promise<string> {
  const res = await fetch('/v1/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, role }),
  });
  if (!res.ok) throw new Error(await errorText(res));
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function errorText(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { message?: string } };
    return `${res.status}: ${body.error?.message ?? res.statusText}`;
  } catch {
    return `${res.status} ${res.statusText}`;
  }
}

/** An authorized request; resolves with the response, throws with the hub's error message. */
export async function call(token: string, method: string, path: string, body?: unknown): Promise<Response> {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(await errorText(res));
  return res;
}

/** The hub's export of a user's trace, as text. */
export async function fetchTrace(
  token: string,
  userId: string,
  format: 'ndjson' | 'otlp' | 'chrome',
  sinceSeq = 0,
  untilSeq?: number,
): Promise<string> {
  const until = untilSeq === undefined ? '' : `&untilSeq=${untilSeq}`;
  const res = await call(token, 'GET', `/v1/users/${encodeURIComponent(userId)}/trace?format=${format}&sinceSeq=${sinceSeq}${until}`);
  return res.text();
}

/** What an admin learns of a user from `GET /v1/admin/users/:userId`. */
export interface UserLookup {
  userId: string;
  known: boolean;
  trace: { firstSeq: number; lastSeq: number };
}

/** Admin only: whether the hub knows the user, and what its trace ring holds. */
export async function lookUpUser(token: string, userId: string): Promise<UserLookup> {
  const res = await call(token, 'GET', `/v1/admin/users/${encodeURIComponent(userId)}`);
  return (await res.json()) as UserLookup;
}

/** The Web API player endpoints, acting as the token's user. */
export const player = {
  transfer: (token: string, deviceId: string, play: boolean) =>
    call(token, 'PUT', '/v1/me/player', { device_ids: [deviceId], play }),
  play: (token: string) => call(token, 'PUT', '/v1/me/player/play'),
  pause: (token: string) => call(token, 'PUT', '/v1/me/player/pause'),
  next: (token: string) => call(token, 'POST', '/v1/me/player/next'),
  previous: (token: string) => call(token, 'POST', '/v1/me/player/previous'),
  seek: (token: string, ms: number) => call(token, 'PUT', `/v1/me/player/seek?position_ms=${Math.max(0, Math.round(ms))}`),
  volume: (token: string, percent: number, deviceId?: string) =>
    call(
      token,
      'PUT',
      `/v1/me/player/volume?volume_percent=${Math.round(percent)}${deviceId ? `&device_id=${encodeURIComponent(deviceId)}` : ''}`,
    ),
  playContext: (token: string, contextUri: string) => call(token, 'PUT', '/v1/me/player/play', { context_uri: contextUri }),
};
