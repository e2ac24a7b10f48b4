import type { Principal } from '../auth/token.ts';
import type { Log } from '../log.ts';

/** Why `principal` may not read `userId`'s trace, or null when it may. */
export function traceRefusal(principal: Principal, userId: string): string | null {
  if (principal.role === 'admin') return null;
  if (principal.role !== 'viewer') return 'a viewer or admin token is needed to read traces';
  if (principal.userId !== userId) return `a viewer token of ${principal.userId} cannot read the trace of another user`;
  return null;
}

/** An admin reading someone else's trace is written to the log (who, whose, how). */
export function auditRead(log: Log, principal: Principal, userId: string, via: string): void {
  if (principal.role === 'admin' && principal.userId !== userId) {
    log.info({ audit: 'trace.read', admin: principal.userId, userId, via }, 'admin reads the trace of another user');
  }
}
