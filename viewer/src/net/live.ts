import type { TraceStore } from '../model/store.ts';
import type { ViewerMessage } from '../model/types.ts';
import { fetchTrace } from './api.ts';
import { parseTraceFile } from './trace-file.ts';

export type LiveStatus =
  | { state: 'connecting' }
  | { state: 'live' }
  | { state: 'reconnecting'; inMs: number; why: string }
  | { state: 'refused'; code: number; reason: string }
  | { state: 'closed' };

const REFUSED = [4001, 4003, 1008];

/**
 * The trace socket: hello, backlog, live batches. Reconnects with `sinceSeq` (the last seq it has)
 * so nothing is missed or doubled; a gap marker makes it fetch the missing range over HTTP.
 */
export class LiveTrace {
  status: LiveStatus = { state: 'connecting' };
  /** Server time minus local time, from the hello. */
  offsetMs = 0;
  /** The boot of the trace we hold: seqs are resumed only within it. */
  private bootId: string | null = null;
  private ws: WebSocket | null = null;
  private stopped = false;
  private attempt = 0;
  private timer: number | null = null;
  private ticker: number;

  constructor(
    private readonly store: TraceStore,
    private readonly userId: string,
    private readonly token: string,
    private readonly onStatus: (s: LiveStatus) => void,
  ) {
    this.ticker = window.setInterval(() => store.tick(this.serverNow()), 500);
    this.open();
  }

  serverNow(): number {
    return Date.now() + this.offsetMs;
  }

  close(): void {
    this.stopped = true;
    window.clearInterval(this.ticker);
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.ws?.close();
  }

  private open(): void {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const params = new URLSearchParams({ user: this.userId, sinceSeq: String(this.store.lastSeq), access_token: this.token });
    if (this.bootId) params.set('bootId', this.bootId);
    const ws = new WebSocket(`${proto}://${location.host}/v1/trace?${params}`);
    this.ws = ws;
    this.set({ state: 'connecting' });
    ws.onmessage = (ev) => this.receive(JSON.parse(String(ev.data)) as ViewerMessage);
    ws.onclose = (ev) => {
      if (this.ws !== ws || this.stopped) return;
      if (REFUSED.includes(ev.code)) return this.set({ state: 'refused', code: ev.code, reason: ev.reason || 'refused' });
      const inMs = Math.min(10_000, 250 * 2 ** this.attempt++);
      this.set({ state: 'reconnecting', inMs, why: ev.reason || `closed (${ev.code})` });
      this.timer = window.setTimeout(() => this.open(), inMs);
    };
  }

  private receive(m: ViewerMessage): void {
    switch (m.type) {
      case 'trace.hello':
        this.attempt = 0;
        this.offsetMs = m.serverTime - Date.now();
        // A new boot id (a restart, or the session moved to another node) starts a new run.
        this.bootId = m.bootId;
        this.store.hello(m.bootId, m.baseline, m.cluster, m.serverTime);
        this.set({ state: 'live' });
        break;
      case 'trace.events':
        this.store.append(m.events);
        break;
      case 'trace.gap':
        this.store.addGap({ fromSeq: m.fromSeq, toSeq: m.toSeq, reason: m.reason });
        void this.fill(m.fromSeq, m.toSeq);
        break;
    }
  }

  /** What the ring still holds of a gap, over HTTP. */
  private async fill(fromSeq: number, toSeq: number): Promise<void> {
    try {
      const text = await fetchTrace(this.token, this.userId, 'ndjson', fromSeq - 1);
      const events = parseTraceFile(text).events.filter((e) => e.seq >= fromSeq && e.seq <= toSeq);
      this.store.append(events);
    } catch {
      // The gap stays marked.
    }
  }

  private set(s: LiveStatus): void {
    this.status = s;
    this.onStatus(s);
  }
}
