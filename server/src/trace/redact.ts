/**
 * Secrets never leave the hub in a trace. Recording keeps the message objects as they are (cheap
 * when nobody watches); whatever serializes events for a reader passes the text through here (the
 * trace log once per event, not once per viewer):
 * values of secret-looking keys and anything shaped like a JWT become `[redacted]`.
 */
const SECRET_KEY =
  /"((?:[A-Za-z_]*_)?(?:token|secret|password|authorization|api_?key)|accessToken|refreshToken|apiKey)"\s*:\s*"(?:[^"\\]|\\.)*"/gi;
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}/g;

export const REDACTED = '[redacted]';

/** JSON text with secrets replaced; the result is still valid JSON. */
export function redactJson(text: string): string {
  if (!text.includes('eyJ') && !/token|secret|password|authorization|key/i.test(text)) return text;
  return text.replace(SECRET_KEY, `"$1":"${REDACTED}"`).replace(JWT, REDACTED);
}

/** Only the tokens shaped like a JWT replaced: for JSON text whose keys are known to be no secret's (live-text.ts). */
export function redactTokens(text: string): string {
  return text.includes('eyJ') ? text.replace(JWT, REDACTED) : text;
}

/** A value with secrets replaced (a redacted deep copy). */
export function redactValue<T>(value: T): T {
  if (value === undefined) return value;
  return JSON.parse(redactJson(JSON.stringify(value))) as T;
}
