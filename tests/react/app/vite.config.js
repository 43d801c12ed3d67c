// Two builds of the throwaway app (tests/react/run.mjs):
//   vite build                          -> dist/      index.html: the app, production React
//   NODE_ENV=development vite build     -> dist-dev/  hooks.html: the hook tests, development
//                                          React (StrictMode double-mounts, React's warnings)
// No React plugin: JSX goes through Vite's own transform (Oxc) with the automatic runtime.
import { defineConfig } from 'vite';

const dev = process.env.NODE_ENV === 'development';

export default defineConfig({
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: dev ? 'dist-dev' : 'dist',
    emptyOutDir: true,
    minify: !dev,
    rolldownOptions: { input: dev ? { hooks: 'hooks.html' } : { index: 'index.html' } },
  },
});
