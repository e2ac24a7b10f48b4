import { HandoffClient } from '@handoff/client';
import { WebAudioPlayer, type AudioState } from './web-audio-player.ts';

const ID_KEY = 'handoff.browser-device.id';

/** This tab's device id: stable across reloads of the tab, different in every tab (sessionStorage). */
function tabDeviceId(): string {
  let id = sessionStorage.getItem(ID_KEY);
  if (!id) {
    id = `browser-${crypto.randomUUID().slice(0, 8)}`;
    sessionStorage.setItem(ID_KEY, id);
  }
  return id;
}

export interface BrowserDeviceStatus {
  id: string;
  connected: boolean;
  offsetMs: number;
  errorMs: number;
  rttMs: number;
  audio: AudioState;
}

/**
 * "Play in this browser": the tab joins the signed-in user as a Computer device through the
 * client library, playing through Web Audio, honouring scheduled switch times on its own clock.
 */
export class BrowserDevice {
  readonly id = tabDeviceId();
  readonly player = new WebAudioPlayer();
  readonly client: HandoffClient;

  constructor(token: string, name = `Browser tab ${tabDeviceId().slice(-4)}`) {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/connect`;
    this.client = new HandoffClient({
      urls: [url],
      token,
      device: { id: this.id, name, kind: 'computer', capabilities: { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track', 'audio/episode'], controllable: true } },
      player: this.player,
      socket: (u) => new WebSocket(u) as unknown as import('@handoff/client').WebSocketLike,
    });
  }

  async start(): Promise<void> {
    await this.player.unlock();
    await this.client.connect();
  }

  status(): BrowserDeviceStatus {
    return {
      id: this.id,
      connected: this.client.connected,
      offsetMs: this.client.offsetMs,
      errorMs: this.client.errorMs,
      rttMs: this.client.rttMs,
      audio: this.player.state(),
    };
  }

  stop(): void {
    this.client.close();
    this.player.close();
  }
}
