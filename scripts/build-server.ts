import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What each program is compiled from, and the workspace whose runtime dependencies it keeps external. */
const PROGRAMS = [
  { workspace: 'server', entries: { main: 'server/src/main.ts', 'token-cli': 'server/src/token-cli.ts' } },
  { workspace: 'device-sim', entries: { cli: 'device-sim/src/cli.ts' } },
] as const;

/** The npm dependencies of a workspace and of the workspaces it uses, which stay imports: node_modules has them at run time. */
export function externals(workspace: string, seen = new Set<string>()): string[] {
  const deps = Object.keys(
    (JSON.parse(readFileSync(join(ROOT, workspace, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> })
      .dependencies ?? {},
  );
  const out: string[] = [];
  for (const dep of deps) {
    if (!dep.startsWith('@handoff/')) out.push(dep);
    else if (!seen.has(dep)) {
      seen.add(dep);
      out.push(...externals(dep.slice('@handoff/'.length), seen));
    }
  }
  return [...new Set(out)];
}

/**
 * Compile the hub (with the protocol it imports) and the device simulator's CLI to plain
 * JavaScript: one ES module per program, `<workspace>/dist/<name>.js` under `outRoot`, run by
 * `node` with no TypeScript loader. npm packages stay imports; workspace sources are compiled in.
 */
export async function buildPrograms(outRoot = ROOT): Promise<string[]> {
  const files: string[] = [];
  for (const program of PROGRAMS) {
    const outdir = join(outRoot, program.workspace, 'dist');
    await build({
      absWorkingDir: ROOT,
      entryPoints: program.entries,
      outdir,
      bundle: true,
      platform: 'node',
      target: 'node20.19',
      format: 'esm',
      sourcemap: true,
      external: externals(program.workspace),
      logLevel: 'warning',
    });
    files.push(...Object.keys(program.entries).map((name) => join(outdir, `${name}.js`)));
  }
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = await buildPrograms();
  process.stdout.write(files.map((f) => `built ${f.slice(ROOT.length)}\n`).join(''));
}
