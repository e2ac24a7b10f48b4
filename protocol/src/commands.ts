import { z } from 'zod';
import { DeviceId } from './device.ts';
import { GroupMembers, GroupName } from './groups.ts';
import { RepeatMode } from './playback.ts';

/**
 * Commands any device (or the HTTP API, on behalf of the user) may send. Each has an id chosen by
 * the sender: a retried id is answered again, never applied twice.
 */
const CommandId = z.string().min(1).max(128);
const Uri = z.string().min(1).max(256);
const base = { commandId: CommandId };

export const TransferCommand = z.object({
  type: z.literal('command.transfer'),
  ...base,
  deviceId: DeviceId,
  /** true: play on the target; false: arrive paused; absent: keep the current play state. */
  play: z.boolean().optional(),
});

export const PlayCommand = z.object({
  type: z.literal('command.play'),
  ...base,
  /** Play on this device (transferring there first when it is not active). */
  deviceId: DeviceId.optional(),
  contextUri: Uri.optional(),
  uris: z.array(Uri).min(1).max(100).optional(),
  /** Where to start in the context or uris: an index or a uri. */
  offset: z
    .union([z.object({ position: z.number().int().min(0) }), z.object({ uri: Uri })])
    .optional(),
  positionMs: z.number().int().min(0).optional(),
});

export const PauseCommand = z.object({ type: z.literal('command.pause'), ...base });
export const ResumeCommand = z.object({ type: z.literal('command.resume'), ...base });
export const SeekCommand = z.object({
  type: z.literal('command.seek'),
  ...base,
  positionMs: z.number().int().min(0),
});
export const NextCommand = z.object({ type: z.literal('command.next'), ...base });
export const PreviousCommand = z.object({ type: z.literal('command.previous'), ...base });
export const VolumeCommand = z.object({
  type: z.literal('command.volume'),
  ...base,
  volumePercent: z.number().int().min(0).max(100),
  /** Defaults to the active device. */
  deviceId: DeviceId.optional(),
});
export const ShuffleCommand = z.object({
  type: z.literal('command.shuffle'),
  ...base,
  state: z.boolean(),
});
export const RepeatCommand = z.object({
  type: z.literal('command.repeat'),
  ...base,
  state: RepeatMode,
});
export const QueueCommand = z.object({ type: z.literal('command.queue'), ...base, uri: Uri });

/** A new group of devices that can play; the result carries its id. */
export const GroupCreateCommand = z.object({
  type: z.literal('command.group.create'),
  ...base,
  name: GroupName,
  deviceIds: GroupMembers,
});
/** Rename a group and/or set its members (the whole list). */
export const GroupUpdateCommand = z.object({
  type: z.literal('command.group.update'),
  ...base,
  groupId: DeviceId,
  name: GroupName.optional(),
  deviceIds: GroupMembers.optional(),
});
export const GroupDeleteCommand = z.object({ type: z.literal('command.group.delete'), ...base, groupId: DeviceId });

export const Command = z.discriminatedUnion('type', [
  TransferCommand,
  PlayCommand,
  PauseCommand,
  ResumeCommand,
  SeekCommand,
  NextCommand,
  PreviousCommand,
  VolumeCommand,
  ShuffleCommand,
  RepeatCommand,
  QueueCommand,
  GroupCreateCommand,
  GroupUpdateCommand,
  GroupDeleteCommand,
]);
export type Command = z.infer<typeof Command>;
export type CommandType = Command['type'];
export type TransferCommand = z.infer<typeof TransferCommand>;
export type PlayCommand = z.infer<typeof PlayCommand>;
