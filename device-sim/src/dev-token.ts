/** Ask a dev-mode hub for a token (POST /v1/dev/token). `hubUrl` may be the ws:// socket URL. */
export async function devToken(hubUrl: string, user: string, role: 'device' | 'viewer' | 'admin'): Promise<string> {
  const base = new URL(hubUrl.replace(/^ws/, 'http'));
  const res = await fetch(new URL('/v1/dev/token', base.origin), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, role }),
  });
  if (!res.ok) throw new Error(`dev token refused (${res.status}): is HUB_SECRET set? then pass a token`);
  return ((await res.json()) as { access_token: string }).access_token;
}
