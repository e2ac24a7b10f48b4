import { DeviceMessage } from '@handoff/protocol';
import { SessionHarness } from '../server/src/testing/session-harness.ts';
import type { DeviceLink } from '../server/src/session/device-link.ts';
import { redactJson } from '../server/src/trace/redact.ts';

/**
 * `tsx bench/listener-micro.ts [N] [none|listen]`: CPU per command inside one process (as
 * session-micro.ts: 3 devices, a volume command) with a trace listener on the user that batches
 * like a live viewer's stream (each event's text, joined every 14 events into a `trace.events`
 * frame, made a Buffer as a socket would) or without one: what a viewer costs the hub besides its
 * socket writes. The listener also takes the event object, so the script runs on trees from
 * before listeners got text (it then serializes and redacts the batch, as those trees did).
 */
const n = Number(process.argv[2] ?? 30_000);
const mode = process.argv[3] ?? 'listen';
const h = new SessionHarness();
const sink: DeviceLink = { send: () => {}, leadMs: () => 0, close: () => {} };
for (const id of ['d0', 'd1', 'd2']) {
  h.join(id);
  h.session.link(id, sink);
}
let pending: unknown[] = [];
let out = 0;
const flush = () => {
  const p = pending;
  pending = [];
  const text =
    typeof p[0] === 'string'
      ? `{"type":"trace.events","events":[${(p as string[]).join(',')}]}`
      : redactJson(JSON.stringify({ type: 'trace.events', events: p }));
  out += Buffer.from(text).length;
};
if (mode === 'listen') {
  const listener = (a: unknown, b: unknown) => {
    pending.push(typeof a === 'number' ? b : a);
    if (pending.length >= 14) flush();
  };
  h.trace.subscribe('alice', listener);
}
const frame = (i: number) => `{"type":"command.volume","commandId":"d0-${i}","volumePercent":${40 + (i % 2)},"deviceId":"d0"}`;
const run = async (count: number, offset: number) => {
  for (let i = offset; i < offset + count; i++) {
    const parsed = DeviceMessage.safeParse(JSON.parse(frame(i)));
    if (!parsed.success || parsed.data.type !== 'command.volume') throw new Error('bad frame');
    const seq = h.session.traceEvent('message.in', parsed.data.type, { deviceId: 'd0', payload: parsed.data, correlationId: parsed.data.commandId });
    h.session.send(
      { type: 'command', command: parsed.data, replyTo: { kind: 'device', deviceId: 'd0' }, origin: 'd0' },
      { parentSeq: seq, correlationId: parsed.data.commandId },
    );
    // Let turns end every 8 commands, as they would on the hub (anything held to a turn's end goes).
    if (i % 8 === 0) await new Promise((r) => setImmediate(r));
  }
};
await run(5000, 0);
const t0 = process.cpuUsage();
await run(n, 5000);
const cpu = process.cpuUsage(t0);
process.stdout.write(`${mode} ${n}: ${((cpu.user + cpu.system) / n).toFixed(1)} us CPU per command, viewer bytes per command ${(out / (n + 5000)).toFixed(0)}\n`);
