import type { Command } from '@handoff/protocol';
import type { ReplyTo, TimerEvent } from './context.ts';
import type { Join } from './presence.ts';

/** Everything a session reacts to. Timer events come from deadlines the host armed. */
export type SessionEvent =
  | { type: 'session.opened'; restored: boolean }
  | ({ type: 'device.join' } & Join)
  | { type: 'device.leave'; deviceId: string; connId: string; goodbye: boolean }
  | { type: 'command'; command: Command; replyTo: ReplyTo; origin: string }
  | { type: 'transfer.ready'; deviceId: string; transferId: string }
  /** `atServerTime`: when the target says sound started (server time), if it says. */
  | { type: 'transfer.started'; deviceId: string; transferId: string; atServerTime?: number }
  | { type: 'transfer.failed'; deviceId: string; transferId: string; reason: string }
  | TimerEvent;
