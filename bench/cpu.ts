import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds a process has used (user + system), from /proc; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of a process and every process under it (the fleet and its workers): its own, its
 * reaped children's, and each live descendant's, from /proc. A descendant that exited between
 * two readings and was not yet reaped is missed for that reading only.
 */
export function treeCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const own = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
    return own + childrenOf(pid).reduce((sum, child) => sum + treeCpuSeconds(child), 0);
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
    readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
}

/**
 * How long a process's main thread has waited on a run queue (runnable, not running) and how
 * many times it got the CPU, from /proc/<pid>/task/<pid>/schedstat; zeros once it is gone. Two
 * readings give the mean wait each time it was woken or preempted: the scheduler's share of a
 * latency, apart from the process's own work.
 */
export function runQueue(pid: number): { waitMs: number; slices: number } {
  try {
    const [, wait, slices] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return { waitMs: wait! / 1e6, slices: slices! };
  } catch {
    return { waitMs: 0, slices: 0 };
  }
}
