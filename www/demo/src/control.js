// The demo server's knobs (latency, failures, network cut), shared by every component that
// shows them. Polled every 2 s so another tab's switch shows up here too; control endpoints
// are never cut, delayed or logged by the server.
import { useSyncExternalStore } from 'react';
import { server } from './store.js';

let state = { control: null, error: null };
const subs = new Set();
let timer;

function set(next) {
  state = { ...state, ...next };
  for (const f of subs) f();
}

async function poll() {
  try {
    const control = await server.control();
    if (JSON.stringify(control) !== JSON.stringify(state.control) || state.error) set({ control, error: null });
  } catch (e) {
    if (!state.error) set({ error: e.message });
  }
}

function subscribe(f) {
  subs.add(f);
  if (subs.size === 1) {
    poll();
    timer = setInterval(poll, 2000);
  }
  return () => {
    subs.delete(f);
    if (subs.size === 0) clearInterval(timer);
  };
}

/** { control: { latencyMs, failureRate, failureStatus, networkCut } | null, error } */
export function useServerControl() {
  return useSyncExternalStore(subscribe, () => state);
}

export async function setServerControl(patch) {
  const control = await server.control(patch);
  set({ control, error: null });
  return control;
}
