//! The outbox state machine with persistence on (the default): records written before a
//! mutation counts as queued (records.rs), which records each transition writes or deletes,
//! reload and multi-tab reconciliation, cache deltas and hydration, leader-only sending and
//! the storage faults of issue 5 (persist.rs). The helpers (`done`, `Idb`, `Server`) are in
//! `support/persist.rs`.

mod cache_delta_and_hydrate;
mod chunks;
mod deep_data;
mod durability;
mod leader_and_clear;
mod random_reload;
mod records;
mod reload;
mod renames_and_dependents;
mod replay;
mod retries;
mod soak;
mod storage_quota;
mod tabs;
mod unreadable;
