/** @type {import('next').NextConfig} */
export default {
  // No strata-specific setting: Turbopack ships the wasm for the browser (it follows
  // `new URL(..., import.meta.url)`), and on the server strata reads it from node_modules.
  // The test's own tree: no workspace-root guessing from lockfiles further up.
  outputFileTracingRoot: import.meta.dirname,
  turbopack: { root: import.meta.dirname },
};
