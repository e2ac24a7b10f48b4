import { devToken } from '@handoff/device-sim';
import { parseViewerMessage, type TraceEvent, type TraceGap, type TraceHello } from '@handoff/protocol';
import type { RunningHub } from '@handoff/server';
import WebSocket from 'ws';

/** A trace socket as a viewer would open it, keeping everything it was sent; dispose to close. */
export interface TraceClient extends AsyncDisposable {
  ws: WebSocket;
  hello: Promise<TraceHello>;
  events: TraceEvent[];
  gaps: TraceGap[];
  /** Resolves with the close code and reason once the hub closes the socket. */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolve once `predicate` holds for the events received so far. */
  until(predicate: (events: TraceEvent[]) => boolean, timeoutMs?: number): Promise<void>;
}

export async function viewerToken(
  hub: RunningHub,
  user: string,
  role: 'viewer' | 'admin' | 'device' = 'viewer',
): Promise<string> {
  return devToken(hub.url, user, role);
}

/** Open `/v1/trace` with `token` (or none) and the given query. */
export function openTrace(hub: RunningHub, token: string | null, query: Record<string, string | number> = {}): TraceClient {
  const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  if (token) params.set('access_token', token);
  const ws = new WebSocket(`${hub.url.replace(/^http/, 'ws')}/v1/trace?${params}`, { perMessageDeflate: false });
  const events: TraceEvent[] = [];
  const gaps: TraceGap[] = [];
  const watchers = new Set<() => void>();
  let resolveHello!: (h: TraceHello) => void;
  const hello = new Promise<TraceHello>((r) => (resolveHello = r));
  ws.on('message', (data) => {
    const message = parseViewerMessage((data as Buffer).toString());
    if (message.type === 'trace.hello') resolveHello(message);
    else if (message.type === 'trace.events') events.push(...message.events);
    else gaps.push(message);
    for (const w of watchers) w();
  });
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  return {
    ws,
    hello,
    events,
    gaps,
    closed,
    until(predicate, timeoutMs = 5000) {
      if (predicate(events)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(events)) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`trace condition not met in ${timeoutMs} ms (${events.length} events received)`));
        }, timeoutMs);
        watchers.add(check);
      });
    },
    async [Symbol.asyncDispose]() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
}
