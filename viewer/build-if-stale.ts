import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Build the viewer into viewer/dist when the build is missing or was made from other sources.
 * "Other sources" is a content hash of everything the bundle is made from (its src, index.html,
 * config, package.json and the protocol types), so a fresh clone builds once and a restart with
 * nothing changed does not. `npm install` (postinstall) and `npm start` call it.
 */
const here = dirname(fileURLToPath(import.meta.url));
const SOURCES = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json', 'tsconfig.app.json', '../protocol/src', '../client/src'];
const STAMP = join(here, 'dist', '.source-hash');

export function sourceHash(): string {
  const hash = createHash('sha256');
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) walk(join(path, name));
      return;
    }
    hash.update(relative(here, path)).update('\0').update(readFileSync(path)).update('\0');
  };
  for (const source of SOURCES) walk(join(here, source));
  return hash.digest('hex');
}

/** Why the viewer needs building, or null when dist/ matches its sources. */
export function staleReason(): string | null {
  if (!existsSync(join(here, 'dist', 'index.html'))) return 'no build yet';
  if (!existsSync(STAMP)) return 'build of unknown sources';
  return readFileSync(STAMP, 'utf8').trim() === sourceHash() ? null : 'sources changed since the last build';
}

/** Build when stale; resolves once dist/ is current. Rejects when the build fails. */
export async function ensureViewerBuilt(
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<{ built: boolean }> {
  const reason = staleReason();
  if (reason === null) return { built: false };
  log(`viewer: building (${reason})…`);
  const hash = sourceHash();
  const vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
      cwd: here,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`viewer build failed (exit ${code})`))));
  });
  writeFileSync(STAMP, hash);
  log(`viewer: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { built: true };
}

// `tsx viewer/build-if-stale.ts [--soft]`: --soft (postinstall) reports a failed build without failing the install.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureViewerBuilt().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    if (!process.argv.includes('--soft')) process.exit(1);
    process.stderr.write('viewer: npm start will try again\n');
  });
}
