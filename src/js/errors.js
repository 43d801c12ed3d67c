// Errors thrown by strata. Every error is a StrataError with a stable `code`; the core's
// errors arrive as JS Errors carrying `code` (set once, in src/bindings/error.rs), its error
// states as plain `{ code, message, status?, body? }` objects.

/** @type {readonly string[]} */
export const ERROR_CODES = Object.freeze([
  'NETWORK', 'TIMEOUT', 'HTTP', 'PARSE', 'SHAPE', 'CONFLICT', 'AUTH', 'STORAGE', 'QUOTA',
  'INVALID_ARGUMENT', 'CLOSED', 'CLEARED', 'CANCELLED', 'INTERNAL',
]);

export class StrataError extends Error {
  /**
   * @param {string} code one of ERROR_CODES
   * @param {string} message what happened and what to do
   * @param {Record<string, unknown>} [details] extra fields (`status`, `body`, `current`...)
   */
  constructor(code, message, details) {
    super(message);
    this.name = 'StrataError';
    this.code = code;
    if (details) Object.assign(this, details);
  }
}

export function invalidArgument(message) {
  return new StrataError('INVALID_ARGUMENT', message);
}

/** Turns whatever the wasm core threw into a StrataError. */
export function fromCore(e) {
  if (e instanceof StrataError) return e;
  if (e && typeof e.code === 'string' && ERROR_CODES.includes(e.code)) {
    return new StrataError(e.code, e.message);
  }
  // A trap (RuntimeError) or anything unexpected: keep the original as the cause.
  const err = new StrataError('INTERNAL', `strata core failed: ${e && e.message ? e.message : String(e)}`);
  err.cause = e;
  return err;
}

/** A StrataError from an error state the core sent (`null` stays null). */
export function errorFromState(e) {
  if (!e) return null;
  const details = {};
  if (e.status !== undefined) details.status = e.status;
  if (e.body !== undefined) details.body = e.body;
  return new StrataError(e.code, e.message, details);
}

/** Surfaces an error nobody awaits (a throwing listener or callback) like an event listener error. */
export function report(error) {
  if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
  else console.error(error);
}

/**
 * What a NETWORK error of a request to `url` adds when it went to another origin than the page
 * (CORS refusing it fails the same way, "Failed to fetch"); '' for the page's own origin.
 */
export function corsHint(url) {
  try {
    const page = globalThis.location && globalThis.location.origin;
    if (!page || page === 'null') return '';
    const there = new URL(url, globalThis.location.href);
    if (!/^https?:$/.test(there.protocol) || there.origin === page) return '';
    return `${there.origin} is another origin than this page (${page}): check that the server's CORS answers allow it (Access-Control-Allow-Origin, Access-Control-Allow-Methods, Access-Control-Allow-Headers with the headers strata sends: Content-Type, Idempotency-Key, If-Match and your own headers; Access-Control-Expose-Headers: Retry-After)`;
  } catch {
    return '';
  }
}
