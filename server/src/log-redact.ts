/**
 * The last step before a log line leaves the process: whatever a caller put in it (a request
 * url, an error message, a header object, a whole config), tokens and secrets become
 * `[redacted]`. It works on the serialized line, so it holds for fields at any depth and for
 * secrets inside strings, not just for the paths someone thought to list.
 */
export const REDACTED = '[redacted]';

/** Values of keys that name a secret: `"access_token":"..."`, `"authorization":"..."`, `"hubSecret":"..."`. */
const SECRET_KEY = /"([A-Za-z0-9_-]*(?:token|secret|password|passwd|authorization|api_?key|cookie)[A-Za-z0-9_-]*)"\s*:\s*"(?:[^"\\]|\\.)*"/gi;
/** `access_token=...` and `token=...` in urls and query strings. */
const TOKEN_PARAM = /\b((?:access_|refresh_|id_)?token=)[^&\s"'\\]+/gi;
/** `Bearer ...` anywhere (headers copied into messages). */
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
/** Anything shaped like a JWT. */
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}/g;
/** Passwords in urls: `redis://user:password@host`. */
const URL_PASSWORD = /(\/\/[^:/@\s"]*:)[^@/\s"]+@/g;

const MAYBE_SECRET = /token|secret|passw|authori|api_?key|cookie|bearer|eyJ|:\/\//i;

/** A function that scrubs one serialized line: the patterns above, plus every literal in `secrets`. */
export function lineScrubber(secrets: readonly string[] = []): (line: string) => string {
  // A secret may appear JSON-escaped in the line; short strings would redact common words.
  const literals = [...new Set(secrets.filter((s) => s.length >= 8).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  return (line) => {
    let out = line;
    for (const literal of literals) if (out.includes(literal)) out = out.split(literal).join(REDACTED);
    if (!MAYBE_SECRET.test(out)) return out;
    return out
      .replace(SECRET_KEY, `"$1":"${REDACTED}"`)
      .replace(TOKEN_PARAM, `$1${REDACTED}`)
      .replace(BEARER, `$1${REDACTED}`)
      .replace(JWT, REDACTED)
      .replace(URL_PASSWORD, `$1${REDACTED}@`);
  };
}

/** The secrets of a configuration that must never be logged: the token secret, and a password in the Redis url. */
export function configSecrets(config: { HUB_SECRET?: string | undefined; REDIS_URL?: string | undefined }, extra: string[] = []): string[] {
  const secrets = [...extra];
  if (config.HUB_SECRET) secrets.push(config.HUB_SECRET);
  if (config.REDIS_URL) {
    try {
      const password = decodeURIComponent(new URL(config.REDIS_URL).password);
      if (password) secrets.push(password);
    } catch {
      // Not a url: validated elsewhere.
    }
  }
  return secrets;
}
