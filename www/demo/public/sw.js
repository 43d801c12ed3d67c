// Teamboard's service worker: the app shell opens offline, after a reload too (the data and
// the outbox come from strata's IndexedDB). Registered by src/offline-shell.js in production
// builds only. Cache-first for the built assets (/assets/*: content-hashed names, the wasm
// among them); network-first for the page itself (a new build shows as soon as it is online,
// the cached page when it is not); /api is never touched (strata owns what the API said).
const CACHE = 'teamboard-shell-v1';
const PAGE = '/';

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.add(PAGE)));
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('teamboard-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// The page lists what it loaded before this worker controlled it (its script, styles, wasm).
self.addEventListener('message', (event) => {
  if (!event.data || event.data.type !== 'precache' || !Array.isArray(event.data.urls)) return;
  const urls = event.data.urls.filter((u) => isShell(new URL(u, self.location.href)));
  event.waitUntil(
    caches
      .open(CACHE)
      .then((c) => Promise.all(urls.map((u) => c.match(u).then((hit) => hit || c.add(u)))))
      .then(
        () => event.source && event.source.postMessage({ type: 'precached', count: urls.length }),
        (e) => event.source && event.source.postMessage({ type: 'precache-failed', message: String(e && e.message) }),
      ),
  );
});

function isShell(url) {
  return url.origin === self.location.origin && url.pathname.startsWith('/assets/');
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api')) return;
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request)
        .then((res) => {
          if (res.ok) {
            const copy = res.clone();
            caches.open(CACHE).then((c) => c.put(PAGE, copy));
          }
          return res;
        })
        .catch(() => caches.open(CACHE).then((c) => c.match(PAGE)).then((hit) => hit || Response.error())),
    );
    return;
  }
  if (!isShell(url)) return;
  event.respondWith(
    caches.open(CACHE).then((c) =>
      c.match(request).then(
        (hit) =>
          hit ||
          fetch(request).then((res) => {
            if (res.ok) c.put(request, res.clone());
            return res;
          }),
      ),
    ),
  );
});
