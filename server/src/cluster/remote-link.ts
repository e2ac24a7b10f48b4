import type { HubMessage } from '@handoff/protocol';
import type { DeviceLink } from '../session/device-link.ts';
import type { Outbox } from './outbox.ts';

/** What a switch needs on top of a remote device's own lead: the extra hop between nodes. */
export const CROSS_NODE_LEAD_MS = 10;

/**
 * The owner's link to a device connected to another node: what the session sends is posted to
 * that node's inbox, which writes it to the device's socket.
 */
export class RemoteLink implements DeviceLink {
  /** The device's lead as its node measured it. */
  lead = 0;

  constructor(
    readonly node: string,
    readonly connId: string,
    readonly deviceId: string,
    readonly userId: string,
    private readonly outbox: Outbox,
  ) {}

  get key(): string {
    return linkKey(this.node, this.connId);
  }

  send(text: string, message: HubMessage): void {
    const revision = message.type === 'cluster.update' || message.type === 'hub.welcome' ? message.cluster.revision : undefined;
    this.outbox.post(this.node, { t: 'out', u: this.userId, c: this.connId, x: text, ...(revision !== undefined ? { r: revision } : {}) });
  }

  leadMs(): number {
    return this.lead + CROSS_NODE_LEAD_MS;
  }

  close(code: number, reason: string): void {
    this.outbox.post(this.node, { t: 'close', c: this.connId, code, reason });
  }
}

export const linkKey = (node: string, connId: string) => `${node}/${connId}`;
