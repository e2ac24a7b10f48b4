import { SessionHarness } from '../server/src/testing/session-harness.ts';

/**
 * `node --expose-gc --import tsx bench/trace-heap.ts [USERS] [COMMANDS]`: the heap one household's
 * session and trace take, in-process, no sockets: USERS households of 4 devices, each joins and
 * sends COMMANDS volume commands (every one commits and pushes the cluster), links keep nothing.
 * Prints the heap per device and the trace events held, after a full GC.
 */
const users = Number(process.argv[2] ?? 300);
const commands = Number(process.argv[3] ?? 60);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const sink = { send: () => {}, leadMs: () => 0, close: () => {} };
gc();
const before = process.memoryUsage().heapUsed;
const households: SessionHarness[] = [];
let events = 0;
for (let u = 0; u < users; u++) {
  const h = new SessionHarness();
  for (let d = 0; d < 4; d++) {
    h.join(`d${d}`);
    h.session.link(`d${d}`, sink);
  }
  for (let i = 0; i < commands; i++) h.command(`d${i % 4}`, { type: 'command.volume', volumePercent: 40 + (i % 2), deviceId: 'd0' });
  h.links.clear();
  events += h.trace.lastSeq('alice');
  households.push(h);
}
gc();
const after = process.memoryUsage().heapUsed;
process.stdout.write(
  `${users} households x 4 devices, ${commands} commands each: ${((after - before) / users / 4 / 1024).toFixed(2)} KB of heap per device, ${(events / users).toFixed(0)} trace events per household\n`,
);
void households.length;
