/** What the policy needs of the client's options. */
export interface ReconnectOptions {
  urls: string[];
  /** Longest wait between attempts. @default 3000 */
  maxBackoffMs?: number;
  random?: () => number;
}

/**
 * Where and when a client reconnects: after each failure the next hub URL in turn, after a wait
 * that doubles from 100 ms up to `maxBackoffMs`, half of it jitter. A welcome starts it over.
 */
export class ReconnectPolicy {
  private urlIndex = 0;
  private attempt = 0;
  /** A URL to try next, before the list (the owner's node); dropped when it fails. */
  private preferred: string | null = null;

  constructor(private readonly opts: ReconnectOptions) {}

  /** The hub URL to connect to now. */
  get url(): string {
    return this.preferred ?? this.opts.urls[this.urlIndex % this.opts.urls.length]!;
  }

  /** Connect to `url` next (and again after a reconnect), until a connection to it fails. */
  prefer(url: string): void {
    this.preferred = url;
  }

  /** A connection failed: move on to the next URL, and say how long to wait before trying it (ms). */
  failed(): number {
    if (this.preferred !== null) this.preferred = null;
    else this.urlIndex++;
    const base = Math.min(this.opts.maxBackoffMs ?? 3000, 100 * 2 ** this.attempt++);
    return base / 2 + (this.opts.random ?? Math.random)() * (base / 2);
  }

  /** Welcomed: the next failure waits the shortest time again. */
  welcomed(): void {
    this.attempt = 0;
  }
}
