// strata: the package entry. Loads the wasm core on first use (no work at import time, so
// importing during server-side rendering is safe) and creates stores.

import initWasm, { StoreCore } from './strata_wasm.js';
import { StrataError, fromCore, invalidArgument, ERROR_CODES } from './errors.js';
import { toJson, finite, isPlainObject, describe } from './keys.js';
import { Store } from './store.js';

let loading;

function loadWasm() {
  // The wasm file sits next to this module; bundlers (Vite) follow this URL as an asset.
  loading ??= initWasm({ module_or_path: new URL('./strata_wasm_bg.wasm', import.meta.url) });
  return loading;
}

/**
 * Creates a store. Accepts every option of the design (name, persist, baseUrl, headers,
 * entities, defaults, onError); an unknown option is INVALID_ARGUMENT.
 */
export async function createStore(options = {}) {
  if (!isPlainObject(options)) throw invalidArgument(`createStore options must be an object, got ${describe(options)}`);
  const { headers, onError, ...rest } = options;
  if (headers !== undefined && typeof headers !== 'function' && !isPlainObject(headers)) {
    throw invalidArgument('`headers` must be a function returning an object of headers (evaluated at send time)');
  }
  if (onError !== undefined && typeof onError !== 'function') {
    throw invalidArgument('`onError` must be a function (error, context) => void');
  }
  const json = toJson(rest, 'createStore options', 'INVALID_ARGUMENT', finite);
  await loadWasm();
  let core;
  try {
    core = new StoreCore(json);
  } catch (e) {
    throw fromCore(e);
  }
  return new Store(core, options);
}

export { Store, StrataError, ERROR_CODES };
