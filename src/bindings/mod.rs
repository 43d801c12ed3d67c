//! The `#[wasm_bindgen]` surface: one file per exported class, plus the single place where
//! core errors become JS errors. Bindings convert and call the core, nothing more.

mod error;
mod store_core;

pub use store_core::StoreCore;

#[cfg(feature = "bench-transfer")]
mod bench_transfer;
