import type { HubMessage } from '@handoff/protocol';

/** A device's way out: the hub's connection to it, as the session that sends to it sees it. */
export interface DeviceLink {
  send(text: string, message: HubMessage): void;
  /** How far ahead a switch must be scheduled to reach this device in time. */
  leadMs(): number;
  close(code: number, reason: string): void;
}
