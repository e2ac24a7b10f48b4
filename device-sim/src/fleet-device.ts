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

type Send = (text: string) => void;

/** A device's commands awaiting their `command.result`, by commandId. */
export class PendingCommands {
  private readonly waiting = new Map<string, (r: CommandResult) => void>();

  /** Send a command and resolve with its result; reject after `timeoutMs` without one. */
  request(command: { type: string; commandId: string } & Record<string, unknown>, send: Send, timeoutMs: number): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(command.commandId);
        reject(new Error(`no result for ${command.commandId}`));
      }, timeoutMs);
      this.waiting.set(command.commandId, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      send(JSON.stringify(command));
    });
  }

  /** A `command.result` frame's text: settles the command it answers. */
  settle(text: string): void {
    const r = JSON.parse(text) as CommandResult;
    this.waiting.get(r.commandId)?.(r);
    this.waiting.delete(r.commandId);
  }
}

/** A `transfer.prepare` frame's text: `transfer.ready` once the device's load delay is over. */
export function answerPrepare(text: string, send: Send, loadDelayMs = 0): void {
  const { transferId } = JSON.parse(text) as { transferId: string };
  const ready = () => send(`{"type":"transfer.ready","transferId":${JSON.stringify(transferId)}}`);
  if (loadDelayMs) setTimeout(ready, loadDelayMs);
  else ready();
}

/**
 * A `transfer.switch` frame's text: a start is answered `transfer.started` at the scheduled
 * server time on this device's clock. Returns how long it waits (null for a stop).
 */
export function answerSwitch(text: string, send: Send, localNow: number, offsetMs: number): number | null {
  const m = JSON.parse(text) as { transferId: string; role: 'start' | 'stop'; atServerTime: number };
  if (m.role !== 'start') return null;
  const wait = Math.max(0, m.atServerTime + offsetMs - localNow);
  setTimeout(() => send(`{"type":"transfer.started","transferId":${JSON.stringify(m.transferId)}}`), wait);
  return wait;
}
