/** A flat list of what changed between two JSON values: path, before, after. */
export interface Change {
  path: string;
  before: unknown;
  after: unknown;
}

export function diff(a: unknown, b: unknown, path = '', out: Change[] = [], limit = 200): Change[] {
  if (out.length >= limit) return out;
  if (Object.is(a, b)) return out;
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (Array.isArray(a) && Array.isArray(b)) {
    // Arrays of objects with ids (devices) diff by id; others by index.
    const all: unknown[] = [...(a as unknown[]), ...(b as unknown[])];
    const keyed = all.every((x) => isObj(x) && typeof x.id === 'string');
    if (keyed) {
      const ma = new Map((a as unknown[]).map((x) => [(x as { id: string }).id, x]));
      const mb = new Map((b as unknown[]).map((x) => [(x as { id: string }).id, x]));
      for (const id of new Set([...ma.keys(), ...mb.keys()])) diff(ma.get(id), mb.get(id), `${path}[${id}]`, out, limit);
      return out;
    }
    if (a.length !== b.length && a.every((x) => !isObj(x)) && b.every((x) => !isObj(x))) {
      out.push({ path, before: a, after: b });
      return out;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) diff(a[i], b[i], `${path}[${i}]`, out, limit);
    return out;
  }
  if (isObj(a) && isObj(b) && !Array.isArray(a) && !Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diff(a[k], b[k], path ? `${path}.${k}` : k, out, limit);
    return out;
  }
  out.push({ path, before: a, after: b });
  return out;
}

export function short(v: unknown): string {
  if (v === undefined) return '∅';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}
