import { SimDevice } from '@handoff/device-sim';
import { CloseCode, PROTOCOL_VERSION } from '@handoff/protocol';
import { signToken } from '@handoff/server';
import WebSocket from 'ws';
import { fuzzFrame, type Frame } from './frames.ts';
import { Random } from './random.ts';

export interface FuzzTarget {
  url: string;
  wsUrl: string;
  secret: string;
}

export interface FuzzOptions {
  seed: number;
  /** Stop after this many frames... */
  frames: number;
  /** ...or after this long, whichever comes first. */
  durationMs: number;
  attackers?: number;
  onProgress?: (sent: number) => void;
}

export interface FuzzReport {
  seed: number;
  frames: number;
  durationMs: number;
  byCategory: Record<string, number>;
  answers: Record<string, number>;
  unanswered: Array<{ category: string; preview: string; got: string; after?: string }>;
  bursts: number;
  victim: { commands: number; failed: Array<{ type: string; code: string }>; reconnects: number; staleIgnored: number };
  hubAlive: boolean;
}

/** How long a frame may wait for its answer; generous, since the machine may be loaded. */
const ANSWER_MS = 20_000;

interface Answer {
  key: string | number;
}

/** One hostile connection: sends a frame, waits for the answer (an error, a result or a close). */
class Attacker {
  private ws!: WebSocket;
  private waiting: ((a: Answer) => void) | null = null;
  private closed = true;

  constructor(
    private readonly target: FuzzTarget,
    private readonly user: string,
  ) {}

  async open(): Promise<void> {
    const token = await signToken(this.target.secret, { userId: this.user, role: 'device' }, 3600);
    const ws = new WebSocket(`${this.target.wsUrl}?access_token=${token}`, { perMessageDeflate: false });
    this.ws = ws;
    ws.on('message', (d: Buffer) => ws === this.ws && this.onMessage(d.toString()));
    ws.on('close', (code) => {
      if (ws !== this.ws) return;
      this.closed = true;
      this.settle({ key: code });
    });
    ws.on('error', () => {});
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
    this.closed = false;
    const welcome = this.next(ANSWER_MS);
    this.ws.send(
      JSON.stringify({
        type: 'device.hello',
        protocolVersion: PROTOCOL_VERSION,
        device: { id: `${this.user}-dev`, name: 'fuzz', kind: 'computer', capabilities: { canPlay: true, volumeSteps: 10, mediaTypes: ['audio/track'], controllable: true } },
      }),
    );
    await welcome;
  }

  private onMessage(text: string): void {
    const m = JSON.parse(text) as { type: string; code?: string; pingId?: number; t0?: number };
    if (m.type === 'clock.ping') {
      this.ws.send(JSON.stringify({ type: 'clock.pong', pingId: m.pingId, t0: m.t0, t1: Date.now(), t2: Date.now() }));
      return;
    }
    if (m.type === 'error') this.settle({ key: m.code! });
    else if (m.type === 'command.result') this.settle({ key: m.code ?? 'result' });
    else if (m.type === 'hub.welcome') this.settle({ key: 'welcome' });
  }

  private settle(a: Answer): void {
    const w = this.waiting;
    this.waiting = null;
    w?.(a);
  }

  private next(timeoutMs: number): Promise<Answer> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle({ key: 'no answer' }), timeoutMs);
      this.waiting = (a) => {
        clearTimeout(timer);
        resolve(a);
      };
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async send(frame: Frame): Promise<Answer> {
    const answer = this.next(ANSWER_MS);
    this.ws.send(frame.data);
    return answer;
  }

  /**
   * Many frames at once: the hub must refuse the excess, not buffer it. Resolves with
   * RATE_LIMITED or the close code once the hub pushed back, or 'no answer' if it never did.
   */
  async burst(count: number): Promise<Answer> {
    const seen: Array<string | number> = [];
    const pushedBack = (key: string | number) => key === 'RATE_LIMITED' || key === 4029;
    const done = new Promise<Answer>((resolve) => {
      const timer = setTimeout(() => resolve({ key: 'no answer' }), ANSWER_MS);
      const listen = (a: Answer) => {
        seen.push(a.key);
        if (pushedBack(a.key) || typeof a.key === 'number') {
          clearTimeout(timer);
          resolve(a);
        } else this.waiting = listen;
      };
      this.waiting = listen;
    });
    for (let i = 0; i < count && this.ws.readyState === WebSocket.OPEN; i++) this.ws.send('{"type":"command.next","commandId":"b"}');
    const answer = await done;
    this.waiting = null;
    return answer;
  }

  close(): void {
    this.ws.close();
  }

  /** Drop this connection and open a new one. */
  async reset(): Promise<void> {
    const ws = this.ws;
    this.waiting = null;
    if (ws.readyState === WebSocket.OPEN) {
      const gone = new Promise((resolve) => ws.once('close', resolve));
      ws.terminate();
      await gone;
    }
    await this.open();
  }
}

/**
 * Throw malformed, hostile and out-of-place frames at a hub from several connections of other
 * users, while a victim user's devices keep transferring and changing volume. Every bad frame
 * must get a documented answer; the victim must never notice.
 */
export async function runFuzz(target: FuzzTarget, opts: FuzzOptions): Promise<FuzzReport> {
  const r = new Random(opts.seed);
  const started = performance.now();
  const report: FuzzReport = {
    seed: opts.seed,
    frames: 0,
    durationMs: 0,
    byCategory: {},
    answers: {},
    unanswered: [],
    bursts: 0,
    victim: { commands: 0, failed: [], reconnects: 0, staleIgnored: 0 },
    hubAlive: false,
  };

  const victimToken = await signToken(target.secret, { userId: 'fuzz-victim', role: 'device' }, 3600);
  const victims = ['phone', 'speaker', 'tv'].map(
    (kind) => new SimDevice({ hub: target.wsUrl, user: 'fuzz-victim', kind: kind as 'phone', id: `victim-${kind}`, token: victimToken }),
  );
  await Promise.all(victims.map((v) => v.connect()));
  await victims[0]!.command({ type: 'command.play', deviceId: victims[0]!.id, contextUri: 'demo:playlist:everything' });
  let stop = false;
  const victimLoop = (async () => {
    for (let i = 0; !stop; i++) {
      const controller = victims[i % victims.length]!;
      const command =
        i % 3 === 0
          ? ({ type: 'command.volume', volumePercent: 10 + (i % 80) } as const)
          : ({ type: 'command.transfer', deviceId: victims[(i + 1) % victims.length]!.id } as const);
      const result = await controller.command(command).catch((err: Error) => ({ ok: false as const, code: err.message }));
      report.victim.commands++;
      if (!result.ok) report.victim.failed.push({ type: command.type, code: result.code });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  const attackers = Array.from({ length: opts.attackers ?? 4 }, (_, i) => new Attacker(target, `fuzz-attacker-${i}`));
  await Promise.all(attackers.map((a) => a.open()));
  const deadline = started + opts.durationMs;
  await Promise.all(
    attackers.map(async (attacker) => {
      let previous = '';
      while (report.frames < opts.frames && performance.now() < deadline) {
        if (attacker.isClosed) await attacker.open();
        if (r.chance(0.003)) {
          report.bursts++;
          const answer = await attacker.burst(5000);
          count(report.answers, `burst:${answer.key}`);
          if (answer.key !== 'RATE_LIMITED' && answer.key !== 4029) report.unanswered.push({ category: 'burst', preview: '5000 frames', got: String(answer.key) });
          // A flooder is cut off (or should be): start again on a fresh connection.
          await attacker.reset();
          continue;
        }
        // Stay under the hub's frame rate (50/s by default), so every frame is answered on its own.
        await new Promise((resolve) => setTimeout(resolve, 25));
        const frame = fuzzFrame(r, { victimDevice: victims[1]!.id });
        report.frames++;
        count(report.byCategory, frame.category);
        const answer = await attacker.send(frame);
        const key = typeof answer.key === 'string' && !['BAD_JSON', 'BAD_REQUEST', 'UNKNOWN_TYPE', 'NOT_READY', 'RATE_LIMITED'].includes(answer.key) && frame.answers.includes('result') && answer.key !== 'no answer' ? 'result' : answer.key;
        count(report.answers, String(answer.key));
        // A socket that kept breaking the protocol is closed with the documented code, whatever its last frame was;
        // and on a loaded machine timers bunch frames together, so the hub's documented push-back can answer any frame.
        if (!frame.answers.includes(key) && key !== CloseCode.INVALID_FRAMES && key !== 'RATE_LIMITED') {
          const preview = typeof frame.data === 'string' ? frame.data.slice(0, 120) : `<binary ${frame.data.length} bytes>`;
          report.unanswered.push({ category: frame.category, preview, got: String(answer.key), after: previous });
        }
        previous = `${frame.category}:${String(answer.key)}`;
        if (report.frames % 500 === 0) opts.onProgress?.(report.frames);
      }
    }),
  );
  stop = true;
  await victimLoop;
  for (const a of attackers) a.close();
  report.victim.reconnects = victims.reduce((n, v) => n + v.connects - 1, 0);
  report.victim.staleIgnored = victims.reduce((n, v) => n + v.staleIgnored, 0);
  await Promise.all(victims.map((v) => v.close()));
  report.hubAlive = await fetch(`${target.url}/healthz`).then(
    (res) => res.ok,
    () => false,
  );
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}
