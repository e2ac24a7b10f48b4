import { PROTOCOL_VERSION, type CommandResult, type DeviceKind } from '@handoff/protocol';

/**
 * What the fleet needs of one of its devices. Two classes have this shape: `RawDevice` (raw
 * `node:net`, what the fleet runs) and `LeanDevice` (over `ws`, with the extra hooks tests and
 * bench tools use).
 */
export interface FleetDevice {
  readonly id: string;
  readonly connected: boolean;
  /** How long the last `transfer.switch` (start) had this device wait for the scheduled time. */
  lastSwitchWaitMs: number;
  /** Open the socket and resolve once the hub welcomed the device. */
  connect(): Promise<void>;
  /** Send a command and resolve with its result (reject after `timeoutMs` without one). */
  command(command: { type: string; commandId: string } & Record<string, unknown>, timeoutMs?: number): Promise<CommandResult>;
  /** Drop the connection abruptly (no goodbye). */
  drop(): void;
  close(): void;
}

/** A lean device's `device.hello`: a speaker-like device that plays audio and takes commands. */
export function helloText(id: string, kind: DeviceKind): string {
  return JSON.stringify({
    type: 'device.hello',
    protocolVersion: PROTOCOL_VERSION,
    device: {
      id,
      name: id,
      kind,
      capabilities: { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track', 'audio/episode'], controllable: true },
    },
  });
}
