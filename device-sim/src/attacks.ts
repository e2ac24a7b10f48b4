import { PROTOCOL_VERSION } from '@handoff/protocol';
import WebSocket from 'ws';

/**
 * Hostile clients, for the isolation bench and tests: what one user (or one address) can throw at
 * a hub with nothing but a valid device token. Each attack runs until stopped and reports what
 * the hub did to it.
 */
export interface AttackReport {
  /** Sockets opened (upgrades that succeeded). */
  sockets: number;
  /** Sockets the hub closed, by close code (a client's own close or a reset is not counted). */
  closedByHub: Record<string, number>;
  /** Upgrades answered with HTTP 429, and with other statuses or errors. */
  refused429: number;
  refusedOther: number;
  /** Of those, connections the hub reset without any answer (refused at TCP accept). */
  reset: number;
  /** Frames sent. */
  frames: number;
  /** Refusals with RATE_LIMITED the hub answered (the command flood). */
  rateLimited: number;
}

export interface Attack {
  /** Stop, close everything, and say what happened. */
  stop(): Promise<AttackReport>;
}

export interface AttackOptions {
  /** Socket URL with the attacker's access token. */
  url: string;
  /** Loopback source address to attack from (so the per-address limits see one address). */
  localAddress?: string;
  /** Sockets (or upgrade attempts) at once. */
  parallel: number;
}

const CLIENT_CLOSES = new Set([1000, 1005, 1006]);

function newReport(): AttackReport {
  return { sockets: 0, closedByHub: {}, refused429: 0, refusedOther: 0, reset: 0, frames: 0, rateLimited: 0 };
}

/** Open one socket; resolves with it once open, or null when the upgrade was refused. */
function open(opts: AttackOptions, report: AttackReport): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(opts.url, { perMessageDeflate: false, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    let settled = false;
    const settle = (value: WebSocket | null) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    ws.once('unexpected-response', (req, res) => {
      if (res.statusCode === 429) report.refused429++;
      else report.refusedOther++;
      res.resume();
      req.destroy();
      settle(null);
    });
    ws.on('error', (err: NodeJS.ErrnoException) => {
      if (!settled) {
        report.refusedOther++;
        if (err.code === 'ECONNRESET' || err.message === 'socket hang up') report.reset++;
      }
      settle(null);
    });
    ws.once('open', () => {
      report.sockets++;
      settle(ws);
    });
    ws.once('close', (code) => {
      if (!CLIENT_CLOSES.has(code)) report.closedByHub[code] = (report.closedByHub[code] ?? 0) + 1;
    });
  });
}

function closed(ws: WebSocket): Promise<void> {
  return ws.readyState === WebSocket.CLOSED ? Promise.resolve() : new Promise((resolve) => ws.once('close', () => resolve()));
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A hello for a device id. */
export function helloFrame(id: string): string {
  return JSON.stringify({
    type: 'device.hello',
    protocolVersion: PROTOCOL_VERSION,
    device: { id, name: id, kind: 'computer', capabilities: { canPlay: true, volumeSteps: 10, mediaTypes: ['audio/track'], controllable: true } },
  });
}

/** The hostile frames of the issue that started this: random bytes, bracket nests, huge strings, pollution keys, big arrays, wrong types. */
export function garbageFrames(count: number, seed = 1): Array<string | Buffer> {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const kinds = [
    () => Buffer.from(Array.from({ length: 64 }, () => Math.floor(rand() * 256))),
    () => '['.repeat(5000) + ']'.repeat(5000),
    () => JSON.stringify('x'.repeat(50_000)),
    () => '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":1}},"type":"command.pause","commandId":"p"}',
    () => JSON.stringify(Array.from({ length: 2000 }, (_, i) => i)),
    () => JSON.stringify({ type: 'command.seek', commandId: 7, positionMs: 'soon' }),
    () => '{"type":"command.volume","commandId":"v","volumePercent":1e308}',
    () => '{"type":',
  ];
  return Array.from({ length: count }, () => kinds[Math.floor(rand() * kinds.length)]!());
}

/**
 * Malformed-frame churn: `parallel` sockets at a time, each sending `framesPerSocket` hostile
 * frames at once (every other one after a hello, the rest before it), then closing, and a new
 * one opening, until stopped.
 */
export function garbageChurn(opts: AttackOptions & { framesPerSocket: number }): Attack {
  const report = newReport();
  const frames = garbageFrames(opts.framesPerSocket);
  let running = true;
  let n = 0;
  const worker = async () => {
    while (running) {
      const ws = await open(opts, report);
      if (!ws) {
        await pause(50);
        continue;
      }
      // Device ids reused, so the user's device limit is not what stops the attack.
      if (n++ % 2 === 0) ws.send(helloFrame(`garbage-${n % (2 * opts.parallel)}`));
      for (const f of frames) {
        if (ws.readyState !== WebSocket.OPEN) break;
        ws.send(f);
        report.frames++;
      }
      // Give the hub a moment to read what was sent (and close the socket if it will), then drop it.
      await Promise.race([closed(ws), pause(100)]);
      ws.terminate();
      await closed(ws);
    }
  };
  const workers = Array.from({ length: opts.parallel }, worker);
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return report;
    },
  };
}

/** A connection storm from one address: `parallel` upgrade attempts at a time, each socket closed as soon as it opens. */
export function connectionStorm(opts: AttackOptions): Attack {
  const report = newReport();
  let running = true;
  const worker = async () => {
    while (running) {
      const ws = await open(opts, report);
      if (!ws) continue;
      ws.close(1000);
      await closed(ws);
    }
  };
  const workers = Array.from({ length: opts.parallel }, worker);
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return report;
    },
  };
}

/**
 * A flood of valid commands from one user: `parallel` devices, each sending `command.volume` as
 * fast as its socket drains, reconnecting when the hub cuts it off, until stopped.
 */
export function commandFlood(opts: AttackOptions & { user: string }): Attack {
  const report = newReport();
  let running = true;
  const worker = async (d: number) => {
    let i = 0;
    while (running) {
      const ws = await open(opts, report);
      if (!ws) {
        await pause(50);
        continue;
      }
      const welcomed = new Promise<boolean>((resolve) => {
        ws.on('message', (data: Buffer) => {
          const text = data.toString();
          if (text.includes('"RATE_LIMITED"')) report.rateLimited++;
          else if (text.startsWith('{"type":"hub.welcome"')) resolve(true);
        });
        ws.once('close', () => resolve(false));
      });
      ws.send(helloFrame(`${opts.user}-flood-${d}`));
      if (!(await welcomed)) continue;
      // Something playing, so the volume commands are valid and commit (and fan out) up to the user's budget.
      if (d === 0) ws.send(`{"type":"command.play","commandId":"${opts.user}-play-${++i}","deviceId":"${opts.user}-flood-0","contextUri":"demo:playlist:everything"}`);
      while (running && ws.readyState === WebSocket.OPEN) {
        // As fast as the socket drains: a few frames per turn, then let the I/O happen.
        if (ws.bufferedAmount < 64 * 1024) {
          for (let k = 0; k < 32; k++) {
            ws.send(`{"type":"command.volume","commandId":"${opts.user}-${d}-${++i}","volumePercent":${i % 100}}`);
            report.frames++;
          }
        }
        await new Promise((r) => setImmediate(r));
      }
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      await closed(ws);
    }
  };
  const workers = Array.from({ length: opts.parallel }, (_, d) => worker(d));
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return report;
    },
  };
}
