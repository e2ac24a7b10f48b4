/**
 * The rules the kit checks, each with its id, the rule of `docs/CLIENTS.md` it certifies and
 * what a device must do to pass. Ids are stable: reports, docs and the kit's own tests cite them.
 */
export const RULES = {
  'hello.version': { clients: 2, title: 'sends device.hello first, with protocol version 1, and waits for the welcome' },
  'clock.answers': { clients: 3, title: 'answers every clock.ping at once with a pong on one steady clock' },
  'fencing.stale-revision': { clients: 4, title: 'ignores a cluster whose revision is lower than the one it has' },
  'cluster.follow': { clients: 5, title: 'plays what the cluster says when active (start, seek, stop), at the line position' },
  'prepare.ready': { clients: 6, title: 'prepares without sound and answers transfer.ready before the deadline' },
  'switch.at-T': { clients: 7, title: 'as target starts at T at p(T), as source stops at T' },
  'abort.resume-at': { clients: 8, title: 'a target unloads on abort; a source that stopped resumes on resumeAt' },
  'reconnect.resume': { clients: 9, title: 'reconnects after a dropped socket with resume, and keeps playing meanwhile' },
  'grace.silence': { clients: 9, title: 'goes silent graceMs after the last frame heard when no hub can be reached' },
  'liveness.silent-hub': { clients: 10, title: 'drops and reconnects a socket on which the hub said nothing for 3 heartbeats' },
  'identity.replaced': { clients: 1, title: 'does not reconnect after close 4013 (replaced)' },
  'fields.ignore-unknown': { clients: 13, title: 'ignores fields and message types it does not know' },
  'volume.follow': { clients: 14, title: 'sets its output to its own devices[].volume, and to transfer.prepare.volume' },
  'group.drift-report': { clients: 15, title: 'in the playing group, reports its position with each clock.pong and follows playback.resync' },
} as const satisfies Record<string, { clients: number; title: string }>;

export type RuleId = keyof typeof RULES;
export const RULE_IDS = Object.keys(RULES) as RuleId[];

/** One rule's outcome: pass or fail, and what the kit saw. */
export interface RuleResult {
  id: RuleId;
  pass: boolean;
  /** What the kit observed, one line each, in order (the first failing line says why). */
  evidence: string[];
  /** The line that best sums up a pass. */
  headline?: string;
}
