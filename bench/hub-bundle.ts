import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { externals } from '../scripts/build-server.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The bench's hub (`hub-process.ts`) compiled as the production build compiles the server
 * (`scripts/build-server.ts`: one ES module, workspace sources bundled in, npm packages external,
 * no `keepNames`), to `bench/dist/hub-process.js`, run by plain `node`. A hub run through `tsx`
 * differs from the one a company runs: its transform keeps function names, so every named
 * closure gets an own `name` property (a property array each), and its loader hooks stay in the
 * process. Built once per bench run (esbuild takes well under a second); returns the file to run.
 */
export async function buildHubBundle(): Promise<string> {
  const dir = join(ROOT, 'bench', 'dist');
  const outfile = join(dir, 'hub-process.js');
  await build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'bench', 'hub-process.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20.19',
    format: 'esm',
    sourcemap: true,
    external: externals('server'),
    logLevel: 'warning',
  });
  // The process starts a one-line module that imports the bundle: `server/src/main.ts`, compiled
  // in, starts its own hub when its module is the one node was given (`import.meta.url` against
  // `process.argv[1]`), which the bundle's would be.
  const entry = join(dir, 'hub.js');
  writeFileSync(entry, "import './hub-process.js';\n");
  return entry;
}
