/** The little the hub needs of a socket, so its logic runs against `ws` or an in-memory pair. */
export interface HubSocket {
  send(text: string): void;
  /**
   * Close with a code. `hostile`: the peer is cut off for abuse (garbage, flooding), so nothing more
   * it sent is read; an honest peer's close handshake is left to run its course.
   */
  close(code: number, reason: string, hostile?: boolean): void;
  /** Stop and resume reading frames (optional: in-memory sockets have nothing to hold back). */
  pause?(): void;
  resume?(): void;
  /** Bytes queued but not yet written to the network. */
  readonly bufferedAmount: number;
}
