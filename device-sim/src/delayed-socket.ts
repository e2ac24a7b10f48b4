import type { WebSocketLike } from '@handoff/client';
import WebSocket from 'ws';
import { DelayLine } from './link.ts';

export interface NetworkFaults {
  /** One-way delay, and up to this much more at random, each way. */
  latencyMs?: number;
  jitterMs?: number;
  random?: () => number;
  /** Source address to connect from (several loopback addresses pass the 64k port limit). */
  localAddress?: string;
}

/** A `ws` socket behind a simulated network path: every frame in and out is delayed, in order. */
export function delayedSocket(url: string, faults: NetworkFaults): WebSocketLike & { terminate(): void } {
  const up = new DelayLine(faults.latencyMs ?? 0, faults.jitterMs ?? 0, faults.random);
  const down = new DelayLine(faults.latencyMs ?? 0, faults.jitterMs ?? 0, faults.random);
  const ws = new WebSocket(url, { perMessageDeflate: false, ...(faults.localAddress ? { localAddress: faults.localAddress } : {}) });
  const like: WebSocketLike & { terminate(): void } = {
    get readyState() {
      return ws.readyState;
    },
    send: (text) => up.push(() => ws.readyState === WebSocket.OPEN && ws.send(text)),
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
  };
  ws.onopen = (e) => like.onopen?.(e);
  ws.onmessage = (e) => {
    const data = e.data;
    down.push(() => like.onmessage?.({ data }));
  };
  // Deliver the close after the frames that arrived before it.
  ws.onclose = (e) => {
    up.clear();
    down.push(() => like.onclose?.({ code: e.code, reason: e.reason }));
  };
  ws.onerror = (e) => like.onerror?.(e);
  return like;
}
