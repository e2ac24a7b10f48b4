import { readFileSync } from 'node:fs';

/**
 * `tsx bench/profile.ts FILE.cpuprofile [N]`: the N functions with the most self time, and the N
 * with the most total (inclusive) time, from a V8 CPU profile (`node --cpu-prof`).
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}
const [file, n = '25'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx bench/profile.ts FILE.cpuprofile [N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; startTime: number; endTime: number };
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const total = profile.nodes.reduce((a, node) => a + node.hitCount, 0);
const name = (node: Node) =>
  `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(node_modules|main)\//, '')}:${node.callFrame.lineNumber + 1}`;
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const walk = (node: Node, stack: Set<string>): number => {
  let hits = node.hitCount;
  const key = name(node);
  self.set(key, (self.get(key) ?? 0) + node.hitCount);
  const entered = !stack.has(key);
  if (entered) stack.add(key);
  for (const child of node.children ?? []) hits += walk(byId.get(child)!, stack);
  if (entered) {
    stack.delete(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + hits);
  }
  return hits;
};
walk(profile.nodes[0]!, new Set());
const top = (m: Map<string, number>) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(n))
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n');
process.stdout.write(`${total} samples over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s\n\nself:\n${top(self)}\n\ninclusive:\n${top(inclusive)}\n`);
