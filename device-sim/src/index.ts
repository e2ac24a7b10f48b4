export { SimDevice, type SimDeviceOptions } from './sim-device.ts';
export { Player, type Audible, type PlayerObserver } from './player.ts';
export { devToken } from './dev-token.ts';
export { trueNow } from './true-clock.ts';
export { startDemo, type DemoOptions } from './demo.ts';
export { deviceSocketUrl } from './hub-url.ts';
export { measureHandoffs, percentile, type Handoff } from './handoff.ts';
export { LeanDevice, frameType, type LeanDeviceOptions } from './lean-device.ts';
export { signDeviceToken } from './sign-token.ts';
