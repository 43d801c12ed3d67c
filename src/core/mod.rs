//! The pure core: schema, shapes, normalization, the entity cache and change tracking.
//!
//! Nothing here touches the browser. Time is passed in (`now` arguments) so every rule can be
//! tested natively and deterministically.

pub mod batch;
pub mod cache;
pub mod config;
pub mod denormalize;
pub mod engine;
pub mod error;
pub mod ingest;
pub mod json;
pub mod key;
pub mod layers;
pub mod mutation;
pub mod normalize;
pub mod outbox;
pub mod persist;
pub mod query;
pub mod records;
pub mod retry;
pub mod schema;
pub mod shape;
pub mod sort;
pub mod store;
pub mod temp_ids;
pub mod url;

pub use error::{Error, Result};
pub use store::Store;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
