/** The session machine as the hub serves it (`GET /v1/trace/machine`, XState's `machine.toJSON()`), read into states and edges. */
export interface Chart {
  /** Top-level states in definition order, e.g. idle, preparing, switching. */
  states: string[];
  initial: string | null;
  /** Transitions between states (self-transitions and those handled in place are left out of the drawing). */
  edges: ChartEdge[];
}

export interface ChartEdge {
  from: string;
  to: string;
  event: string;
  guard: string | null;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Read the definition: the drawn states are the atomic ones (a compound state such as
 * `transferring` stands for its children); a transition on a parent applies to each child, and a
 * target that is a compound state means its initial child.
 */
export function readChart(def: unknown): Chart {
  if (!isObj(def) || !isObj(def.states)) throw new Error('not a machine definition: no states');
  const byId = new Map<string, Json>();
  const states: string[] = [];
  const leavesOf = new Map<Json, string[]>();
  const walk = (node: Json, path: string): string[] => {
    byId.set(path, node);
    const children = isObj(node.states) ? Object.entries(node.states).filter((e): e is [string, Json] => isObj(e[1])) : [];
    const leaves = children.length ? children.flatMap(([key, child]) => walk(child, `${path}.${key}`)) : [path.split('.').at(-1)!];
    if (!children.length) states.push(leaves[0]!);
    leavesOf.set(node, leaves);
    return leaves;
  };
  const root = typeof def.id === 'string' ? `#${def.id}` : '#session';
  walk(def, root);
  const resolve = (id: string): string | null => {
    const node = byId.get(id);
    if (!node) return id.split('.').at(-1) ?? null;
    return isObj(node.states) && Object.keys(node.states).length ? initialOf(node) : (id.split('.').at(-1) ?? null);
  };
  const initialOf = (node: Json): string | null => {
    const t: unknown = isObj(node.initial) ? node.initial.target : undefined;
    const id: unknown = Array.isArray(t) ? t[0] : undefined;
    return typeof id === 'string' ? resolve(id) : (leavesOf.get(node)?.[0] ?? null);
  };
  const edges: ChartEdge[] = [];
  const seen = new Set<string>();
  for (const node of byId.values()) {
    if (!isObj(node.on)) continue;
    for (const [event, list] of Object.entries(node.on)) {
      if (!Array.isArray(list)) continue;
      for (const t of list) {
        if (!isObj(t) || !Array.isArray(t.target) || typeof t.target[0] !== 'string') continue;
        const to = resolve(t.target[0]);
        if (!to) continue;
        const guard = typeof t.guard === 'string' ? t.guard : isObj(t.guard) && typeof t.guard.type === 'string' ? t.guard.type : null;
        for (const from of leavesOf.get(node) ?? []) {
          const key = `${from} ${event} ${to}`;
          if (from === to || seen.has(key)) continue;
          seen.add(key);
          edges.push({ from, to, event, guard });
        }
      }
    }
  }
  return { states, initial: initialOf(def), edges };
}
