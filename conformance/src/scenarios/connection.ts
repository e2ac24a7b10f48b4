import { PROTOCOL_VERSION } from '@handoff/protocol';
import { signToken } from '@handoff/server';
import WebSocket from 'ws';
import { ms, Verdict, type Kit } from '../context.ts';
import type { Scenario } from './scenario.ts';

/**
 * The hello on the first connection opened after connection `n` that was welcomed, waiting up to
 * `timeoutMs` (so the next scenario starts on a connection the hub has joined).
 */
async function helloAfter(kit: Kit, n: number, timeoutMs: number) {
  const welcomed = () => kit.tap.frames.find((f) => f.conn > n && f.dir === 'out' && f.msg?.type === 'hub.welcome') ?? null;
  await kit.tap.until(() => welcomed() !== null, timeoutMs);
  const conn = welcomed()?.conn;
  return kit.tap.frames.find((f) => f.conn === conn && f.dir === 'in' && f.msg?.type === 'device.hello') ?? null;
}

const lastConn = (kit: Kit) => kit.tap.connections.at(-1)?.n ?? 0;

/** The revision of the last cluster the hub sent the device. */
function lastRevisionSent(kit: Kit): number | null {
  const frame = kit.tap.frames.findLast(
    (f) => f.dir === 'out' && !f.injected && (f.msg?.type === 'cluster.update' || f.msg?.type === 'hub.welcome'),
  );
  const cluster = frame?.msg?.cluster as { revision?: unknown } | undefined;
  return typeof cluster?.revision === 'number' ? cluster.revision : null;
}

/** reconnect.resume: the kit cuts the socket; the device reconnects with resume and never stops its sound. */
export const reconnect: Scenario = {
  rules: ['reconnect.resume'],
  run: async (kit) => {
    const v = new Verdict('reconnect.resume');
    if (!(await kit.playOnDevice())) {
      v.check(false, 'the device did not play before the drop');
      return [v.result()];
    }
    // What the device was last sent (not the hub's state: a push may still be on its way).
    await kit.sleep(200);
    const revision = lastRevisionSent(kit);
    const n = lastConn(kit);
    const from = kit.probe.reports.length;
    const droppedAt = kit.now();
    kit.tap.drop();
    const hello = await helloAfter(kit, n, 5000);
    if (
      !v.check(
        hello !== null,
        hello ? `reconnected ${ms(hello.at - droppedAt)} after the drop` : 'did not reconnect within 5 s',
        true,
      )
    )
      return [v.result()];
    const resume = hello!.msg!.resume as { revision?: unknown; playing?: unknown } | undefined;
    v.check(resume !== undefined, resume ? 'its hello carries resume' : 'its hello has no resume');
    if (resume) {
      v.check(resume.revision === revision, `resume.revision ${String(resume.revision)} (the last it applied: ${revision})`);
      v.check(resume.playing === true, `resume.playing ${String(resume.playing)}`);
    }
    await kit.sleep(300);
    v.check(kit.probe.since(from, 'stop').length === 0, 'kept playing through the reconnect');
    v.check((await kit.cluster()).activeDeviceId === kit.deviceId, 'still the active device');
    return [v.result()];
  },
};

/** liveness.silent-hub: the hub falls silent on an open socket; the device drops it after 3 heartbeats and reconnects. */
export const liveness: Scenario = {
  rules: ['liveness.silent-hub'],
  run: async (kit) => {
    const v = new Verdict('liveness.silent-hub');
    const conn = kit.tap.current;
    if (!v.check(conn !== null, 'connected')) return [v.result()];
    const lastHeard = kit.tap.lastOut()?.at ?? kit.now();
    kit.tap.blackhole();
    const limit = 3 * kit.settings.heartbeatMs + 1500;
    await kit.tap.until(() => conn!.closedAt !== null, limit);
    if (
      !v.check(
        conn!.closedBy === 'device',
        conn!.closedAt !== null
          ? `dropped the silent socket ${ms(conn!.closedAt - lastHeard)} after the last frame (3 heartbeats: ${3 * kit.settings.heartbeatMs} ms)`
          : `kept a silent socket open for ${limit} ms`,
        true,
      )
    ) {
      kit.tap.drop();
    }
    const hello = await helloAfter(kit, conn!.n, 5000);
    v.check(hello !== null, hello ? 'reconnected' : 'did not reconnect within 5 s');
    return [v.result()];
  },
};

/** grace.silence: no hub can be reached; the device goes silent graceMs after the last frame it heard. */
export const grace: Scenario = {
  rules: ['grace.silence'],
  run: async (kit) => {
    const v = new Verdict('grace.silence');
    if (!(await kit.playOnDevice())) {
      v.check(false, 'the device did not play before the hub vanished');
      return [v.result()];
    }
    const n = lastConn(kit);
    const from = kit.probe.reports.length;
    kit.tap.refusing = true;
    kit.tap.drop();
    const lastHeard = kit.tap.lastOut()!.at;
    const { graceMs } = kit.settings;
    await kit.probe.until(() => kit.probe.since(from, 'stop').length > 0, graceMs + 2000);
    const stop = kit.probe.since(from, 'stop')[0];
    if (
      v.check(
        stop !== undefined,
        stop ? 'went silent' : `still playing ${graceMs + 2000} ms after the last frame (grace ${graceMs} ms)`,
      )
    ) {
      const off = kit.serverTime(stop!.at) - (lastHeard + graceMs);
      v.check(off >= -200 && off <= 300, `silent ${ms(off)} from the end of the grace period (allowed -200 .. +300 ms)`, true);
    }
    kit.tap.refusing = false;
    const hello = await helloAfter(kit, n, 8000);
    v.check(hello !== null, hello ? 'reconnected once the hub was back' : 'did not reconnect within 8 s of the hub coming back');
    if (hello) {
      // Its role was given away: back on the hub, it stays silent.
      const back = kit.probe.reports.length;
      await kit.sleep(300);
      v.check(kit.probe.since(back, 'start').length === 0, 'stayed silent once back (its role had been given away)');
    }
    return [v.result()];
  },
};

/** identity.replaced: another socket registers the device's id; the device is closed with 4013 and stays away. */
export const replaced: Scenario = {
  rules: ['identity.replaced'],
  run: async (kit) => {
    const v = new Verdict('identity.replaced');
    const conn = kit.tap.current;
    if (!v.check(conn !== null, 'connected')) return [v.result()];
    const token = await signToken(kit.hub.secret, { userId: kit.userId, role: 'device' }, 600);
    const impostor = new WebSocket(`${kit.hub.wsUrl}?access_token=${token}`);
    await new Promise<void>((resolve, reject) => (impostor.once('open', () => resolve()), impostor.once('error', reject)));
    impostor.send(
      JSON.stringify({
        type: 'device.hello',
        protocolVersion: PROTOCOL_VERSION,
        device: {
          id: kit.deviceId,
          name: 'Same id, other socket',
          kind: 'speaker',
          capabilities: { canPlay: true, volumeSteps: 0, mediaTypes: ['audio/track'], controllable: true },
        },
      }),
    );
    await kit.tap.until(() => conn!.closedAt !== null, 2000);
    v.check(conn!.closeCode === 4013, `its socket was closed with ${String(conn!.closeCode)}`);
    const hello = await helloAfter(kit, conn!.n, 2500);
    v.check(
      hello === null,
      hello ? `reconnected ${ms(hello.at - conn!.closedAt!)} after 4013` : 'did not reconnect in 2.5 s after 4013',
      true,
    );
    impostor.send(JSON.stringify({ type: 'device.goodbye' }));
    impostor.close();
    return [v.result()];
  },
};
