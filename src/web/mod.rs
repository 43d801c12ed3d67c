//! Browser adapters for the core (wasm32 only). This grows with the I/O issues: fetch via
//! gloo-net, IndexedDB via rexie, online/focus events, BroadcastChannel, Web Locks.
//! For now the core only needs the clock.

pub mod clock;
pub mod http;
