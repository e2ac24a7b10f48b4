import { DeviceMessage } from '@handoff/protocol';
import { SessionHarness } from '../server/src/testing/session-harness.ts';
import type { DeviceLink } from '../server/src/session/device-link.ts';

/**
 * `tsx bench/session-micro.ts [N]`: CPU per command inside one process, no sockets: what the hub
 * spends on a `command.volume` between the frame's text and the texts it hands to sockets
 * (parse, session machine, reducers, fan-out encoding, tracing). 3 devices, like the rtt scenario.
 * `NO_TRACE=1` records nothing, to see what tracing costs.
 */
const n = Number(process.argv[2] ?? 50_000);
const h = new SessionHarness();
let bytes = 0;
const sink: DeviceLink = { send: (text) => void (bytes += text.length), leadMs: () => 0, close: () => {} };
for (const id of ['d0', 'd1', 'd2']) {
  h.join(id);
  h.session.link(id, sink);
}
const frame = (i: number) => `{"type":"command.volume","commandId":"d0-${i}","volumePercent":${40 + (i % 2)},"deviceId":"d0"}`;
const run = (count: number, offset: number) => {
  for (let i = offset; i < offset + count; i++) {
    const text = frame(i);
    const parsed = DeviceMessage.safeParse(JSON.parse(text));
    if (!parsed.success || parsed.data.type !== 'command.volume') throw new Error('bad frame');
    const seq = h.session.traceEvent('message.in', parsed.data.type, {
      deviceId: 'd0',
      payload: parsed.data,
      correlationId: parsed.data.commandId,
    });
    h.session.send(
      { type: 'command', command: parsed.data, replyTo: { kind: 'device', deviceId: 'd0' }, origin: 'd0' },
      { parentSeq: seq, correlationId: parsed.data.commandId },
    );
  }
};
if (process.env['NO_TRACE']) h.trace.record = () => 0;
run(5000, 0);
const t0 = process.cpuUsage();
const w0 = performance.now();
run(n, 5000);
const cpu = process.cpuUsage(t0);
const wall = performance.now() - w0;
process.stdout.write(
  `${n} commands: ${((cpu.user + cpu.system) / n).toFixed(1)} us CPU each (${((wall * 1000) / n).toFixed(1)} us wall), ${(bytes / (n + 5000) / 3).toFixed(0)} bytes per frame out\n`,
);
