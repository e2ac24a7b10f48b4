import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { apiError } from './respond.ts';
import type { Handler } from './router.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The built viewer (viewer/dist), public: a file when one matches the path, else index.html so
 * that client-side URLs load the app. API paths (`/v1/...`) that no route took stay a JSON 404.
 * Hashed assets are cached for good; index.html never.
 */
export function viewerFiles(dir: string): Handler {
  const root = normalize(dir + sep);
  return ({ req, res, url }) => {
    if (url.pathname.startsWith('/v1/') || (req.method !== 'GET' && req.method !== 'HEAD')) {
      return apiError(res, 404, 'Service not found');
    }
    const index = join(root, 'index.html');
    if (!existsSync(index)) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('The viewer is not built. Run `npm run build -w viewer` (npm install and npm start do it for you).\n');
    }
    let file = index;
    try {
      file = normalize(join(root, decodeURIComponent(url.pathname)));
    } catch {
      // A malformed escape: serve the app, which shows its own not-found state.
    }
    if (!file.startsWith(root) || !isFile(file)) file = index;
    const immutable = file.startsWith(join(root, 'assets') + sep);
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
