// The one place that says how the test runners and benchmarks start Debian's Chromium
// (never a downloaded browser): headless, no sandbox (CI runs as root), and without the
// background networking that this machine's closed network refuses.
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
