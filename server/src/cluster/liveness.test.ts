import { describe, expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import { MemoryBroker, MemoryBus } from '../bus/memory-bus.ts';
import { silentLog } from '../log.ts';
import { Calls, type Answer } from './calls.ts';
import { Liveness } from './liveness.ts';
import { Outbox } from './outbox.ts';
import { RemoteDevices } from './remote-devices.ts';
import type { RoutedSession } from './routed-session.ts';
import { inbox, WIRE_VERSION, type Envelope, type EventItem, type Item } from './wire.ts';

const flush = () => new Promise((r) => setTimeout(r, 0));

/** Node `a` (Outbox, Calls, Liveness) on a simulated clock, and node `b` as a bare inbox that answers pings only when told to. */
async function setup() {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const broker = new MemoryBroker();
  const resent: Array<{ node: string; items: EventItem[] }> = [];
  const outbox = new Outbox('a', new MemoryBus(broker), silentLog, () => {});
  let liveness: Liveness | null = null;
  const calls = new Calls('a', outbox, (node) => liveness!.isGone(node), clock);
  const remote = new RemoteDevices(outbox, () => clock.now());
  liveness = new Liveness({ livenessMs: 100, nodeGoneAfterMs: 300 }, () => clock.now(), outbox, calls, {
    routed: new Map<string, RoutedSession>(),
    remote,
    sessionOf: () => undefined,
    resend: (node, items) => resent.push({ node, items }),
  });
  // Node b: what reaches its inbox, and (while `answering`) a pong, with an ack of what it got, for every ping.
  const atB: Envelope[] = [];
  const b = { answering: true, seq: 0 };
  const busB = new MemoryBus(broker);
  await busB.subscribe(inbox('b'), (text) => {
    const envelope = JSON.parse(text) as Envelope;
    atB.push(envelope);
    if (!b.answering) return;
    const pongs: Item[] = envelope.items.flatMap((i) => (i.t === 'ping' ? [{ t: 'pong', id: i.id } as const] : []));
    if (pongs.length) void busB.publish(inbox('a'), JSON.stringify({ v: WIRE_VERSION, from: 'b', inc: 'b1', seq: ++b.seq, ack: { inc: envelope.inc, seq: envelope.seq }, items: pongs } satisfies Envelope));
  });
  await new MemoryBus(broker).subscribe(inbox('a'), (text) => {
    const envelope = JSON.parse(text) as Envelope;
    outbox.received(envelope);
    liveness.heardFrom(envelope.from);
    for (const item of envelope.items) if (item.t === 'pong') calls.answered(item.id, item);
  });
  const event = (n: number): EventItem => ({ t: 'ev', u: 'user-1', n, tr: { kind: 'message.in', type: `e${n}` } });
  /** Let `ms` of simulated time pass, running a liveness check every 100 ms. */
  const pass = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      clock.increment(100);
      liveness.check();
      await flush();
    }
  };
  return { clock, outbox, calls, liveness, resent, atB, b, event, pass };
}

describe('liveness from answers, not from receiver counts', () => {
  test('events stay held until the destination acknowledges their envelope; then they are let go', async () => {
    const { outbox, event, atB, pass } = await setup();
    outbox.post('b', event(1));
    outbox.post('b', event(2));
    await flush();
    expect(atB).toHaveLength(1);
    expect(outbox.unackedNodes()).toEqual(['b']);
    // b is quiet (sends nothing back): a's liveness pings it, and the pong acknowledges the events.
    await pass(200);
    expect(outbox.unackedNodes()).toEqual([]);
    expect(outbox.takeUnacked('b')).toEqual([]);
  });

  test('a node that stops answering is found gone: its unacknowledged events are handed back in order, and its waiting calls fail at once', async () => {
    const { outbox, calls, liveness, resent, event, b, pass } = await setup();
    b.answering = false;
    outbox.post('b', event(1));
    outbox.post('b', event(2));
    let answer: Answer | 'waiting' = 'waiting';
    void calls.call('b', { t: 'read', u: 'user-1', id: '' }, 60_000).then((a) => (answer = a));
    await flush();
    await pass(200);
    expect(liveness.isGone('b')).toBe(false);
    expect(answer).toBe('waiting');
    await pass(300);
    expect(liveness.isGone('b')).toBe(true);
    expect(answer).toBe('undelivered');
    expect(resent).toEqual([{ node: 'b', items: [event(1), event(2)] }]);
    // A new call to a node found gone does not wait at all.
    expect(await calls.call('b', { t: 'read', u: 'user-1', id: '' }, 60_000)).toBe('undelivered');
  });

  test('a node found gone that answers again is alive again, and calls to it wait for its answer', async () => {
    const { calls, liveness, b, event, outbox, pass } = await setup();
    b.answering = false;
    outbox.post('b', event(1));
    await flush();
    await pass(600);
    expect(liveness.isGone('b')).toBe(true);
    b.answering = true;
    expect(await liveness.answers('b')).toBe(true);
    expect(liveness.isGone('b')).toBe(false);
    const pong = await calls.call('b', { t: 'ping', id: '' }, 60_000);
    expect(pong).toMatchObject({ t: 'pong' });
  });

  test('a call with no answer gets null at its deadline on the injected clock', async () => {
    const { calls, clock, b } = await setup();
    b.answering = false;
    let answer: Answer | 'waiting' = 'waiting';
    void calls.call('b', { t: 'ping', id: '' }, 250).then((a) => (answer = a));
    await flush();
    clock.increment(200);
    await flush();
    expect(answer).toBe('waiting');
    clock.increment(100);
    await flush();
    expect(answer).toBeNull();
  });
});
