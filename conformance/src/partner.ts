import { HubMessage, PROTOCOL_VERSION, type DeviceMessage } from '@handoff/protocol';
import WebSocket from 'ws';

/** How the kit's partner behaves in a transfer. */
export interface PartnerMode {
  /** Answer transfer.prepare with transfer.ready. @default true */
  ready: boolean;
  /** Confirm a start with transfer.started at T. @default true */
  confirm: boolean;
}

/**
 * The kit's own second device, connected straight to the hub (not through the tap), on the hub's
 * clock: the other side of every transfer the device under test takes part in. It follows the
 * protocol to the letter unless told to misbehave (never confirm a start, to make the hub abort).
 */
export class Partner {
  mode: PartnerMode = { ready: true, confirm: true };
  playing = false;
  private ws: WebSocket | null = null;
  private timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly id: string,
    private readonly url: string,
    private readonly token: string,
    private readonly now: () => number,
  ) {}

  async connect(): Promise<void> {
    const ws = new WebSocket(`${this.url}?access_token=${encodeURIComponent(this.token)}`, { perMessageDeflate: false });
    this.ws = ws;
    const welcomed = new Promise<void>((resolve, reject) => {
      ws.on('message', (data: Buffer) => {
        const parsed = HubMessage.safeParse(JSON.parse(data.toString('utf8')));
        if (!parsed.success) return;
        if (parsed.data.type === 'hub.welcome') resolve();
        this.receive(parsed.data);
      });
      ws.once('close', (code) => reject(new Error(`partner closed: ${code}`)));
      ws.once('error', reject);
    });
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
    this.send({
      type: 'device.hello',
      protocolVersion: PROTOCOL_VERSION,
      device: {
        id: this.id,
        name: 'Conformance partner',
        kind: 'speaker',
        capabilities: { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track', 'audio/episode'], controllable: true },
      },
    });
    await welcomed;
  }

  private receive(m: HubMessage): void {
    switch (m.type) {
      case 'clock.ping': {
        const t = this.now();
        return this.send({ type: 'clock.pong', pingId: m.pingId, t0: m.t0, t1: t, t2: t });
      }
      case 'transfer.prepare':
        if (this.mode.ready) this.send({ type: 'transfer.ready', transferId: m.transferId });
        return;
      case 'transfer.switch': {
        const timer = setTimeout(
          () => {
            this.timers.delete(timer);
            this.playing = m.role === 'start';
            if (m.role === 'start' && this.mode.confirm)
              this.send({ type: 'transfer.started', transferId: m.transferId, atServerTime: this.now() });
          },
          Math.max(0, m.atServerTime - this.now()),
        );
        this.timers.add(timer);
        return;
      }
      case 'transfer.abort':
        this.playing = m.resumeAt !== undefined;
        return;
      default:
        return;
    }
  }

  private send(message: DeviceMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.send({ type: 'device.goodbye' });
    this.ws?.close();
  }
}
