import { DeviceMessage, type ErrorCode } from '@handoff/protocol';
import type { z } from 'zod';
import type { SessionEvent } from './session/events.ts';

/** A frame that did not parse as a device message: how it is refused. */
export interface InvalidMessage {
  code: ErrorCode;
  message: string;
  ref?: string;
  /** A command whose id can be read is answered by this error for good: its sender must not resend it. */
  commandId?: string;
}

/** Why `raw` (valid JSON) is not a device message: an unknown type, or the first thing wrong with a known one. */
export function invalidMessage(raw: unknown, error: z.ZodError): InvalidMessage {
  const fields: Record<string, unknown> = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const type = fields.type;
  const ref = typeof type === 'string' ? type.slice(0, 64) : undefined;
  if (typeof type !== 'string' || !DeviceMessage.options.some((o) => o.shape.type.value === type)) {
    return { code: 'UNKNOWN_TYPE', message: `unknown message type ${JSON.stringify(ref ?? null)}`, ...(ref !== undefined ? { ref } : {}) };
  }
  const issue = error.issues[0];
  const commandId = typeof fields.commandId === 'string' && fields.commandId.length <= 128 ? fields.commandId : undefined;
  return {
    code: 'BAD_REQUEST',
    message: `${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}`,
    ...(ref !== undefined ? { ref } : {}),
    ...(commandId !== undefined ? { commandId } : {}),
  };
}

/** The session event a device's report about a transfer or its playback stands for. */
export function reportEvent(
  message: Extract<DeviceMessage, { type: 'transfer.ready' | 'transfer.started' | 'transfer.failed' | 'playback.report' }>,
  deviceId: string,
): SessionEvent {
  switch (message.type) {
    case 'transfer.ready':
      return { type: message.type, deviceId, transferId: message.transferId };
    case 'transfer.started': {
      const { transferId, atServerTime } = message;
      return { type: message.type, deviceId, transferId, ...(atServerTime !== undefined ? { atServerTime } : {}) };
    }
    case 'transfer.failed':
      return { type: message.type, deviceId, transferId: message.transferId, reason: message.reason };
    case 'playback.report':
      return { type: message.type, deviceId, positionMs: message.positionMs, atServerTime: message.atServerTime };
  }
}

/** The transfer or command a message belongs to, for its trace. */
export function correlation(message: DeviceMessage): { correlationId?: string } {
  if ('transferId' in message) return { correlationId: message.transferId };
  if ('commandId' in message) return { correlationId: message.commandId };
  return {};
}
