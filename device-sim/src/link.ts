/**
 * A simulated network path: every message is delayed by latency plus jitter, in order (TCP never
 * reorders), so clock sync and switches see realistic, asymmetric delays.
 */
export class DelayLine {
  private readonly queue: Array<{ due: number; fn: () => void }> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly latencyMs: number,
    private readonly jitterMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  push(fn: () => void): void {
    if (this.latencyMs === 0 && this.jitterMs === 0) return fn();
    const now = performance.now();
    const last = this.queue.at(-1)?.due ?? 0;
    this.queue.push({ due: Math.max(last, now + this.latencyMs + this.random() * this.jitterMs), fn });
    this.schedule();
  }

  clear(): void {
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = performance.now();
      while (this.queue.length && this.queue[0]!.due <= now + 0.5) this.queue.shift()!.fn();
      this.schedule();
    }, Math.max(0, this.queue[0]!.due - performance.now()));
  }
}

/** A device's two delay lines (up and down) when it asked for latency or jitter, else none. */
export function delayLinesFor(opts: { latencyMs?: number; jitterMs?: number }): { up: DelayLine | null; down: DelayLine | null } {
  if ((opts.latencyMs ?? 0) <= 0 && (opts.jitterMs ?? 0) <= 0) return { up: null, down: null };
  return { up: new DelayLine(opts.latencyMs ?? 0, opts.jitterMs ?? 0), down: new DelayLine(opts.latencyMs ?? 0, opts.jitterMs ?? 0) };
}
