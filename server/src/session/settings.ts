/** Timing of a session; every value in milliseconds. Tests shorten them through options. */
export interface SessionSettings {
  /** How long a target may take to load before the transfer rolls back. @default 5000 */
  prepareTimeoutMs: number;
  /** How long after the scheduled switch the target may take to confirm it started. @default 2000 */
  switchTimeoutMs: number;
  /** How long a vanished device keeps its role before it is marked offline. @default 10000 */
  graceMs: number;
  /** How long a session with no connected device lives before it is stopped. @default 60000 */
  idleMs: number;
  /** The smallest lead between scheduling a switch and the switch. @default 150 */
  minLeadMs: number;
  /** Most devices a user may register. @default 50 */
  maxDevices: number;
  /** This node's device URL (PUBLIC_URL), put in every welcome as `ownerUrl`: the session runs here. */
  publicUrl?: string;
}

export const DEFAULT_SESSION_SETTINGS: SessionSettings = {
  prepareTimeoutMs: 5000,
  switchTimeoutMs: 2000,
  graceMs: 10_000,
  idleMs: 60_000,
  minLeadMs: 150,
  maxDevices: 50,
};
