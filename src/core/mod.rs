//! The pure core: no browser, no wasm-bindgen. Time, randomness and `online` are passed in,
//! so every rule is tested natively and deterministically (`cargo test`).
//!
//! ```text
//! store.rs + store/   the top: owns the parts, runs the use cases that cross them, ends every
//!                     public method in one finish step
//!   cache/            entities, query results, the server base under the optimistic layers
//!   query/            every query's lifecycle (one transition function)
//!   live/             live queries: definitions over the cache kept sorted and windowed incrementally
//!   mutation/         the queue of unacknowledged mutations, conflicts, temporary ids
//!   push/             server push messages, echoes of our own writes held until they settle
//!   sync/             what to persist and share between tabs: dirty tracking, records, deltas
//! output.rs           what a call reports (ChangeSet, Output, Action) and Settle
//! batch.rs            the wire format of an Output (one JSON string per call)
//! error.rs            Error (a call's failure) and ErrorInfo (a failure as data)
//! config.rs schema.rs shape.rs key.rs json.rs row.rs cell.rs url.rs retry.rs sort.rs   vocabulary
//! ```
//!
//! Imports go one way: vocabulary <- output <- cache <- live, query, mutation <- sync <- store.
//! The bindings use only what this file re-exports.

pub mod batch;
pub mod cache;
pub(crate) mod cell;
pub(crate) mod config;
pub(crate) mod error;
pub mod json;
pub(crate) mod key;
pub(crate) mod live;
pub(crate) mod mutation;
pub(crate) mod output;
pub(crate) mod push;
pub(crate) mod query;
pub(crate) mod retry;
pub(crate) mod row;
pub(crate) mod schema;
pub(crate) mod shape;
pub(crate) mod sort;
pub(crate) mod store;
pub(crate) mod sync;
pub(crate) mod url;

pub use error::{Error, ErrorInfo, Result};
pub use output::{Action, ChangeSet, Output, Settle};
pub use store::{Side, Store};
pub use url::resolve as resolve_url;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
