// The page tests/sync/run.mjs drives: one store of the package (as an app would use it) and
// small helpers the runner calls with page.evaluate. Results of mutate() promises are kept
// in `window.t.settled` so a test can read them after the fact.
import { createStore } from '/pkg/index.js';

const entities = {
  Task: { version: 'version', relations: { assignee: 'User' } },
  User: {},
};

const t = {
  store: null,
  settled: [],
  async open(name, options = {}) {
    t.store = await createStore({
      name,
      baseUrl: '/api',
      entities,
      defaults: { retryDelay: 100 },
      headers: () => ({ Authorization: 'Bearer top-secret-token' }),
      ...options,
    });
    t.store.subscribeQuery({ queryKey: ['tasks'], url: '/tasks', shape: ['Task'] }, () => {});
    return true;
  },
  patch(id, patch, extra = {}) {
    const p = t.store.mutate({
      request: { method: 'PATCH', url: `/tasks/${id}`, body: patch, ...(extra.request || {}) },
      optimistic: [{ op: 'update', type: 'Task', id, patch }],
      shape: 'Task',
    });
    p.then(
      (v) => t.settled.push({ ok: true, value: v }),
      (e) => t.settled.push({ ok: false, code: e.code, message: e.message }),
    );
  },
  // `n` creates (POST /tasks, each with an optimistic insert into the list), titled
  // `${prefix}-${i}` from `from` on: the soak test's writes (tests/soak/run.mjs).
  create(prefix, from, n) {
    for (let i = from; i < from + n; i++) {
      const title = `${prefix}-${i}`;
      const p = t.store.mutate({
        request: { method: 'POST', url: '/tasks', body: { title } },
        optimistic: [{ op: 'insert', type: 'Task', data: { id: t.store.tempId(), title, done: false }, into: [{ queryKey: ['tasks'] }] }],
        shape: 'Task',
      });
      p.then(
        () => t.settled.push({ ok: true, title }),
        (e) => t.settled.push({ ok: false, code: e.code, title }),
      );
    }
    return from + n;
  },
  // An infinite query over /api/feed/<n> (pages set by the runner with _set).
  feed() {
    t.store.subscribeInfiniteQuery({
      queryKey: ['feed'],
      url: (n) => `/feed/${n}`,
      shape: { items: ['Task'], next: null },
      initialPageParam: 0,
      getNextPageParam: (last) => last.next,
    }, () => {});
  },
  async nextPage() {
    const s = await t.store.fetchNextPage(['feed']);
    return s.data.pageParams;
  },
  feedParams() {
    const d = t.store.getQueryData(['feed']);
    return d ? d.pageParams : null;
  },
  connect(transport) {
    t.store.connect({ url: transport === 'websocket' ? '/ws' : '/events', transport, retryDelay: 50 });
  },
  conn() {
    const s = t.store.connectionState();
    return { status: s.status, lastEventId: s.lastEventId, error: s.error && s.error.code };
  },
  tasks() {
    const d = t.store.getQueryData(['tasks']);
    return d && d.map((x) => ({ id: x.id, title: x.title, done: x.done }));
  },
  queryState() {
    const s = t.store.getQueryState(['tasks']);
    return s && { status: s.status, isStale: s.isStale, fetchStatus: s.fetchStatus };
  },
  list() {
    return t.store.mutations().map((m) => ({ id: m.id, status: m.status, code: m.error && m.error.code, url: m.request && m.request.url }));
  },
  sync() {
    const s = t.store.syncState();
    return { ...s, lastError: s.lastError && s.lastError.code };
  },
  // Everything this store's database holds, as text (for "nothing secret", "nothing left").
  async dump(name) {
    const db = await new Promise((resolve, reject) => {
      const r = indexedDB.open(`strata:${name}`);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const out = {};
    for (const s of db.objectStoreNames) {
      out[s] = await new Promise((resolve, reject) => {
        const r = db.transaction(s).objectStore(s).getAll();
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    }
    db.close();
    return out;
  },
  async putRaw(name, store, value, key) {
    const db = await new Promise((resolve, reject) => {
      const r = indexedDB.open(`strata:${name}`);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    await new Promise((resolve, reject) => {
      const tx = db.transaction(store, 'readwrite');
      tx.objectStore(store).put(value, key);
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  },
};
window.t = t;
