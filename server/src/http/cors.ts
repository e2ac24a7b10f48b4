import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOWED_HEADERS = 'Authorization, Content-Type, Idempotency-Key, X-Handoff-User';

/**
 * CORS for browser clients, on every response. Any origin: the API authenticates with bearer
 * tokens, never cookies, so a page can do nothing with it that its own token does not allow.
 * Answers a preflight (OPTIONS) itself and returns true; otherwise only sets the headers.
 */
export function cors(req: IncomingMessage, res: ServerResponse): boolean {
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-expose-headers', 'X-Correlation-Id, Retry-After');
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? ALLOWED_HEADERS,
    'access-control-max-age': '600',
    vary: 'Access-Control-Request-Headers',
  });
  res.end();
  return true;
}
