/** Bumped only on breaking wire changes; additive changes keep it. Sent in `device.hello`. */
export const PROTOCOL_VERSION = 1;
