/** The little the hub needs of a socket, so its logic runs against `ws` or an in-memory pair. */
export interface HubSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
  /** Bytes queued but not yet written to the network. */
  readonly bufferedAmount: number;
}
