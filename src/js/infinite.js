// Infinite queries: one query whose data is `{ pages, pageParams }`, with the shape
// `{ pages: [pageShape], pageParams: null }`, so every page is normalized like any response.
// The page-param functions are the app's, so they run here: a fetch of an infinite query
// fetches what its direction asks (every page again from the first, or one more page after
// the last / before the first) and settles it in one call (src/core/store/pages.rs). The
// lifecycle (staleness, retries, pause, gc, persistence, tabs) is the core's, as for any query.

import { StrataError, corsHint, invalidArgument } from './errors.js';
import { describe } from './keys.js';

function pageJson(value, what) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw invalidArgument(`${what} is not JSON-serializable: ${e.message}`);
  }
  if (text === undefined) throw invalidArgument(`${what} is ${describe(value)}; it must be JSON data`);
  return text;
}

export class Infinite {
  #host; // { data(hash), headers(), fetch(url, init), resolveUrl(url) }
  #entries = new Map(); // hash -> { o: page options, queryKey, asked: direction | null, bound: { ticket, direction } | null }

  constructor(host) {
    this.#host = host;
  }

  /**
   * Checks an infinite query's options and returns the plain query options to pass on
   * (`queryKey`, a `queryFn`, the pages shape, the rest as given).
   */
  prepare(hash, options, what) {
    if (options === null || typeof options !== 'object') {
      throw invalidArgument(`${what} expects options like { queryKey, url | queryFn, shape, initialPageParam, getNextPageParam }`);
    }
    const { queryKey, url, queryFn, shape, initialPageParam, getNextPageParam, getPreviousPageParam, maxPages, pages, ...rest } = options;
    if ((typeof url === 'function') === (typeof queryFn === 'function')) {
      throw invalidArgument(`${what}: give \`url: (pageParam) => string\` or \`queryFn({ queryKey, pageParam, signal })\`, one of them`);
    }
    if (initialPageParam === undefined) throw invalidArgument(`${what}: \`initialPageParam\` is required (the first page's param)`);
    pageJson(initialPageParam, `${what}: initialPageParam`);
    if (typeof getNextPageParam !== 'function') {
      throw invalidArgument(`${what}: \`getNextPageParam(lastPage, allPages, lastPageParam, allPageParams)\` is required`);
    }
    if (getPreviousPageParam !== undefined && typeof getPreviousPageParam !== 'function') {
      throw invalidArgument(`${what}: \`getPreviousPageParam\` must be a function`);
    }
    for (const [name, v] of [['maxPages', maxPages], ['pages', pages]]) {
      if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw invalidArgument(`${what}: \`${name}\` must be a whole number above 0`);
    }
    const o = { url, queryFn, initialPageParam, getNextPageParam, getPreviousPageParam, maxPages, pages };
    const entry = this.#entries.get(hash);
    if (entry) {
      entry.o = o;
      entry.queryKey = queryKey;
    } else {
      this.#entries.set(hash, { o, queryKey, hash, asked: null, bound: null });
    }
    return {
      ...rest,
      queryKey,
      shape: { pages: [shape === undefined ? null : shape], pageParams: null },
    };
  }

  /** The page options of `hash` (a new object whenever they are given again). */
  options(hash) {
    return this.#entries.get(hash)?.o;
  }

  /** Whether `hash` is an infinite query this page knows the options of. */
  has(hash) {
    return this.#entries.has(hash);
  }

  forget(hash) {
    this.#entries.delete(hash);
  }

  /** The next fetch of `hash` fetches one more page in `direction` ('forward' | 'backward'). */
  ask(hash, direction) {
    const e = this.#entries.get(hash);
    if (e) e.asked = direction;
  }

  /** The direction of the fetch in flight: 'forward', 'backward' or null (every page). */
  direction(hash) {
    return this.#entries.get(hash)?.bound?.direction ?? null;
  }

  /** Whether there is a page after the last (`forward`) or before the first, by the app's functions. */
  hasPage(hash, data, forward) {
    const e = this.#entries.get(hash);
    if (!e || !data || !Array.isArray(data.pages) || data.pages.length === 0) return false;
    const fn = forward ? e.o.getNextPageParam : e.o.getPreviousPageParam;
    if (!fn) return false;
    return this.#param(fn, data, forward) != null;
  }

  #param(fn, data, forward) {
    const { pages, pageParams } = data;
    const i = forward ? pages.length - 1 : 0;
    return fn(pages[i], pages, pageParams[i], pageParams);
  }

  /**
   * Fetch `ticket` of `hash`: resolves with `{ all }` (the JSON text of every page) or
   * `{ page, param, first, maxPages }` (one more page; `page` '' when there is none).
   */
  async fetch(hash, ticket, signal) {
    const e = this.#entries.get(hash);
    if (!e) throw invalidArgument('this infinite query has no page options in this tab; subscribe to it with subscribeInfiniteQuery');
    // A retry of a fetch keeps its direction; a new fetch takes what was asked for it.
    if (!e.bound || e.bound.ticket !== ticket) {
      e.bound = { ticket, direction: e.asked };
      e.asked = null;
    }
    const direction = e.bound.direction;
    const o = e.o;
    const data = this.#host.data(hash);
    const hasPages = data && Array.isArray(data.pages) && data.pages.length > 0;
    if (direction && hasPages) {
      const forward = direction === 'forward';
      const fn = forward ? o.getNextPageParam : o.getPreviousPageParam;
      const param = fn ? this.#param(fn, data, forward) : undefined;
      if (param == null) return { page: '', param: null, first: !forward, maxPages: o.maxPages ?? 0 };
      const { text } = await this.#page(e, param, direction, signal);
      return { page: text, param, first: !forward, maxPages: o.maxPages ?? 0 };
    }
    // Every page again, in order from the first (TanStack's refetch): the next params come
    // from the pages just fetched.
    const count = hasPages ? Math.min(data.pages.length, o.maxPages ?? Infinity) : (o.pages ?? 1);
    let param = hasPages ? data.pageParams[0] : o.initialPageParam;
    const texts = [];
    const params = [];
    const pages = [];
    for (let i = 0; i < count; i++) {
      if (i > 0) {
        param = o.getNextPageParam(pages[i - 1], pages, params[i - 1], params);
        if (param == null) break;
      }
      const { text, value } = await this.#page(e, param, 'forward', signal);
      texts.push(text);
      params.push(param);
      pages.push(value);
    }
    return { all: `{"pages":[${texts.join(',')}],"pageParams":${pageJson(params, 'the page params')}}` };
  }

  // One page: the response text as it came (numbers stay exact), and its value for the param
  // functions.
  async #page(e, pageParam, direction, signal) {
    const o = e.o;
    if (o.queryFn) {
      const value = await o.queryFn({ queryKey: e.queryKey, pageParam, signal, direction });
      if (value === undefined) throw invalidArgument('queryFn resolved with undefined for a page; resolve with JSON data');
      return { text: pageJson(value, 'the page queryFn data'), value };
    }
    const raw = o.url(pageParam);
    if (typeof raw !== 'string' || raw === '') throw invalidArgument('url(pageParam) must return a non-empty string');
    const url = this.#host.resolveUrl(raw);
    let res;
    try {
      res = await this.#host.fetch(url, { headers: this.#host.headers(e.hash), signal, cache: 'no-store' }, e.hash);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new StrataError('NETWORK', `GET ${url} failed: ${err && err.message}${corsHint(url) && `. ${corsHint(url)}`}`);
    }
    const text = await res.text();
    if (!res.ok) {
      const code = res.status === 401 ? 'AUTH' : 'HTTP';
      throw new StrataError(code, `GET ${url} answered ${res.status}`, { status: res.status, body: text });
    }
    let value;
    try {
      value = JSON.parse(text);
    } catch {
      throw new StrataError('PARSE', `the response of GET ${url} is not JSON`);
    }
    return { text, value };
  }
}
