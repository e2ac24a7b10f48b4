import { SimulatedClock } from 'xstate';
import { createSessionMachine } from '../server/src/session/session-machine.ts';
import { Session } from '../server/src/session/session.ts';
import { DEFAULT_SESSION_SETTINGS } from '../server/src/session/settings.ts';
import { TraceLog } from '../server/src/trace/trace-log.ts';

/**
 * `node --expose-gc --import tsx bench/trace-heap.ts [USERS] [COMMANDS]`: the heap one household's
 * session and trace take, in-process, no sockets: USERS households of 4 devices, each joins and
 * sends COMMANDS volume commands (every one commits and pushes the cluster), links keep nothing.
 * Built as a hub builds them: one machine and one trace log for every session, and persisting
 * keeps nothing (a store holds the latest state, once). Prints the heap per device and the
 * trace events held, after a full GC.
 */
const users = Number(process.argv[2] ?? 300);
const commands = Number(process.argv[3] ?? 60);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const sink = { send: () => {}, leadMs: () => 0, close: () => {} };
const CAPS = { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track' as const], controllable: true };
const clock = new SimulatedClock();
clock.set(1_000_000);
const machine = createSessionMachine(DEFAULT_SESSION_SETTINGS);
const trace = new TraceLog(() => clock.now());
gc();
const before = process.memoryUsage().heapUsed;
const sessions: Session[] = [];
let events = 0;
for (let u = 0; u < users; u++) {
  const userId = `user-${u}`;
  const session = new Session({
    userId,
    clock,
    machine,
    settings: DEFAULT_SESSION_SETTINGS,
    trace,
    replyHttp: () => {},
    persist: () => {},
    idle: () => {},
    onError: (err) => {
      throw err;
    },
  });
  for (let d = 0; d < 4; d++) {
    const id = `d${d}`;
    session.link(id, sink);
    session.send({ type: 'device.join', device: { id, name: id, kind: 'speaker', capabilities: CAPS }, resume: undefined, connId: `c-${u}-${d}`, heartbeatMs: 5000 });
  }
  for (let i = 0; i < commands; i++) {
    const command = { type: 'command.volume' as const, commandId: `cmd-${i}`, volumePercent: 40 + (i % 2), deviceId: 'd0' };
    session.send({ type: 'command', command, replyTo: { kind: 'device', deviceId: `d${i % 4}` }, origin: `d${i % 4}` });
  }
  events += trace.lastSeq(userId);
  sessions.push(session);
}
gc();
const after = process.memoryUsage().heapUsed;
process.stdout.write(
  `${users} households x 4 devices, ${commands} commands each: ${((after - before) / users / 4 / 1024).toFixed(2)} KB of heap per device, ${(events / users).toFixed(0)} trace events per household\n`,
);
void sessions.length;
