import { CloseCode } from '@handoff/protocol';
import type { DeviceLink } from './device-link.ts';
import type { SessionEvent } from './events.ts';
import type { Cause } from './session-port.ts';

export type DeviceJoin = Extract<SessionEvent, { type: 'device.join' }>;

/** What a device attaches to: a Session, or a RoutedSession on a device's own node. */
export interface Attachable<L extends DeviceLink> {
  link(deviceId: string, link: L): DeviceLink | undefined;
  send(event: SessionEvent, cause?: Cause): void;
}

/**
 * Attach a device to a session: its messages go to `link` from now on, the join goes in, and
 * the link it had before (another connection: a reconnect that overtook the close of the old
 * one) is closed as replaced. The one way a device joins, on its own node or on the owner.
 * Returns the replaced link, if any.
 */
export function attachDevice<L extends DeviceLink>(session: Attachable<L>, link: L, join: DeviceJoin, cause: Cause = {}): DeviceLink | undefined {
  const previous = session.link(join.device.id, link);
  session.send(join, cause);
  if (!previous || previous === link) return undefined;
  previous.close(CloseCode.REPLACED, 'the device connected again on another socket');
  return previous;
}
