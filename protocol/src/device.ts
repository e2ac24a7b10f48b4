import { z } from 'zod';

/** What kind of hardware a device is; maps to the Web API device `type`. */
export const DeviceKind = z.enum(['phone', 'speaker', 'tv', 'car', 'computer']);
export type DeviceKind = z.infer<typeof DeviceKind>;

/** Web API spelling of each kind. */
export const WEB_API_DEVICE_TYPE = {
  phone: 'Smartphone',
  speaker: 'Speaker',
  tv: 'TV',
  car: 'Automobile',
  computer: 'Computer',
} as const satisfies Record<DeviceKind, string>;

export const MediaType = z.enum(['audio/track', 'audio/episode']);
export type MediaType = z.infer<typeof MediaType>;

/** What a device can do; the hub refuses commands a device cannot honour. */
export const Capabilities = z.object({
  /** Can produce sound (a remote control cannot). */
  canPlay: z.boolean(),
  /** Number of volume steps; 0 means the volume cannot be controlled. */
  volumeSteps: z.number().int().min(0).max(65535),
  /** Media types the device can play. */
  mediaTypes: z.array(MediaType).min(1).max(8),
  /** Accepts commands from other devices and controllers. */
  controllable: z.boolean(),
});
export type Capabilities = z.infer<typeof Capabilities>;

export const DeviceId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');

/** A device as every device of the user sees it in the cluster. */
export const DeviceInfo = z.object({
  id: DeviceId,
  name: z.string(),
  kind: DeviceKind,
  capabilities: Capabilities,
  /** Connected now, or within its reconnect grace period. */
  online: z.boolean(),
  /** Volume in percent, 0-100. */
  volume: z.number().int().min(0).max(100),
  /** Server time of the last connect or disconnect. */
  lastSeenAt: z.number(),
});
export type DeviceInfo = z.infer<typeof DeviceInfo>;
