import { z } from 'zod';
import { DeviceId } from './device.ts';

/** Most members a group may have. */
export const MAX_GROUP_MEMBERS = 16;

export const GroupName = z.string().trim().min(1, 'name must not be empty').max(64, 'name must be at most 64 characters');
export const GroupMembers = z
  .array(DeviceId)
  .min(1, 'a group needs at least one member')
  .max(MAX_GROUP_MEMBERS, `a group has at most ${MAX_GROUP_MEMBERS} members`)
  .refine((ids) => new Set(ids).size === ids.length, 'a device may be named only once');

/**
 * Several speakers that play as one. Its id is a target like a device id: transfer to it, and
 * every member plays, in sync. `playingIds` are the members that take part in its playback now
 * (those that were ready at its last start or have joined since); only meaningful while the
 * group is the active device.
 */
export const GroupInfo = z.object({
  id: DeviceId,
  name: z.string(),
  deviceIds: z.array(DeviceId),
  playingIds: z.array(DeviceId),
});
export type GroupInfo = z.infer<typeof GroupInfo>;

/** Whether `deviceId` should be producing sound in this cluster: it is the active device, or plays in the active group. */
export function soundsOn(
  cluster: { activeDeviceId: string | null; groups?: readonly GroupInfo[] | undefined },
  deviceId: string,
): boolean {
  if (cluster.activeDeviceId === deviceId) return true;
  const group = cluster.groups?.find((g) => g.id === cluster.activeDeviceId);
  return Boolean(group?.playingIds.includes(deviceId));
}
