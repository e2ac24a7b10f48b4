/** What the grace timer reads of the client, and what it calls when the grace period is over. */
export interface GraceHost {
  now(): number;
  /** When the hub last said anything (0: never). */
  lastHeard(): number;
  /** The hub's grace period (Infinity before the first welcome). */
  graceMs(): number;
  /** Welcomed on the socket open now. */
  connected(): boolean;
  /** The hub has given this device's role away: stop the sound. */
  goSilent(): void;
}

/**
 * Without a hub, a device goes silent exactly `graceMs` after the last frame it heard: the hub
 * gives the role away then, and pauses the position line at that same moment (so a resume
 * continues where the sound stopped). A welcome cancels it.
 */
export class GraceSilence {
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly host: GraceHost) {}

  /** The socket closed: go silent at the end of the grace period unless welcomed again before. */
  arm(): void {
    const { host } = this;
    if (this.timer !== null || !Number.isFinite(host.graceMs()) || host.lastHeard() === 0) return;
    const fire = () => {
      if (host.connected()) return void (this.timer = null);
      const left = host.lastHeard() + host.graceMs() - host.now();
      if (left > 0) return void (this.timer = setTimeout(fire, left));
      this.timer = null;
      host.goSilent();
    };
    this.timer = setTimeout(fire, Math.max(0, host.lastHeard() + host.graceMs() - host.now()));
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The same rule, checked once a second too, for clocks that jump (suspend, tests). */
  check(): void {
    const { host } = this;
    if (!host.connected() && host.lastHeard() > 0 && host.now() - host.lastHeard() >= host.graceMs()) host.goSilent();
  }
}
