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

/**
 * Opens `url` (a benchmark page that sets `window.__bench = { ok, ... }` when done) in a fresh
 * headless Chromium, forwards the page's console and failures, and returns the page's result
 * with the browser's version. The caller closes `context` and removes `userDataDir`; on a
 * failure here both are cleaned up before the error is thrown. `setup(page, context)`, when given,
 * runs before the page loads (e.g. to expose a function to it).
 */
export async function runBenchPage(url, timeoutMs, setup) {
  const { chromium } = await import('playwright-core');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const os = await import('node:os');
  const path = await import('node:path');
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'strata-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (msg) => console.log(`[browser ${msg.type()}] ${msg.text()}`));
    page.on('pageerror', (err) => console.log(`[browser pageerror] ${err.stack || err.message || err}`));
    page.on('requestfailed', (req) => console.log(`[browser requestfailed] ${req.url()}: ${req.failure()?.errorText ?? 'unknown error'}`));
    page.on('response', (res) => {
      if (res.status() >= 400) console.log(`[browser http ${res.status()}] ${res.url()}`);
    });
    page.on('crash', () => console.log('[browser crash] page crashed'));
    let browser = {};
    try {
      const cdp = await context.newCDPSession(page);
      browser = await cdp.send('Browser.getVersion');
      await cdp.detach();
    } catch (err) {
      browser = { error: String(err.message || err) };
    }
    if (setup) await setup(page, context);
    const response = await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
    if (!response || !response.ok()) throw new Error(`failed to load ${url}: HTTP ${response ? response.status() : 'no response'}`);
    try {
      await page.waitForFunction(() => window.__bench !== undefined, null, { timeout: timeoutMs, polling: 250 });
    } catch (err) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for window.__bench (${err.message.split('\n')[0]})`);
    }
    const bench = await page.evaluate(() => window.__bench);
    if (!bench.ok) throw new Error(`the page failed: ${bench.error}`);
    return { context, userDataDir, bench, browser };
  } catch (err) {
    await context?.close().catch(() => {});
    await rm(userDataDir, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}
