// The tabs of one store name: one of them sends the outbox (it holds a Web Lock; when it
// closes, the lock passes to another tab), and all of them tell each other about cache,
// outbox and sync changes over a BroadcastChannel.

/**
 * @param {string} name the store name
 * @param {(msg: any) => void} onMessage called with each message another tab posted
 * @param {import('./events.js').Events} [events] the store's timeline (messages sent and received)
 */
export class Tabs {
  #channel = null;
  #release = null;
  #abort = null;
  #closed = false;

  #events;

  constructor(name, onMessage, events) {
    this.name = name;
    this.#events = events;
    if (typeof BroadcastChannel === 'function') {
      this.#channel = new BroadcastChannel(`strata:${name}`);
      this.#channel.onmessage = (e) => {
        if (this.#closed) return;
        if (this.#events?.on) this.#events.emit({ type: 'tab-message', direction: 'received', kind: String(e.data?.t) });
        onMessage(e.data);
      };
    } else {
      console.warn('strata: BroadcastChannel is not available; other tabs will not see this tab\'s changes');
    }
  }

  post(msg) {
    if (!this.#channel || this.#closed) return;
    this.#channel.postMessage(msg);
    if (this.#events?.on) this.#events.emit({ type: 'tab-message', direction: 'sent', kind: String(msg.t) });
  }

  /**
   * Calls `onLeader()` once this tab holds the flusher lock (at once when Web Locks are missing:
   * then every tab sends, and the server's Idempotency-Key handling keeps replays single).
   */
  elect(onLeader) {
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    if (!locks || typeof locks.request !== 'function') {
      console.warn('strata: Web Locks are not available; every tab of this store sends its outbox');
      onLeader();
      return;
    }
    this.#abort = new AbortController();
    locks
      .request(`strata:${this.name}:flusher`, { signal: this.#abort.signal }, () => {
        if (this.#closed) return undefined;
        onLeader();
        // Held until this tab closes (the browser releases it with the page).
        return new Promise((resolve) => {
          this.#release = resolve;
        });
      })
      .catch(() => {
        // aborted by close() while waiting: nothing to do
      });
  }

  close() {
    this.#closed = true;
    this.#abort?.abort();
    this.#release?.();
    this.#channel?.close();
  }
}
