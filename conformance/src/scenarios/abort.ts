import { Kit, ms, Verdict } from '../context.ts';
import type { Scenario } from './scenario.ts';

/**
 * abort.resume-at: as source, the device stops at T for a partner that never confirms; the hub
 * aborts and the device must resume on `resumeAt`. As target, a transfer superseded while it
 * prepares must leave it silent.
 */
export const abort: Scenario = {
  rules: ['abort.resume-at'],
  run: async (kit) => {
    const v = new Verdict('abort.resume-at');
    if (!(await kit.playOnDevice())) {
      v.check(false, 'the device did not play before the transfer');
      return [v.result()];
    }
    kit.partner.mode = { ready: true, confirm: false };
    let since = kit.tap.frames.length;
    let from = kit.probe.reports.length;
    const result = await kit.command({ type: 'command.transfer', deviceId: kit.partner.id });
    kit.partner.mode = { ready: true, confirm: true };
    v.check(
      !result.ok && result.code === 'TRANSFER_TIMEOUT',
      `a transfer the partner never confirmed: ${result.ok ? 'committed?' : result.code}`,
    );
    await kit.tap.until(() => kit.tap.find(since, 'out', 'transfer.abort').length > 0, 1000);
    const abortFrame = kit.tap.find(since, 'out', 'transfer.abort')[0];
    if (
      !v.check(
        abortFrame?.msg?.resumeAt !== undefined,
        abortFrame ? 'the source got transfer.abort with resumeAt' : 'no transfer.abort reached the device',
      )
    )
      return [v.result()];
    v.check(kit.probe.since(from, 'stop').length > 0, 'it had stopped at T');
    from = kit.probe.reports.findIndex((r, i) => i >= from && r.event.event === 'stop') + 1;
    await kit.probe.until(() => kit.probe.since(from, 'start').length > 0, 1000);
    const resumed = kit.probe.since(from, 'start')[0];
    if (
      v.check(
        resumed !== undefined,
        resumed
          ? `resumed ${ms(kit.serverTime(resumed.at) - abortFrame!.at)} after the abort`
          : 'did not resume within 1 s of the abort',
      )
    ) {
      const line = abortFrame!.msg!.resumeAt as { positionMs: number; atServerTime: number; rate: 0 | 1 };
      const off = resumed!.positionMs - Kit.lineAt(line, kit.serverTime(resumed!.at));
      v.check(Math.abs(off) <= 100, `resumed ${ms(off)} off the resumeAt line`, true);
    }

    // Target: prepare, then at once a seek supersedes the transfer before it can switch.
    await kit.command({ type: 'command.transfer', deviceId: kit.partner.id });
    since = kit.tap.frames.length;
    from = kit.probe.reports.length;
    const transfer = kit.command({ type: 'command.transfer', deviceId: kit.deviceId });
    const seek = kit.command({ type: 'command.seek', positionMs: 30_000 });
    const [moved] = await Promise.all([transfer, seek]);
    if (!moved.ok) await kit.tap.until(() => kit.tap.find(since, 'out', 'transfer.abort').length > 0, 1000);
    const aborted = kit.tap.find(since, 'out', 'transfer.abort')[0];
    if (!moved.ok && aborted) {
      await kit.sleep(700);
      v.check(kit.probe.since(from, 'start').length === 0, `as target, aborted (${moved.code}) while preparing: stayed silent`);
    } else v.saw('as target: the transfer switched before it could be superseded (not checked this run)');
    return [v.result()];
  },
};
