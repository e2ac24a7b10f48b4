/** The real time on this machine (ms since the epoch, sub-ms precision): the ground truth clock. */
const origin = performance.timeOrigin;
export const trueNow = (): number => origin + performance.now();
