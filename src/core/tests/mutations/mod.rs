//! Optimistic mutations: descriptions (mutation.rs), layers over the shadow base (layers.rs)
//! and the send queue (outbox.rs), through the public `Store` API with JSON text, memory only
//! (the persisted outbox is in `persist/`). The helpers are in `support/mutations.rs`; the
//! reference model that random runs are checked against is in `model/`.

mod bad_input;
mod conflict_policies;
mod conflict_reads;
mod conflict_resolution;
mod delete_layers;
mod failure_retry_discard;
mod insert_layers;
mod lifecycle;
mod model;
mod output_json;
mod retries_backoff_auth;
mod scopes;
mod temp_ids;
mod versions;
