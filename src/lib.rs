//! strata: a client-side state store.
//!
//! `core` is pure Rust (no wasm-bindgen, web-sys or js-sys) and is tested natively with
//! `cargo test`. `web` and `bindings` exist only on wasm32: `web` adapts browser facilities
//! to the core, `bindings` is the `#[wasm_bindgen]` surface the JS wrapper (`src/js`) calls.

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod bindings;
#[cfg(target_arch = "wasm32")]
pub mod web;

/// Talc instead of the default dlmalloc: 2.8 kB smaller gzipped at the same ingest speed
/// (single-threaded wasm only, which is all this crate builds for).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
