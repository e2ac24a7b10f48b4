import type { TraceEvent } from '@handoff/protocol';

/** What a correlation id names: a transfer (it has transfer phases) or a command. */
export interface Operation {
  correlationId: string;
  kind: 'transfer' | 'command';
  /** `transfer` or the command's message type (`command.play`). */
  name: string;
  events: TraceEvent[];
  start: number;
  end: number;
  outcome: 'ok' | 'error' | 'open';
  message?: string;
  /** For a transfer: the command that asked for it. */
  commandId?: string;
  /** For a transfer: the device that takes over. */
  targetId?: string;
}

export interface Grouped {
  operations: Operation[];
  /** Events that belong to no command or transfer (presence, clock, connections, hellos). */
  loose: TraceEvent[];
}

/** Events grouped by correlation id into operations, in order of their first event. */
export function groupByOperation(events: readonly TraceEvent[]): Grouped {
  const byId = new Map<string, TraceEvent[]>();
  const loose: TraceEvent[] = [];
  for (const e of events) {
    if (e.correlationId === undefined) loose.push(e);
    else {
      const list = byId.get(e.correlationId);
      if (list) list.push(e);
      else byId.set(e.correlationId, [e]);
    }
  }
  const operations = [...byId].map(([correlationId, list]) => describe(correlationId, list));
  return { operations, loose };
}

function describe(correlationId: string, events: TraceEvent[]): Operation {
  const first = events[0]!;
  const last = events[events.length - 1]!;
  const op: Operation = {
    correlationId,
    kind: 'command',
    name: first.type,
    events,
    start: first.ts,
    end: last.ts,
    outcome: 'open',
  };
  const prepare = events.find((e) => e.kind === 'transfer.phase' && e.type === 'prepare');
  if (prepare || events.some((e) => e.kind === 'transfer.phase')) {
    op.kind = 'transfer';
    op.name = 'transfer';
    const p = (prepare?.payload ?? {}) as { commandId?: unknown; targetId?: unknown };
    if (typeof p.commandId === 'string') op.commandId = p.commandId;
    if (typeof p.targetId === 'string') op.targetId = p.targetId;
    for (const e of events) {
      if (e.kind !== 'transfer.phase') continue;
      if (e.type === 'committed') op.outcome = 'ok';
      if (e.type === 'rolled-back') {
        op.outcome = 'error';
        const r = (e.payload ?? {}) as { code?: string; message?: string };
        op.message = `${r.code ?? 'ROLLED_BACK'}: ${r.message ?? ''}`;
      }
    }
    return op;
  }
  const command = events.find((e) => e.kind === 'message.in' && e.type.startsWith('command.'));
  if (command) op.name = command.type;
  for (const e of events) {
    if (e.kind !== 'command.result') continue;
    op.outcome = e.type === 'ok' ? 'ok' : 'error';
    if (op.outcome === 'error') {
      const r = (e.payload ?? {}) as { message?: string };
      op.message = `${e.type}: ${r.message ?? ''}`;
    }
  }
  return op;
}

/** A transfer's milestones, by name, in server time (absent when the transfer never got there). */
export function transferMilestones(
  op: Operation,
): Partial<Record<'prepare' | 'ready' | 'scheduled' | 'switchAt' | 'started' | 'end', number>> {
  const m: Partial<Record<'prepare' | 'ready' | 'scheduled' | 'switchAt' | 'started' | 'end', number>> = {};
  for (const e of op.events) {
    if (e.kind === 'transfer.phase' && e.type === 'prepare') m.prepare ??= e.ts;
    else if (e.kind === 'message.in' && e.type === 'transfer.ready') m.ready ??= e.ts;
    else if (e.kind === 'transfer.phase' && e.type === 'switch-scheduled') {
      m.scheduled ??= e.ts;
      const at = (e.payload as { atServerTime?: unknown } | undefined)?.atServerTime;
      if (typeof at === 'number') m.switchAt ??= at;
    } else if (e.kind === 'message.in' && e.type === 'transfer.started') m.started ??= e.ts;
    else if (e.kind === 'transfer.phase' && (e.type === 'committed' || e.type === 'rolled-back')) m.end ??= e.ts;
  }
  return m;
}
