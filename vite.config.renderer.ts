import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * Builds the renderer to dist/renderer with relative asset paths (`./assets/…`):
 * index.html is served at the root of both origins, Electron's app://ferry/ and
 * browser mode's http://127.0.0.1:PORT/, so they resolve to /assets/… on either.
 * No plugins: Vite 8's built-in Oxc transform compiles TSX with React's
 * automatic JSX runtime, and nothing is fetched from a CDN (DESIGN.md decision 9).
 */
export default defineConfig({
  root: fileURLToPath(new URL('./src-renderer', import.meta.url)),
  base: './',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // Every asset is a file of its own: a CSP without 'unsafe-inline' and no data: fonts.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: { host: '127.0.0.1' },
});
