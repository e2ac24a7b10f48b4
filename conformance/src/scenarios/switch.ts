import { ms, Verdict, type Kit } from '../context.ts';
import type { Frame } from '../tap.ts';
import type { Scenario } from './scenario.ts';

/** The first frame to the device from `since` on of `type` (and transfer), waiting up to `timeoutMs`. */
async function frameOut(
  kit: Kit,
  since: number,
  type: string,
  transferId: string | null,
  timeoutMs: number,
): Promise<Frame | null> {
  const match = () =>
    kit.tap.find(since, 'out', type).find((f) => transferId === null || f.msg?.transferId === transferId) ?? null;
  await kit.tap.until(() => match() !== null, timeoutMs);
  return match();
}

/**
 * prepare.ready and switch.at-T: transfers back and forth between the device and the kit's
 * partner. As target the device must prepare in silence, answer ready, start at T at p(T) and
 * confirm; as source it must stop at T. Every start and stop is measured against T.
 */
export const switches: Scenario = {
  rules: ['prepare.ready', 'switch.at-T'],
  run: async (kit) => {
    const prepare = new Verdict('prepare.ready');
    const sw = new Verdict('switch.at-T');
    if (!(await kit.playOnDevice())) {
      for (const v of [prepare, sw]) v.check(false, 'the device did not play before the transfers');
      return [prepare.result(), sw.result()];
    }
    let readyMs = 0;
    let prepares = 0;
    let positionWorst = 0;
    for (let i = 0; i < kit.settings.transfers; i++) {
      // Away: the device is the source and must stop at T.
      let since = kit.tap.frames.length;
      let from = kit.probe.reports.length;
      const away = await kit.command({ type: 'command.transfer', deviceId: kit.partner.id });
      if (!sw.check(away.ok, `transfer ${i + 1} to the partner: ${away.ok ? 'committed' : away.code}`)) break;
      const stopAt = await frameOut(kit, since, 'transfer.switch', null, 100);
      await kit.probe.until(() => kit.probe.since(from, 'stop').length > 0, 1000);
      const stop = kit.probe.since(from, 'stop')[0];
      if (!stop || !stopAt) {
        sw.check(false, `transfer ${i + 1}: ${stopAt ? 'no stop reported as source' : 'no transfer.switch reached the source'}`);
        break;
      }
      kit.timing.stop.push(kit.serverTime(stop.at) - (stopAt.msg!.atServerTime as number));

      // Back: the device is the target, prepares, and must start at T.
      since = kit.tap.frames.length;
      from = kit.probe.reports.length;
      const back = kit.command({ type: 'command.transfer', deviceId: kit.deviceId });
      const prep = await frameOut(kit, since, 'transfer.prepare', null, 1000);
      const transferId = typeof prep?.msg?.transferId === 'string' ? prep.msg.transferId : '';
      const ready = prep
        ? await kit.tap.until(
            () => kit.tap.find(since, 'in', 'transfer.ready').some((f) => f.msg?.transferId === transferId),
            kit.settings.prepareTimeoutMs,
          )
        : false;
      const readyFrame = kit.tap.find(since, 'in', 'transfer.ready').find((f) => f.msg?.transferId === transferId);
      prepares++;
      if (
        !prepare.check(
          ready && readyFrame!.at <= (prep!.msg!.deadline as number),
          ready
            ? `transfer ${i + 1}: ready ${ms(readyFrame!.at - prep!.at)} after prepare`
            : `transfer ${i + 1}: no transfer.ready before the deadline`,
        )
      ) {
        await back;
        break;
      }
      readyMs = Math.max(readyMs, readyFrame!.at - prep!.at);
      const startAt = await frameOut(kit, since, 'transfer.switch', transferId, 1000);
      const result = await back;
      if (!sw.check(result.ok && startAt !== null, `transfer ${i + 1} to the device: ${result.ok ? 'committed' : result.code}`))
        break;
      const T = startAt!.msg!.atServerTime as number;
      await kit.probe.until(() => kit.probe.since(from, 'start').length > 0, 1000);
      const start = kit.probe.since(from, 'start')[0];
      if (!start) {
        sw.check(false, `transfer ${i + 1}: no start reported as target`);
        break;
      }
      const startServer = kit.serverTime(start.at);
      kit.timing.start.push(startServer - T);
      const expected = (startAt!.msg!.positionMs as number) + Math.max(0, startServer - T);
      positionWorst = Math.max(positionWorst, Math.abs(start.positionMs - expected));
      const started = kit.tap.find(since, 'in', 'transfer.started').some((f) => f.msg?.transferId === transferId);
      sw.check(
        started,
        started ? `transfer ${i + 1}: confirmed with transfer.started` : `transfer ${i + 1}: no transfer.started`,
      );
    }
    if (prepare.passing) prepare.check(true, `${prepares} prepares answered, slowest ${ms(readyMs)}`, true);
    if (prepare.passing) await pausedTransfer(kit, prepare);
    const tol = kit.settings.toleranceMs;
    for (const [name, errors] of [
      ['start', kit.timing.start],
      ['stop', kit.timing.stop],
    ] as const) {
      if (!errors.length) continue;
      const { p50, p99 } = spread(errors);
      sw.check(
        p50 <= tol && p99 <= 3 * tol,
        `${name} error against T over ${errors.length}: p50 ${ms(p50)}, p99 ${ms(p99)} (allowed ${tol} / ${3 * tol} ms)`,
        true,
      );
    }
    sw.check(positionWorst <= tol, `position at start off p(T) + lateness by at most ${ms(positionWorst)}`);
    return [prepare.result(), sw.result()];
  },
};

/**
 * Silence while prepared: a paused transfer to the device prepares it and commits at its ready,
 * with no switch, so any sound from it is sound of a prepare.
 */
async function pausedTransfer(kit: Kit, prepare: Verdict): Promise<void> {
  await kit.command({ type: 'command.transfer', deviceId: kit.partner.id });
  await kit.command({ type: 'command.pause' });
  await kit.sleep(200);
  const since = kit.tap.frames.length;
  const from = kit.probe.reports.length;
  const result = await kit.command({ type: 'command.transfer', deviceId: kit.deviceId, play: false });
  const prepared = kit.tap.find(since, 'out', 'transfer.prepare').length > 0;
  const what = result.ok ? (prepared ? 'prepared and committed' : 'committed without a prepare') : result.code;
  if (!prepare.check(result.ok && prepared, `a paused transfer to the device: ${what}`)) return;
  await kit.sleep(500);
  const sound = kit.probe.since(from, 'start');
  prepare.check(
    sound.length === 0,
    sound.length
      ? 'made sound while prepared for a paused transfer'
      : 'prepared in silence (a paused transfer: no sound for 500 ms)',
  );
}

/** p50 and p99 of the absolute errors. */
export function spread(errors: number[]): { p50: number; p99: number } {
  const sorted = errors.map(Math.abs).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { p50: at(0.5), p99: at(0.99) };
}
