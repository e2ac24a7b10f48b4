/** What OwnerAffinity needs of the client. */
export interface AffinityHost {
  /** Nothing in flight: no command waiting for its result, no switch waiting for its time. */
  idle(): boolean;
  /** Close the socket and connect to `url` at once (the device keeps playing through it). */
  moveTo(url: string): void;
}

/**
 * Owner affinity: the hub's welcome names the node that runs the user's session (`ownerUrl`);
 * a device welcomed on another node moves there once nothing is in flight, never in the middle
 * of a switch, so in steady state every device of a user sits on its owner and commands cross no
 * node. One move per welcome: if the owner changes again, the next welcome says so.
 */
export class OwnerAffinity {
  private target: string | null = null;

  constructor(private readonly host: AffinityHost) {}

  /** Welcomed on `url`; `ownerUrl` is where the session runs (absent: the hub does not say). */
  welcomed(url: string, ownerUrl: string | undefined): void {
    this.target = ownerUrl && ownerUrl !== url ? ownerUrl : null;
    this.check();
  }

  /** Something finished (a result, a switch, a second passed): move if it is time. */
  check(): void {
    if (!this.target || !this.host.idle()) return;
    const url = this.target;
    this.target = null;
    this.host.moveTo(url);
  }
}
