/**
 * What changed between two JSON values, as a short list of operations: how the trace ring keeps a
 * cluster per push without keeping the cluster (`trace-ring.ts`). Made for the hub's immutable
 * state, where an unchanged part is the same object as before: `diff` skips it without looking
 * inside, so it costs what changed, not the whole value.
 *
 * An operation is `[path, value]` (set) or `[path]` (delete a key; for an array, cut it to the
 * index). The empty path is the whole value.
 */
export type Path = Array<string | number>;
export type Op = [Path, unknown] | [Path];

type Json = Record<string, unknown> | unknown[];
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null;

/** The operations that turn `prev` into `next` (values as `JSON.stringify` sees them: undefined fields are absent). */
export function diff(prev: unknown, next: unknown): Op[] {
  const ops: Op[] = [];
  walk(prev, next, [], ops);
  return ops;
}

/** `path` is a stack shared by the whole walk (copied only into an operation): the walk allocates for what changed only. */
function walk(prev: unknown, next: unknown, path: Path, ops: Op[]): void {
  if (prev === next) return;
  if (!isObject(prev) || !isObject(next) || Array.isArray(prev) !== Array.isArray(next)) {
    ops.push(next === undefined ? [[...path]] : [[...path], next]);
    return;
  }
  if (Array.isArray(prev) && Array.isArray(next)) {
    for (let i = 0; i < next.length; i++) {
      path.push(i);
      child(prev[i], next[i], i < prev.length, path, ops);
      path.pop();
    }
    if (prev.length > next.length) ops.push([[...path, next.length]]);
    return;
  }
  const p = prev as Record<string, unknown>;
  const n = next as Record<string, unknown>;
  for (const key in n) {
    const was = own(p, key);
    path.push(key);
    child(was, n[key], was !== undefined, path, ops);
    path.pop();
  }
  for (const key in p) if (p[key] !== undefined && own(n, key) === undefined) ops.push([[...path, key]]);
}

/** A field of the value itself (never one it inherits, such as `valueOf`). */
const own = (o: Record<string, unknown>, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);

function child(prev: unknown, next: unknown, had: boolean, path: Path, ops: Op[]): void {
  if (prev === next) return;
  if (next === undefined) return; // absent in JSON; a key that went away is found by the caller
  if (had && isObject(prev) && isObject(next)) return walk(prev, next, path, ops);
  ops.push([[...path], next]);
}

/**
 * Apply operations to `target` in place (it must be the caller's own copy: values from the
 * operations are put in as they are), and return the result (a set of the empty path replaces it).
 */
export function apply(target: unknown, ops: readonly Op[]): unknown {
  let root = target;
  for (const op of ops) {
    const path = op[0];
    if (path.length === 0) {
      root = op.length === 2 ? op[1] : undefined;
      continue;
    }
    let at = root as Record<string | number, unknown>;
    for (let i = 0; i < path.length - 1; i++) at = at[path[i]!] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    if (op.length === 2) at[last] = op[1];
    else if (Array.isArray(at)) at.length = last as number;
    else delete at[last];
  }
  return root;
}
