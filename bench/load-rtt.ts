import type WebSocket from 'ws';
import { connectUser, openSocket } from './connect.ts';
import { nowUs, percentile } from './stats.ts';

export interface RttResult {
  p50Us: number;
  p99Us: number;
  samples: number;
}

export interface RttSpec {
  warmup: number;
  count: number;
}

/** One sample, failing loudly (a refused command would otherwise wait for ever). */
function timed(what: string, start: (done: () => void) => void, timeoutMs = 10_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer in ${timeoutMs} ms`)), timeoutMs);
    start(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const summary = (samples: number[]): RttResult => ({ p50Us: percentile(samples, 50), p99Us: percentile(samples, 99), samples: samples.length });

/** A frame of the same size as a hub volume command, so the floor moves the same bytes up. */
const commandLike = (i: number, deviceId = 'rtt-user-d0') =>
  JSON.stringify({ type: 'command.volume', commandId: `${deviceId}-${i}`, volumePercent: 40 + (i % 2), deviceId });

/** Bare echo, sequential: send one frame, wait for it to come back, repeat. */
export async function echoRtt(url: string, spec: RttSpec): Promise<RttResult> {
  const ws = await openSocket(url);
  const samples: number[] = [];
  let resolveOne: () => void = () => {};
  ws.on('message', () => resolveOne());
  for (let i = 0; i < spec.warmup + spec.count; i++) {
    const t0 = nowUs();
    await timed('echo', (done) => {
      resolveOne = done;
      ws.send(commandLike(i));
    });
    if (i >= spec.warmup) samples.push(nowUs() - t0);
  }
  ws.close();
  return summary(samples);
}

/**
 * Hub command, sequential, 3 devices of one user: the controller sends `command.volume` (the
 * value alternates, so every command commits and fans out); done when its result arrived and the
 * pushed `cluster.update` reached both other devices.
 */
export async function hubRtt(wsUrl: string, secret: string, spec: RttSpec): Promise<RttResult> {
  let updates = 0;
  let result = false;
  let check: () => void = () => {};
  const devices = await connectUser(wsUrl, secret, 'rtt-user', 3, (device, type) => {
    if (device !== 0 && type === 'cluster.update') updates++;
    if (device === 0 && type === 'command.result') result = true;
    check();
  });
  const controller = devices[0]!;
  const samples: number[] = [];
  for (let i = 0; i < spec.warmup + spec.count; i++) {
    updates = 0;
    result = false;
    const t0 = nowUs();
    await timed('hub command', (done) => {
      check = () => {
        if (result && updates >= 2) done();
      };
      controller.send(commandLike(i, controller.id));
    });
    if (i >= spec.warmup) samples.push(nowUs() - t0);
  }
  for (const d of devices) d.close();
  return summary(samples);
}

/**
 * Snapcast: `Client.SetVolume` over the JSON-RPC WebSocket from one control client; done when its
 * response arrived and `Client.OnVolumeChanged` reached both other control clients.
 */
export async function snapcastRtt(url: string, clientId: string, spec: RttSpec): Promise<RttResult> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < 3; i++) sockets.push(await openSocket(url));
  let notified = 0;
  let answered = false;
  let check: () => void = () => {};
  sockets.forEach((ws, i) =>
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (i === 0 && text.includes('"result"')) answered = true;
      else if (i !== 0 && text.includes('Client.OnVolumeChanged')) notified++;
      check();
    }),
  );
  const samples: number[] = [];
  for (let i = 0; i < spec.warmup + spec.count; i++) {
    notified = 0;
    answered = false;
    const t0 = nowUs();
    await timed('snapcast SetVolume', (done) => {
      check = () => {
        if (answered && notified >= 2) done();
      };
      sockets[0]!.send(
        JSON.stringify({ id: i + 1, jsonrpc: '2.0', method: 'Client.SetVolume', params: { id: clientId, volume: { muted: false, percent: 40 + (i % 2) } } }),
      );
    });
    if (i >= spec.warmup) samples.push(nowUs() - t0);
  }
  for (const ws of sockets) ws.close();
  return summary(samples);
}
