// Teamboard's entry: create the store (loads the wasm, and with persistence restores the
// outbox and the cache), connect it to the server's pushes (SSE, or a WebSocket with
// ?transport=websocket), then render. The store is also on window.store for the curious.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { StoreProvider } from 'strata-store/react';
import { connectDemoStore, createDemoStore } from './store.js';
import { toast } from './hooks.js';
import { App } from './App.jsx';
import { registerShell } from './offline-shell.js';
import './styles.css';

const root = createRoot(document.getElementById('root'));

try {
  const store = await createDemoStore();
  window.store = store;
  // A push the store refused (not JSON, or not the shape of an entity): nothing of it was
  // applied and the connection stays open.
  connectDemoStore(store, {
    onError: (e) => {
      console.warn('teamboard: a push message was refused', e.code, e.message, e.text);
      toast({ kind: 'error', key: 'push-refused', title: 'A server push was refused', text: `${e.code}: ${e.message}` });
    },
  });
  root.render(
    <StrictMode>
      <StoreProvider store={store}>
        <App />
      </StoreProvider>
    </StrictMode>,
  );
  if (import.meta.env.PROD) registerShell();
} catch (e) {
  console.error(e);
  root.render(
    <div className="boot boot-error" data-testid="boot-error">
      <h1>Teamboard could not start</h1>
      <p>
        <code>{e && e.code ? e.code : 'Error'}</code> {String(e && e.message ? e.message : e)}
      </p>
      <button className="btn" onClick={() => location.reload()}>
        Reload
      </button>
    </div>,
  );
}
