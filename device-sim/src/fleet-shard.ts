import type { DeviceKind } from '@handoff/protocol';
import type { FleetDevice } from './fleet-device.ts';
import { RawDevice } from './raw-device.ts';
import { deviceTokenSigner } from './sign-token.ts';

export interface ShardOptions {
  /** Device socket URLs; user u connects to hubs[u % hubs.length]. */
  hubs: string[];
  secret: string;
  users: number;
  devicesPerUser: number;
  /** This shard handles the users u with u % shards === shard. */
  shard: number;
  shards: number;
  /** Transfers per second this shard issues. */
  transfersPerSec: number;
  durationS: number;
  skewMs: number;
  jitterMs: number;
  /** Chance per second per device that its connection drops (it reconnects). */
  dropRate: number;
  loadDelayMs: number;
  localAddress?: string;
  userPrefix: string;
  /** Connections opening at once. */
  connectConcurrency: number;
  /** Stop opening new connections after this many seconds and go on with the devices connected (0: none). */
  connectDeadlineS: number;
}

/** What a shard reports as it runs, and at the end. */
export type ShardMessage =
  | { type: 'progress'; connected: number; devices: number; ok: number; failed: number; reconnects: number; connectFailed: number }
  | { type: 'phase'; phase: 'connected' | 'transfers-done'; connectMs?: number; held?: number }
  | { type: 'done'; result: ShardResult }
  /** A worker's shard threw: why (the coordinator reports it and goes on with the others). */
  | { type: 'failed'; message: string };

export interface ShardResult {
  devices: number;
  held: number;
  connectMs: number;
  /** Each connect of the connect phase, from its socket to its welcome (retries included). */
  connectTimesMs: number[];
  sent: number;
  ok: number;
  failed: number;
  errors: Record<string, number>;
  /** Command to result, minus the switch lead the hub scheduled and the simulated load. */
  hubMs: number[];
  /** Command to result, everything included. */
  totalMs: number[];
  reconnects: number;
  /**
   * Connections the hub (or the network) closed, by close code and reason: each device so lost
   * connects again after a moment, as a real one does, so the fleet's size holds.
   */
  lost: Record<string, number>;
  /** Devices that could not connect after retries, and the last reason. */
  connectFailed: number;
  connectError?: string;
}

export interface ShardIo {
  emit(message: ShardMessage): void;
  /** Resolves when the coordinator says go ('transfers', then 'close'). */
  wait(step: 'transfers' | 'close'): Promise<void>;
}

const KINDS: DeviceKind[] = ['phone', 'speaker', 'tv', 'car', 'computer'];

/**
 * From a source address, device i of a shard binds port FIRST_PORT + i: below the kernel's
 * ephemeral range (32768-60999), so never one the kernel hands out, and found in one lookup
 * instead of a search that slows as the address fills (`RawDevice`'s `localPort`).
 */
const FIRST_PORT = 10_000;
const LAST_PORT = 32_767;

interface User {
  id: string;
  devices: FleetDevice[];
  active: number;
  busy: boolean;
}

/** One process's part of a fleet: connect its users' devices, play, pass playback around at a rate, report. */
export async function runShard(o: ShardOptions, io: ShardIo): Promise<void> {
  const users: User[] = [];
  const lost: Record<string, number> = {};
  function onLost(device: FleetDevice, code: number, reason: string): void {
    const key = `${code}${reason ? ` ${reason}` : ''}`;
    lost[key] = (lost[key] ?? 0) + 1;
    setTimeout(() => void connectWithRetry(device), 100 + Math.random() * 900);
  }
  const sign = deviceTokenSigner(o.secret);
  let index = 0;
  for (let u = o.shard; u < o.users; u += o.shards) {
    const id = `${o.userPrefix}${u}`;
    const url = `${o.hubs[u % o.hubs.length]}?access_token=${await sign(id)}`;
    const devices = Array.from(
      { length: o.devicesPerUser },
      (_, d) => {
        const port = FIRST_PORT + index++;
        return new RawDevice({
          url,
          id: `${id}-${KINDS[d % KINDS.length]}${d}`,
          kind: KINDS[d % KINDS.length]!,
          skewMs: (Math.random() * 2 - 1) * o.skewMs,
          jitterMs: o.jitterMs,
          loadDelayMs: o.loadDelayMs,
          ...(o.localAddress ? { localAddress: o.localAddress, ...(port <= LAST_PORT ? { localPort: port } : {}) } : {}),
          onLost,
        });
      },
    );
    users.push({ id, devices, active: -1, busy: false });
  }
  const all = users.flatMap((u) => u.devices);
  const r: ShardResult = { devices: all.length, held: 0, connectMs: 0, connectTimesMs: [], sent: 0, ok: 0, failed: 0, errors: {}, hubMs: [], totalMs: [], reconnects: 0, lost, connectFailed: 0 };
  const report = () =>
    io.emit({ type: 'progress', connected: all.filter((d) => d.connected).length, devices: all.length, ok: r.ok, failed: r.failed, reconnects: r.reconnects, connectFailed: r.connectFailed });
  const ticker = setInterval(report, 1000);

  // Connect, a bounded number at a time (the hub's accept backlog is finite).
  const t0 = performance.now();
  const stopAt = o.connectDeadlineS > 0 ? t0 + o.connectDeadlineS * 1000 : Infinity;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(o.connectConcurrency, all.length) }, async () => {
      while (next < all.length && performance.now() < stopAt) {
        const device = all[next++]!;
        const began = performance.now();
        await connectWithRetry(device);
        if (device.connected) r.connectTimesMs.push(performance.now() - began);
      }
    }),
  );
  r.connectMs = performance.now() - t0;
  report();
  io.emit({ type: 'phase', phase: 'connected', connectMs: r.connectMs, held: all.filter((d) => d.connected).length });

  // Faults: each second, each device drops with probability dropRate and reconnects soon after.
  const faults =
    o.dropRate > 0
      ? setInterval(() => {
          for (const d of all) {
            if (!d.connected || Math.random() >= o.dropRate) continue;
            d.drop();
            r.reconnects++;
            setTimeout(() => void connectWithRetry(d), 100 + Math.random() * 900);
          }
        }, 1000)
      : null;

  await io.wait('transfers');
  // Enough playing users that each transfers about every two seconds (a transfer takes a few hundred ms).
  const playing = users.slice(0, Math.min(users.length, Math.max(1, Math.ceil(2 * o.transfersPerSec))));
  let seq = 0;
  const transfer = async (user: User, target: number, play: boolean) => {
    const controller = user.devices[Math.floor(Math.random() * user.devices.length)]!;
    const to = user.devices[target]!;
    const commandId = `${controller.id}-${++seq}`;
    user.busy = true;
    r.sent++;
    const start = performance.now();
    to.lastSwitchWaitMs = 0;
    try {
      const result = await controller.command(
        play ? { type: 'command.play', commandId, deviceId: to.id, contextUri: 'demo:playlist:everything' } : { type: 'command.transfer', commandId, deviceId: to.id, play: true },
      );
      const total = performance.now() - start;
      if (result.ok) {
        r.ok++;
        r.totalMs.push(total);
        r.hubMs.push(Math.max(0, total - to.lastSwitchWaitMs - o.loadDelayMs));
        user.active = target;
      } else {
        r.failed++;
        r.errors[result.code] = (r.errors[result.code] ?? 0) + 1;
      }
    } catch (err) {
      r.failed++;
      r.errors.NO_RESULT = (r.errors.NO_RESULT ?? 0) + 1;
      void err;
    }
    user.busy = false;
  };
  await Promise.all(playing.map((u) => transfer(u, 0, true)));
  r.ok = 0;
  r.failed = 0;
  r.sent = 0;
  r.errors = {};
  r.hubMs.length = 0;
  r.totalMs.length = 0;

  // Issue transfers at the rate, each to a device of an idle playing user that is not the active one.
  const end = performance.now() + o.durationS * 1000;
  const inFlight = new Set<Promise<void>>();
  let owed = 0;
  let last = performance.now();
  while (performance.now() < end) {
    await new Promise((res) => setTimeout(res, 10));
    const now = performance.now();
    owed += ((now - last) / 1000) * o.transfersPerSec;
    last = now;
    for (let tries = 0; owed >= 1 && tries < playing.length; tries++) {
      const user = playing[Math.floor(Math.random() * playing.length)]!;
      if (user.busy || !user.devices.every((d) => d.connected)) continue;
      owed--;
      const target = (user.active + 1 + Math.floor(Math.random() * (user.devices.length - 1))) % user.devices.length;
      const p = transfer(user, target, false);
      inFlight.add(p);
      void p.then(() => inFlight.delete(p));
    }
    owed = Math.min(owed, 1); // a rate, not a backlog: no burst after a moment when every user was busy
  }
  await Promise.all(inFlight);
  if (faults) clearInterval(faults);
  r.held = all.filter((d) => d.connected).length;
  report();
  io.emit({ type: 'phase', phase: 'transfers-done', held: r.held });
  await io.wait('close');
  clearInterval(ticker);
  for (const d of all) d.close();
  io.emit({ type: 'done', result: r });

  /** Connect, retrying with backoff; a device that never gets in is counted, with the reason. */
  async function connectWithRetry(device: FleetDevice): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await device.connect();
      } catch (err) {
        if (attempt === 4) {
          r.connectFailed++;
          r.connectError = (err as Error).message;
          return;
        }
        await new Promise((res) => setTimeout(res, 200 * 2 ** attempt));
      }
    }
  }
}
