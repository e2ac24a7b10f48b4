import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** `npm run dev -w viewer`: hot reload, with /v1 (HTTP and the trace socket) proxied to a running hub. */
const hub = process.env.HUB_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 800 },
  server: { proxy: { '/v1': { target: hub, ws: true, changeOrigin: true } } },
});
