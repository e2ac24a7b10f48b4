import { cpuSeconds } from './cpu.ts';
import type WebSocket from 'ws';
import { connectUser, deviceUrl, openSocket } from './connect.ts';

export interface TputSpec {
  /** Echo: connections; hub: users (3 devices each, the first one the controller). */
  connections: number;
  /** Frames (or commands) each connection keeps in flight. */
  window: number;
  /** The server's pid, to read its CPU use. */
  serverPid: number;
  warmupMs: number;
  durationMs: number;
}

export interface TputResult {
  perSec: number;
  completed: number;
  /** Trace frames the viewers received while measured (hub with viewers only). */
  viewerFrames?: number;
  /** Share of one core the server and this load process used while measured: which side limits. */
  serverCpu: number;
  loadCpu: number;
}


/** Count completions after the warm-up, over the measured window. */
async function measure(spec: TputSpec, counter: { n: number }): Promise<TputResult> {
  await sleep(spec.warmupMs);
  const start = counter.n;
  const t0 = performance.now();
  const server0 = cpuSeconds(spec.serverPid);
  const load0 = cpuSeconds(process.pid);
  await sleep(spec.durationMs);
  const completed = counter.n - start;
  const seconds = (performance.now() - t0) / 1000;
  return {
    perSec: completed / seconds,
    completed,
    serverCpu: (cpuSeconds(spec.serverPid) - server0) / seconds,
    loadCpu: (cpuSeconds(process.pid) - load0) / seconds,
  };
}

/** Bare echo, saturated: every connection keeps `window` frames in flight. */
export async function echoTput(url: string, spec: TputSpec): Promise<TputResult> {
  const counter = { n: 0 };
  const sockets: WebSocket[] = [];
  for (let c = 0; c < spec.connections; c++) {
    const ws = await openSocket(url);
    const frame = JSON.stringify({ type: 'command.volume', commandId: `tput-${c}-d0-000000`, volumePercent: 40, deviceId: `tput-${c}-d0` });
    ws.on('message', () => {
      counter.n++;
      ws.send(frame);
    });
    sockets.push(ws);
  }
  for (const ws of sockets) {
    const frame = JSON.stringify({ type: 'command.volume', commandId: 'tput-0-d0-000000', volumePercent: 40, deviceId: 'tput-0-d0' });
    for (let i = 0; i < spec.window; i++) ws.send(frame);
  }
  const result = await measure(spec, counter);
  for (const ws of sockets) ws.terminate();
  return result;
}

/**
 * Hub commands, saturated: each user's controller keeps `window` volume commands in flight; a
 * command counts when its result is back (sent after the push to the user's other devices).
 * With `viewers`, a trace socket watches every user.
 */
export async function hubTput(wsUrl: string, traceUrl: string, secret: string, spec: TputSpec & { viewers: boolean }): Promise<TputResult> {
  const counter = { n: 0 };
  const viewerFrames = { n: 0 };
  const refused = { n: 0 };
  const users: Array<() => void> = [];
  const viewers: WebSocket[] = [];
  for (let u = 0; u < spec.connections; u++) {
    const user = `tput-${u}`;
    if (spec.viewers) {
      const viewer = await openSocket((await deviceUrl(traceUrl, secret, user, 'viewer')) + `&user=${user}`);
      viewer.on('message', () => viewerFrames.n++);
      viewers.push(viewer);
    }
    let seq = 0;
    let next: () => void = () => {};
    const devices = await connectUser(wsUrl, secret, user, 3, (device, type, text) => {
      if (device === 0 && type === 'command.result') {
        if (text.includes('"ok":true')) counter.n++;
        else refused.n++;
        next();
      }
    });
    const controller = devices[0]!;
    next = () => {
      seq++;
      controller.send(`{"type":"command.volume","commandId":"${controller.id}-${seq}","volumePercent":${40 + (seq % 2)},"deviceId":"${controller.id}"}`);
    };
    users.push(() => {
      for (let i = 0; i < spec.window; i++) next();
    });
  }
  for (const start of users) start();
  const before = viewerFrames.n;
  const result = await measure(spec, counter);
  for (const v of viewers) v.terminate();
  if (refused.n > 0) throw new Error(`${refused.n} commands refused: raise the hub's limits`);
  return spec.viewers ? { ...result, viewerFrames: viewerFrames.n - before } : result;
}

/**
 * Snapcast, saturated: three control connections each keep `window` `Client.SetVolume` requests in
 * flight; Snapcast notifies the other control clients of each change (two here, as the hub pushes
 * to a user's two other devices). A request counts when its response is back.
 */
export async function snapcastTput(url: string, clientId: string, spec: TputSpec & { serverPid: number }): Promise<TputResult> {
  const counter = { n: 0 };
  const sockets: WebSocket[] = [];
  let id = 0;
  const sendOne = (ws: WebSocket) => {
    id++;
    ws.send(JSON.stringify({ id, jsonrpc: '2.0', method: 'Client.SetVolume', params: { id: clientId, volume: { muted: false, percent: id % 100 } } }));
  };
  for (let c = 0; c < 3; c++) {
    const ws = await openSocket(url);
    ws.on('message', (data: Buffer) => {
      // Responses carry "result"; notifications ("method") only load the other clients.
      if (!data.toString().includes('"result"')) return;
      counter.n++;
      sendOne(ws);
    });
    sockets.push(ws);
  }
  for (const ws of sockets) for (let i = 0; i < spec.window; i++) sendOne(ws);
  const result = await measure(spec, counter);
  for (const ws of sockets) ws.terminate();
  return result;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
