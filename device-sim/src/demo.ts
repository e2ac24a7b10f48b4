import type { DeviceKind } from '@handoff/protocol';
import { SimDevice } from './sim-device.ts';

export interface DemoOptions {
  hub: string;
  user?: string;
  token?: string;
  /** Time between demo actions. @default 4000 */
  everyMs?: number;
  onEvent?: (line: string) => void;
}

const DEVICES: Array<{ kind: DeviceKind; name: string; skewMs: number; latencyMs: number; jitterMs: number }> = [
  { kind: 'phone', name: "Ada's phone", skewMs: 420, latencyMs: 15, jitterMs: 10 },
  { kind: 'speaker', name: 'Kitchen speaker', skewMs: -1300, latencyMs: 4, jitterMs: 4 },
  { kind: 'tv', name: 'Living room TV', skewMs: 60, latencyMs: 6, jitterMs: 6 },
  { kind: 'car', name: 'Car', skewMs: 1900, latencyMs: 25, jitterMs: 15 },
];

/**
 * A small household for `npm start`: four devices of one user with skewed clocks and some
 * network jitter, passing playback around every few seconds, with the odd pause, skip and
 * volume change, so the viewer shows live traffic at once.
 */
export async function startDemo(opts: DemoOptions): Promise<{ devices: SimDevice[]; stop(): Promise<void> }> {
  const user = opts.user ?? 'demo';
  const devices = DEVICES.map(
    (d) =>
      new SimDevice({
        hub: opts.hub,
        user,
        id: `demo-${d.kind}`,
        name: d.name,
        kind: d.kind,
        skewMs: d.skewMs,
        latencyMs: d.latencyMs,
        jitterMs: d.jitterMs,
        loadDelayMs: () => 60 + Math.random() * 200,
        ...(opts.token ? { token: opts.token } : {}),
        ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      }),
  );
  await Promise.all(devices.map((d) => d.connect()));
  const [phone] = devices as [SimDevice];
  await phone.command({ type: 'command.play', deviceId: phone.id, contextUri: 'demo:playlist:everything' });
  let step = 0;
  const timer = setInterval(() => {
    step++;
    const controller = devices[step % devices.length]!;
    const active = controller.cluster?.activeDeviceId;
    const others = devices.filter((d) => d.id !== active);
    const target = others[Math.floor(Math.random() * others.length)]!;
    const action =
      step % 7 === 0
        ? controller.command({ type: 'command.volume', volumePercent: 30 + Math.floor(Math.random() * 60) })
        : step % 11 === 0
          ? controller.command({ type: 'command.next' })
          : step % 13 === 0
            ? controller.command({ type: 'command.pause' }).then(() => controller.command({ type: 'command.resume' }))
            : controller.command({ type: 'command.transfer', deviceId: target.id, play: true });
    action.catch((err: unknown) => opts.onEvent?.(`demo: ${(err as Error).message}`));
  }, opts.everyMs ?? 4000);
  return {
    devices,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(devices.map((d) => d.close()));
    },
  };
}
