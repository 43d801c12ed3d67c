// Events: the store's timeline (fetches, mutation sends, rollbacks, conflicts, pushes, tab
// messages, connection changes) for devtools and performance monitoring. Free when nobody
// listens: the parts test `events.on` before they build an event, so the hot path allocates
// nothing then. While someone listens the last BUFFER events are also kept, so a panel that
// opens late shows what happened before.

import { report } from './errors.js';

const BUFFER = 300;

export class Events {
  #listeners = new Set();
  #ring = []; // the last BUFFER events, oldest first
  #seq = 0;
  /** True while at least one listener is subscribed: the parts build events only then. */
  on = false;

  /** Calls `listener(event)` for each later event; returns the unsubscribe function. */
  subscribe(listener) {
    const entry = { listener }; // one subscription per call, even for the same function
    this.#listeners.add(entry);
    this.on = true;
    return () => {
      this.#listeners.delete(entry);
      this.on = this.#listeners.size > 0;
    };
  }

  /** The events kept so far (the last BUFFER), oldest first. */
  history() {
    return this.#ring.slice();
  }

  /** Stamps `event` (`seq`, `at`) and hands it to every listener; call only when `on`. */
  emit(event) {
    event.seq = ++this.#seq;
    event.at = Date.now();
    Object.freeze(event);
    this.#ring.push(event);
    if (this.#ring.length > BUFFER) this.#ring.shift();
    for (const { listener } of [...this.#listeners]) {
      try {
        listener(event);
      } catch (e) {
        report(e); // a listener's bug shows in the console, never in the store
      }
    }
  }

  clear() {
    this.#listeners.clear();
    this.#ring.length = 0;
    this.on = false;
  }
}

// performance.now() when there is one (durations), else Date.now().
export const now = typeof performance !== 'undefined' && typeof performance.now === 'function' ? () => performance.now() : () => Date.now();
