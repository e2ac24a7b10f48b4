import type { DeviceKind } from '@handoff/protocol';
import { SimDevice, type SimDeviceOptions } from '@handoff/device-sim';
import type { RunningHub } from '@handoff/server';

export interface TestFleet extends AsyncDisposable {
  devices: SimDevice[];
}

/** Connect one SimDevice per kind for `user`, each with `opts`, and wait for every welcome. */
export async function startFleet(
  hub: RunningHub,
  user: string,
  kinds: DeviceKind[],
  opts: Partial<SimDeviceOptions> | ((i: number) => Partial<SimDeviceOptions>) = {},
): Promise<TestFleet> {
  const devices = kinds.map(
    (kind, i) => new SimDevice({ hub: hub.wsUrl, user, kind, id: `${kind}-${i}`, ...(typeof opts === 'function' ? opts(i) : opts) }),
  );
  await Promise.all(devices.map((d) => d.connect()));
  return {
    devices,
    [Symbol.asyncDispose]: async () => {
      await Promise.all(devices.map((d) => d.close()));
    },
  };
}

/** Wait until a device has had its clock estimated (the hub's first clock.sync arrived). */
export async function synced(devices: SimDevice[]): Promise<void> {
  await Promise.all(devices.map((d) => d.waitFor(() => d.errorMs < 50, 5000, 'clock sync')));
}
