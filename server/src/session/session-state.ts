/** Where a session stands: idle, or a transfer preparing its target or switching to it. */
export type SessionStateName = 'idle' | 'preparing' | 'switching';
export type SessionStateValue = 'idle' | { transferring: 'preparing' | 'switching' };

/** The leaf a state value names (`{ transferring: 'switching' }` is 'switching'). */
export function stateName(value: unknown): SessionStateName {
  if (value === 'idle') return 'idle';
  // Sessions stored before the `transferring` parent existed saved the leaf alone.
  const leaf = typeof value === 'object' && value !== null ? (value as { transferring?: unknown }).transferring : value;
  if (leaf === 'preparing' || leaf === 'switching') return leaf;
  throw new Error(`not a session state: ${JSON.stringify(value)}`);
}

/** The state value for a leaf name (or a stored value, in either form). */
export function stateValue(value: unknown): SessionStateValue {
  const name = stateName(value);
  return name === 'idle' ? 'idle' : { transferring: name };
}
