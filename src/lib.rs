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
