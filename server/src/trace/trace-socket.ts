import { CloseCode, type Cluster } from '@handoff/protocol';
import type { Hub } from '../hub.ts';
import type { SocketRoute } from '../http/app.ts';
import type { Log } from '../log.ts';
import { auditRead, traceRefusal } from './access.ts';
import { TurnBudget } from '../limits/turn-budget.ts';
import { BATCHES_PER_TURN, DEFAULT_TRACE_STREAM_SETTINGS, TraceStream, type TraceStreamSettings } from './trace-stream.ts';

/**
 * `/v1/trace?user=U&sinceSeq=N&bootId=B`: a viewer token of U, or an admin token, streams U's trace
 * (see TraceStream). Without `user`, the token's own user. `sinceSeq` counts only within boot B
 * (the hello's bootId): from another boot, the stream starts from the oldest event held. Viewers only read: frames they send
 * are ignored.
 */
/** WebSocket close code for a request the endpoint will not serve (RFC 6455). */
const POLICY_VIOLATION = 1008;

export function traceSocket(hub: Hub, log: Log, settings: TraceStreamSettings = DEFAULT_TRACE_STREAM_SETTINGS): SocketRoute {
  // All the trace sockets of one token's user together catch up on at most one socket's worth a
  // turn: a burst of subscriptions (each replaying the ring) delays that user, not the others.
  const turns = new TurnBudget(BATCHES_PER_TURN);
  return {
    path: '/v1/trace',
    roles: ['viewer', 'admin'],
    attach(ws, principal, url) {
      const userId = url.searchParams.get('user') || principal.userId;
      const refusal = traceRefusal(principal, userId);
      if (refusal) return ws.close(CloseCode.FORBIDDEN, refusal);
      const asked = Number(url.searchParams.get('sinceSeq') ?? 0);
      if (!Number.isSafeInteger(asked) || asked < 0) return ws.close(POLICY_VIOLATION, 'sinceSeq must be a non-negative integer');
      // A viewer's seqs from another boot of the trace mean nothing here: it gets this run from the start.
      const boot = url.searchParams.get('bootId');
      const since = boot && boot !== hub.trace.bootId ? 0 : asked;
      auditRead(log, principal, userId, 'socket');
      const socket = {
        send: (text: string) => ws.send(text),
        close: (code: number, reason: string) => ws.close(code, reason),
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
      };
      // Many nodes: this hub's ring of the user follows the owner's trace stream while watched.
      const watch = hub.watchTrace(userId);
      let stream: TraceStream | null = null;
      let gone = false;
      const stop = () => {
        gone = true;
        stream?.stop();
        watch?.stop();
      };
      ws.on('close', stop);
      ws.on('error', stop);
      const begin = (cluster: Cluster | null) => {
        if (gone) return;
        const share = { take: () => turns.take(principal.userId), later: (fn: () => void) => turns.later(fn) };
        stream = new TraceStream(socket, hub.trace, hub.clock, userId, since, settings, () => hub.metrics.viewerFellBehind(), share);
        stream.start(cluster);
      };
      if (watch) void Promise.all([hub.readCluster(userId), watch.ready]).then(([cluster]) => begin(cluster), () => begin(null));
      else begin(hub.openCluster(userId));
    },
  };
}
