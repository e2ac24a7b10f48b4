import type { Command } from '@handoff/protocol';
import type { ReplyTo, TimerEvent } from './context.ts';
import type { Join } from './presence.ts';

/** Everything a session reacts to, as its callers send it. Timer events come from deadlines the host armed. */
export type SessionEvent =
  | { type: 'session.opened'; restored: boolean }
  | ({ type: 'device.join' } & Join)
  /** `lastHeardAt`: when the hub last heard from that connection; the device's grace period counts from there. */
  | { type: 'device.leave'; deviceId: string; connId: string; goodbye: boolean; lastHeardAt?: number }
  | { type: 'command'; command: Command; replyTo: ReplyTo; origin: string }
  | { type: 'transfer.ready'; deviceId: string; transferId: string }
  /** `atServerTime`: when the target says sound started (server time), if it says. */
  | { type: 'transfer.started'; deviceId: string; transferId: string; atServerTime?: number }
  | { type: 'transfer.failed'; deviceId: string; transferId: string; reason: string }
  | { type: 'playback.report'; deviceId: string; positionMs: number; atServerTime: number }
  | TimerEvent;

/**
 * An event as the machine receives it: stamped by the host with the time it is handled at and,
 * for a ready target, the lead each linked device needs before a switch (from its measured
 * round trips). The machine reads nothing else from outside, so `transition()` can run it.
 */
export type MachineEvent = SessionEvent extends infer E
  ? E extends { type: 'transfer.ready' | 'playback.report' }
    ? E & { now: number; leads: Readonly<Record<string, number>> }
    : E extends { type: 'command' }
      ? /** `retried`: raised by the machine for a deferred command whose id an earlier deferred one had (it is answered as that one was). */
        E & { now: number; retried?: true }
      : E & { now: number }
  : never;
