import { CloseCode } from '@handoff/protocol';
import { attachDevice, type DeviceJoin } from '../session/attach-device.ts';
import type { SessionEvent } from '../session/events.ts';
import type { Cause } from '../session/session-port.ts';
import type { Session } from '../session/session.ts';
import type { Outbox } from './outbox.ts';
import { linkKey, RemoteLink } from './remote-link.ts';
import { resolveCause } from './routed-session.ts';
import type { EventItem } from './wire.ts';

type Join = DeviceJoin;

/**
 * The owner's side of devices connected to other nodes: their links into the sessions that run
 * here, and which connection each device joined on last (and when), so a join sent again after a
 * takeover never displaces a newer connection.
 */
export class RemoteDevices {
  private readonly links = new Map<string, RemoteLink>();
  private readonly byUser = new Map<string, Map<string, RemoteLink>>();
  private readonly joined = new Map<string, Map<string, { connId: string; at: number }>>();

  constructor(
    private readonly outbox: Outbox,
    private readonly now: () => number,
  ) {}

  /** Whether this join may take the device's place: not if it joined since on another connection. Records the winner. */
  claim(userId: string, deviceId: string, connId: string, at: number): boolean {
    let devices = this.joined.get(userId);
    if (!devices) this.joined.set(userId, (devices = new Map<string, { connId: string; at: number }>()));
    const current = devices.get(deviceId);
    if (current && current.connId !== connId && current.at > at) return false;
    devices.set(deviceId, { connId, at });
    return true;
  }

  /** Events (and trace records) from `from`'s devices, applied to the session in order. */
  apply(session: Session, from: string, items: EventItem[], maxDevices: number): void {
    const seqs = new Map<number, number>();
    let unknown = false;
    for (const item of items) {
      if (item.lead) {
        const link = this.links.get(linkKey(from, item.lead.c));
        if (link) link.lead = item.lead.ms;
      }
      if (item.tr) seqs.set(item.n, session.traceRelayed(item.tr));
      const ev = item.ev;
      if (!ev) continue;
      const cause = resolveCause(item.cause, seqs);
      if (ev.type === 'device.join') {
        this.join(session, from, ev, item.at ?? this.now(), cause, maxDevices);
      } else if (ev.type === 'device.leave') {
        const link = this.links.get(linkKey(from, ev.connId));
        if (link) {
          session.unlink(ev.deviceId, link);
          this.drop(link);
        }
        session.send(ev, cause);
      } else {
        const deviceId = deviceOf(ev);
        if (deviceId && this.byUser.get(session.userId)?.get(deviceId)?.node !== from) unknown = true;
        session.send(ev, cause);
      }
    }
    // Events about a device this session does not know is there (it was restored): join them again.
    if (unknown) this.outbox.post(from, { t: 'rejoin', u: session.userId });
  }

  /** The session stopped running here: forget its remote devices; returns the nodes they are on. */
  forget(userId: string): Set<string> {
    const nodes = new Set<string>();
    for (const link of this.byUser.get(userId)?.values() ?? []) {
      nodes.add(link.node);
      this.links.delete(link.key);
    }
    this.byUser.delete(userId);
    this.joined.delete(userId);
    return nodes;
  }

  /** The nodes with devices linked to sessions here. */
  nodes(): Set<string> {
    return new Set([...this.links.values()].map((l) => l.node));
  }

  /** `node` is gone: each of its devices leaves its session (which starts its grace period). */
  nodeGone(node: string, sessionOf: (userId: string) => Session | undefined): void {
    for (const link of [...this.links.values()]) {
      if (link.node !== node) continue;
      this.drop(link);
      const session = sessionOf(link.userId);
      if (!session) continue;
      session.unlink(link.deviceId, link);
      const seq = session.traceEvent('connection', 'node-lost', { deviceId: link.deviceId, payload: { node, connId: link.connId } });
      session.send({ type: 'device.leave', deviceId: link.deviceId, connId: link.connId, goodbye: false }, { parentSeq: seq });
    }
  }

  private join(session: Session, from: string, ev: Join, at: number, cause: Cause, max: number): void {
    const deviceId = ev.device.id;
    // A join sent again after a takeover, older than the device's newest connection: that connection is gone.
    if (!this.claim(session.userId, deviceId, ev.connId, at)) {
      return this.outbox.post(from, { t: 'close', c: ev.connId, code: CloseCode.REPLACED, reason: 'the device connected again on another socket' });
    }
    if (!session.admits(deviceId, max)) {
      return this.outbox.post(from, { t: 'close', c: ev.connId, code: CloseCode.TOO_MANY_DEVICES, reason: `at most ${max} devices per user` });
    }
    const key = linkKey(from, ev.connId);
    let link = this.links.get(key);
    if (!link) this.links.set(key, (link = new RemoteLink(from, ev.connId, deviceId, session.userId, this.outbox)));
    let byDevice = this.byUser.get(session.userId);
    if (!byDevice) this.byUser.set(session.userId, (byDevice = new Map<string, RemoteLink>()));
    byDevice.set(deviceId, link);
    const previous = attachDevice(session, link, ev, cause);
    if (previous instanceof RemoteLink) this.links.delete(previous.key);
  }

  private drop(link: RemoteLink): void {
    this.links.delete(link.key);
    const byDevice = this.byUser.get(link.userId);
    if (byDevice?.get(link.deviceId) === link) byDevice.delete(link.deviceId);
    if (byDevice?.size === 0) this.byUser.delete(link.userId);
  }
}

function deviceOf(ev: SessionEvent): string | null {
  if (ev.type === 'command') return ev.replyTo.kind === 'device' ? ev.replyTo.deviceId : null;
  return 'deviceId' in ev ? ev.deviceId : null;
}
