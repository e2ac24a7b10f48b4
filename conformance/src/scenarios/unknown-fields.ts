import { Verdict } from '../context.ts';
import type { Scenario } from './scenario.ts';

/**
 * fields.ignore-unknown: every object the hub sends gains a field no protocol version has, and
 * frames of an unknown type arrive now and then; the device must play, stop and switch as before.
 */
export const unknownFields: Scenario = {
  rules: ['fields.ignore-unknown'],
  run: async (kit) => {
    const v = new Verdict('fields.ignore-unknown');
    if (!(await kit.playOnDevice())) {
      v.check(false, 'the device did not play before the scenario');
      return [v.result()];
    }
    const conn = kit.tap.current;
    kit.tap.decorate = true;
    kit.tap.inject({ type: 'hub.kit-future', note: 'a message type from a newer hub' });
    try {
      const steps: Array<[string, () => Promise<unknown>, 'start' | 'stop']> = [
        ['pause', () => kit.command({ type: 'command.pause' }), 'stop'],
        ['play', () => kit.command({ type: 'command.resume' }), 'start'],
        ['transfer away (stop at T)', () => kit.command({ type: 'command.transfer', deviceId: kit.partner.id }), 'stop'],
        ['transfer back (prepare, start at T)', () => kit.command({ type: 'command.transfer', deviceId: kit.deviceId }), 'start'],
      ];
      for (const [what, run, expect] of steps) {
        const from = kit.probe.reports.length;
        await run();
        await kit.probe.until(() => kit.probe.since(from, expect).length > 0, 1500);
        if (
          !v.check(
            kit.probe.since(from, expect).length > 0,
            `${what} with unknown fields everywhere: ${expect === 'start' ? 'started' : 'stopped'}`,
          )
        )
          break;
      }
    } finally {
      kit.tap.decorate = false;
    }
    v.check(conn !== null && conn.closedAt === null, 'kept the connection open', true);
    return [v.result()];
  },
};
