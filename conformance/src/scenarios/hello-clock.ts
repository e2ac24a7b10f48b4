import { DeviceMessage, PROTOCOL_VERSION } from '@handoff/protocol';
import { ms, Verdict, type Kit } from '../context.ts';
import type { RuleResult } from '../rules.ts';
import type { Frame } from '../tap.ts';
import type { Scenario } from './scenario.ts';

/** hello.version: the first frame is a valid device.hello of this protocol version, and nothing else comes before the welcome. */
export const hello: Scenario = {
  rules: ['hello.version'],
  run: (kit) => Promise.resolve(checkHello(kit)),
};

function checkHello(kit: Kit): RuleResult[] {
  const v = new Verdict('hello.version');
  const first = kit.tap.frames.find((f) => f.conn === 1 && f.dir === 'in');
  if (!v.check(first?.msg?.type === 'device.hello', `first frame: ${first?.msg ? String(first.msg.type) : 'none, or not JSON'}`))
    return [v.result()];
  const parsed = DeviceMessage.safeParse(first!.msg);
  const issue = parsed.success ? null : parsed.error.issues[0];
  v.check(
    parsed.success,
    parsed.success ? 'device.hello matches the schema' : `device.hello invalid at ${issue?.path.join('.')}: ${issue?.message}`,
  );
  v.check(
    first!.msg!.protocolVersion === PROTOCOL_VERSION,
    `protocolVersion ${String(first!.msg!.protocolVersion)} (hub speaks ${PROTOCOL_VERSION})`,
    true,
  );
  const welcome = kit.tap.frames.find((f) => f.conn === 1 && f.dir === 'out' && f.msg?.type === 'hub.welcome');
  if (!v.check(welcome !== undefined, welcome ? `welcomed ${ms(welcome.at - first!.at)} after the hello` : 'no hub.welcome'))
    return [v.result()];
  const before = kit.tap.frames.filter((f) => f.conn === 1 && f.dir === 'in' && f.at < welcome!.at && f !== first);
  v.check(
    before.length === 0,
    before.length
      ? `sent ${before.map((f) => String(f.msg?.type)).join(', ')} before the welcome`
      : 'sent nothing else before the welcome',
  );
  return [v.result()];
}

/** clock.answers: every ping gets its pong, at once, echoing pingId and t0, with t1 <= t2 on one clock. */
export const clock: Scenario = {
  rules: ['clock.answers'],
  run: async (kit) => {
    const v = new Verdict('clock.answers');
    // The burst after the welcome, then a couple of heartbeats.
    await kit.sleep(Math.max(800, 3 * kit.settings.heartbeatMs));
    const conn = kit.tap.frames.find((f) => f.dir === 'out' && f.msg?.type === 'hub.welcome')?.conn ?? 1;
    const cutoff = kit.now() - 150;
    const pings = kit.tap.frames.filter(
      (f) => f.conn === conn && f.dir === 'out' && f.msg?.type === 'clock.ping' && f.at < cutoff,
    );
    const pongs = kit.tap.frames.filter((f) => f.conn === conn && f.dir === 'in' && f.msg?.type === 'clock.pong');
    if (!v.check(pings.length > 0, `${pings.length} clock.ping sent`)) return [v.result()];
    const delays: number[] = [];
    let bad = 0;
    for (const ping of pings) {
      const pong = pongs.find((p) => p.msg!.pingId === ping.msg!.pingId);
      if (!pong) continue;
      delays.push(pong.at - ping.at);
      const { t0, t1, t2 } = pong.msg as { t0: unknown; t1: unknown; t2: unknown };
      if (t0 !== ping.msg!.t0 || typeof t1 !== 'number' || typeof t2 !== 'number' || t2 < t1) bad++;
    }
    v.check(delays.length === pings.length, `${delays.length} of ${pings.length} pings answered`, true);
    v.check(bad === 0, bad ? `${bad} pongs did not echo t0 or had t2 < t1` : 'every pong echoes pingId and t0, with t1 <= t2');
    if (delays.length) v.check(Math.max(...delays) < 100, `slowest answer ${ms(Math.max(...delays))} (at once: under 100 ms)`);
    const sync = kit.tap.frames.findLast((f) => f.dir === 'out' && f.msg?.type === 'clock.sync');
    const errorMs = typeof sync?.msg?.errorMs === 'number' ? sync.msg.errorMs : Infinity;
    v.check(
      errorMs <= 25,
      sync
        ? `hub's estimate: offset ${ms(kit.offsetMs())} +- ${ms(errorMs)}`
        : 'the hub could not estimate the clock (no clock.sync)',
    );
    return [v.result()];
  },
};

/** The device's id, as its first hello gave it. */
export function helloId(frames: readonly Frame[]): string | null {
  const hello = frames.find((f) => f.dir === 'in' && f.msg?.type === 'device.hello');
  const device = hello?.msg?.device as { id?: unknown } | undefined;
  return typeof device?.id === 'string' ? device.id : null;
}
