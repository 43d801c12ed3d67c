// Teamboard's entry: create the store (loads the wasm, and with persistence restores the
// outbox and the cache), then render. The store is also on window.store for the curious.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { StoreProvider } from 'strata/react';
import { createDemoStore } from './store.js';
import { App } from './App.jsx';
import './styles.css';

const root = createRoot(document.getElementById('root'));

try {
  const store = await createDemoStore();
  window.store = store;
  root.render(
    <StrictMode>
      <StoreProvider store={store}>
        <App />
      </StoreProvider>
    </StrictMode>,
  );
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
