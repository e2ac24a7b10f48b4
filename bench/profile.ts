import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/**
 * `tsx bench/profile.ts FILE.cpuprofile [N] [--from S] [--to S] [--busy]`: the N functions with the
 * most self time, and the N with the most total (inclusive) time, from a V8 CPU profile (`node
 * --cpu-prof`). `--from`/`--to` keep only the samples between those seconds of the profile (a
 * scenario's window); `--busy` leaves out idle time, so shares are of the CPU actually used.
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { from: { type: 'string' }, to: { type: 'string' }, busy: { type: 'boolean', default: false } },
});
const [file, n = '25'] = positionals;
if (!file) {
  process.stderr.write('usage: tsx bench/profile.ts FILE.cpuprofile [N] [--from S] [--to S] [--busy]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
};
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const name = (node: Node) =>
  `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(node_modules|main)\//, '')}:${node.callFrame.lineNumber + 1}`;

const fromUs = Number(values.from ?? 0) * 1e6;
const toUs = values.to === undefined ? Infinity : Number(values.to) * 1e6;
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
let t = 0;
profile.samples.forEach((id, i) => {
  t += profile.timeDeltas[i] ?? 0;
  if (t < fromUs || t > toUs) return;
  const leaf = byId.get(id)!;
  const leafName = name(leaf);
  if (values.busy && leafName.startsWith('(idle)')) return;
  total++;
  self.set(leafName, (self.get(leafName) ?? 0) + 1);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const key = name(byId.get(at)!);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + 1);
  }
});
const top = (m: Map<string, number>) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(n))
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n');
process.stdout.write(
  `${total} samples over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s (window ${fromUs / 1e6}-${toUs === Infinity ? 'end' : toUs / 1e6} s)\n\nself:\n${top(self)}\n\ninclusive:\n${top(inclusive)}\n`,
);
