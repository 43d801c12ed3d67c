//! What a call on the store reports: the data that changed (`ChangeSet`), the query states
//! that changed, what the browser side must do (`Action`s), when to call `tick` next, which
//! mutations settled, and what to persist. `Settle` is how the browser reports back the end
//! of a request. Every public `Store` method returns one `Output`, built by the store's one
//! finish step (store.rs).

use serde_json::{Map, Value};

use super::error::ErrorInfo;

/// Exactly what one call changed in the visible data.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ChangeSet {
    /// Entities whose own record changed.
    pub written_entities: Vec<String>,
    /// Entities whose record did not change but which reach a written one through
    /// relations, so their denormalized view changed.
    pub dependent_entities: Vec<String>,
    /// Queries whose own normalized result (or shape) changed.
    pub written_queries: Vec<String>,
    /// Queries that show a changed entity.
    pub dependent_queries: Vec<String>,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.written_entities.is_empty() && self.written_queries.is_empty()
    }

    /// Every entity whose snapshot changed.
    pub fn entities(&self) -> impl Iterator<Item = &String> {
        self.written_entities.iter().chain(&self.dependent_entities)
    }

    /// Every query whose snapshot changed.
    pub fn queries(&self) -> impl Iterator<Item = &String> {
        self.written_queries.iter().chain(&self.dependent_queries)
    }
}

/// Something the browser side must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Start fetch `ticket` of query `hash`: GET `url` when given, else call the `queryFn`.
    Fetch {
        hash: String,
        ticket: u64,
        url: Option<String>,
        timeout: f64,
    },
    /// Fetch `ticket` of query `hash` failed and the app's `retry`/`retryDelay` function
    /// decides what follows (answered with `decide_retry`). `failure_count` counts this
    /// failure; `would_retry` is the store's own rule, for a `retryDelay` function alone.
    AskRetry {
        hash: String,
        ticket: u64,
        failure_count: u32,
        error: ErrorInfo,
        would_retry: bool,
    },
    /// Abort the request of a cancelled or superseded fetch.
    Abort { hash: String, ticket: u64 },
    /// Send attempt `ticket` of mutation `id`.
    Send {
        id: String,
        ticket: u64,
        method: String,
        url: String,
        headers: Map<String, Value>,
        body: Option<String>,
        timeout: f64,
    },
}

/// What one call changed and what it asks for.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Output {
    pub changes: ChangeSet,
    /// Queries whose state (status, fetchStatus, error, isStale...) changed.
    pub states: Vec<String>,
    pub removed_queries: Vec<String>,
    pub removed_entities: Vec<String>,
    pub actions: Vec<Action>,
    /// The earliest moment `tick` has something to do.
    pub wake_at: Option<f64>,
    /// Mutations that settled: the result (read back through `shape`) or the error.
    pub settled: Vec<(String, std::result::Result<Value, ErrorInfo>)>,
    /// The mutation list or sync state changed (derived by the finish step).
    pub sync: bool,
    /// Outbox records to write, in order (`None`: delete); see sync/.
    pub outbox: Vec<(String, Option<Value>)>,
    /// A cache delta is waiting to be persisted (`take_cache_delta`).
    pub persist: bool,
    /// What `apply_pushes` made of its messages.
    pub pushes: Option<PushReport>,
    /// Live queries whose result was handed out: their member count before the window.
    pub live_totals: Vec<(String, usize)>,
}

/// The messages of one `apply_pushes` call: the last event id they named (the resume point,
/// bad messages included) and the ones refused (index, error), which applied nothing.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PushReport {
    pub event_id: Option<String>,
    pub rejected: Vec<(usize, ErrorInfo)>,
}

impl Output {
    /// Query `hash`'s state changed (listed once).
    pub fn state(&mut self, hash: &str) {
        if !self.states.iter().any(|h| h == hash) {
            self.states.push(hash.to_owned());
        }
    }
}

/// How a request ended, as the browser side reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum Settle {
    /// An HTTP answer: status, body text, `Retry-After` header.
    Http {
        status: u16,
        body: String,
        retry_after: Option<String>,
    },
    /// The request failed without an answer, or the `queryFn` rejected.
    Failed(ErrorInfo),
}
