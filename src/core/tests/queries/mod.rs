//! The query lifecycle (engine.rs): observe, fetch, settle, retry, pause, reconnect, focus,
//! invalidate, cancel, remove, timers and gc. Time is the `now` argument and randomness the
//! `random` argument, so nothing here sleeps. The helpers are in `support/queries.rs`.

mod errors_and_retries;
mod filters;
mod invalidate_cancel_remove;
mod lifecycle;
mod observer_options;
mod observers;
mod offline_reconnect_focus;
mod output_json;
mod random_sequences;
mod restart_and_initial;
mod set_query_data;
mod timers;
