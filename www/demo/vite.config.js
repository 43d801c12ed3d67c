// The demo page (www/demo): `vite build` writes dist/, which www/server/main.mjs serves at /
// next to the demo API. strata is installed from the packed tarball (prepare.mjs), exactly as
// an app installs it from npm. No React plugin: Vite's own transform (Oxc) handles JSX.
import { defineConfig } from 'vite';

export default defineConfig({
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  // `vite` (the dev server) talks to a running demo server for the API.
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
