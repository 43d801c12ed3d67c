// The app shell offline (public/sw.js): registered in production builds only (the dev server
// serves modules that change on every edit). Once the worker has cached what this page
// loaded, <html data-offline-ready="true"> says so (the e2e test waits for it).
export async function registerShell() {
  if (!('serviceWorker' in navigator)) return;
  try {
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data && e.data.type === 'precached') document.documentElement.dataset.offlineReady = 'true';
      if (e.data && e.data.type === 'precache-failed') console.warn(`teamboard: the offline copy failed: ${e.data.message}`);
    });
    await navigator.serviceWorker.register('/sw.js');
    const ready = await navigator.serviceWorker.ready;
    const urls = performance
      .getEntriesByType('resource')
      .map((e) => e.name)
      .filter((u) => new URL(u).origin === location.origin && new URL(u).pathname.startsWith('/assets/'));
    ready.active?.postMessage({ type: 'precache', urls });
  } catch (e) {
    console.warn(`teamboard: no offline copy of the page (${e && e.message})`);
  }
}
