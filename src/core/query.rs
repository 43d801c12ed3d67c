//! A query's lifecycle as a state machine: options, status, fetch status, errors, freshness.
//! Only the transitions in `engine.rs` change it, so impossible combinations (an error status
//! with no error, a fetch in flight with an idle fetch status) cannot be built.

use serde::Serialize;
use serde_json::{Map, Value};

use super::config::{duration, retry_count, Defaults};
use super::error::{Error, Result};
use super::json::type_name;
use super::schema::Schema;
use super::shape::Shape;
use super::url;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Error,
    Success,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FetchStatus {
    Fetching,
    Paused,
    Idle,
}

/// A failure as the JS side will see it (`StrataError` fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl ErrorInfo {
    pub fn new(code: &str, message: impl Into<String>) -> ErrorInfo {
        ErrorInfo {
            code: code.to_owned(),
            message: message.into(),
            status: None,
            body: None,
        }
    }

    pub fn from_error(e: &Error) -> ErrorInfo {
        ErrorInfo::new(e.code(), e.to_string())
    }

    /// A non-2xx answer: `AUTH` for 401, `HTTP` otherwise, carrying status and body text.
    pub fn http(status: u16, url: &str, body: String) -> ErrorInfo {
        let (code, hint) = if status == 401 {
            (
                "AUTH",
                "refresh the credentials your `headers` option sends",
            )
        } else {
            ("HTTP", "the server refused the request")
        };
        ErrorInfo {
            code: code.to_owned(),
            message: format!("GET {url} answered {status}: {hint}"),
            status: Some(status),
            body: Some(body),
        }
    }
}

/// Per-query options, store defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOptions {
    /// The resolved url when strata fetches it.
    pub url: Option<String>,
    /// The app supplies a `queryFn`.
    pub query_fn: bool,
    pub shape: Shape,
    pub stale_time: f64,
    pub gc_time: f64,
    pub retry: u32,
    pub retry_delay: f64,
    pub timeout: f64,
    pub refetch_interval: Option<f64>,
    pub enabled: bool,
    pub refetch_on_window_focus: bool,
    pub refetch_on_reconnect: bool,
}

const OPTION_NAMES: &str = "url, queryFn, shape, staleTime, gcTime, retry, retryDelay, timeout, refetchInterval, enabled, refetchOnWindowFocus, refetchOnReconnect";

impl QueryOptions {
    /// Options of a query that only observes (no source).
    pub fn observe_only(d: &Defaults) -> QueryOptions {
        QueryOptions {
            url: None,
            query_fn: false,
            shape: Shape::Plain,
            stale_time: d.stale_time,
            gc_time: d.gc_time,
            retry: d.retry,
            retry_delay: d.retry_delay,
            timeout: d.timeout,
            refetch_interval: None,
            enabled: true,
            refetch_on_window_focus: d.refetch_on_window_focus,
            refetch_on_reconnect: d.refetch_on_reconnect,
        }
    }

    /// Reads the JSON part of query options (the wrapper sends `queryFn: true` in place of
    /// the function).
    pub fn from_json(
        v: &Value,
        d: &Defaults,
        schema: &Schema,
        base_url: &str,
    ) -> Result<QueryOptions> {
        let empty = Map::new();
        let obj = match v {
            Value::Object(m) => m,
            Value::Null => &empty,
            other => {
                return Err(Error::InvalidArgument(format!(
                    "query options must be an object, got {}",
                    type_name(other)
                )))
            }
        };
        let mut o = QueryOptions::observe_only(d);
        for (k, x) in obj {
            match k.as_str() {
                "url" => match x {
                    Value::String(u) if !u.is_empty() => o.url = Some(url::resolve(base_url, u)),
                    Value::Null => {}
                    _ => {
                        return Err(Error::InvalidArgument(
                            "`url` must be a non-empty string".to_owned(),
                        ))
                    }
                },
                "queryFn" => o.query_fn = x.as_bool().unwrap_or(false),
                "shape" => o.shape = Shape::from_json(x, schema)?,
                "staleTime" => o.stale_time = duration("staleTime", x)?,
                "gcTime" => o.gc_time = duration("gcTime", x)?,
                "retry" => o.retry = retry_count("retry", x)?,
                "retryDelay" => o.retry_delay = duration("retryDelay", x)?,
                "timeout" => o.timeout = duration("timeout", x)?,
                "refetchInterval" => {
                    o.refetch_interval = match x {
                        Value::Null | Value::Bool(false) => None,
                        _ => Some(duration("refetchInterval", x)?)
                            .filter(|ms| *ms > 0.0 && ms.is_finite()),
                    }
                }
                "enabled" => o.enabled = flag("enabled", x)?,
                "refetchOnWindowFocus" => {
                    o.refetch_on_window_focus = flag("refetchOnWindowFocus", x)?
                }
                "refetchOnReconnect" => o.refetch_on_reconnect = flag("refetchOnReconnect", x)?,
                other => {
                    return Err(Error::InvalidArgument(format!(
                        "unknown query option `{other}`; known: queryKey, {OPTION_NAMES}"
                    )))
                }
            }
        }
        if o.url.is_some() && o.query_fn {
            return Err(Error::InvalidArgument(
                "a query has one source: pass either `url` or `queryFn`, not both".to_owned(),
            ));
        }
        Ok(o)
    }

    pub fn has_source(&self) -> bool {
        self.url.is_some() || self.query_fn
    }
}

fn flag(name: &str, v: &Value) -> Result<bool> {
    v.as_bool().ok_or_else(|| {
        Error::InvalidArgument(format!("`{name}` must be a boolean, got {}", type_name(v)))
    })
}

/// Everything about a query except its data.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryMeta {
    pub key: Value,
    pub opts: QueryOptions,
    pub status: Status,
    pub fetch: FetchStatus,
    pub data_updated_at: f64,
    pub error: Option<ErrorInfo>,
    pub error_updated_at: f64,
    pub failure_count: u32,
    pub invalidated: bool,
    pub observers: u32,
    /// When the last observer left (gc counts from here).
    pub inactive_since: Option<f64>,
    /// The fetch whose answer may land; 0 = none. A cancelled or superseded fetch's answer
    /// carries an older ticket and is dropped.
    pub ticket: u64,
    /// When the next attempt of the current fetch is due (after a retryable failure).
    pub retry_at: Option<f64>,
    /// When `refetchInterval` next fires.
    pub interval_at: Option<f64>,
    /// `isStale` as last reported, so the flip to stale is pushed once.
    pub reported_stale: bool,
}

impl QueryMeta {
    pub fn new(key: Value, opts: QueryOptions, now: f64) -> QueryMeta {
        QueryMeta {
            key,
            opts,
            status: Status::Pending,
            fetch: FetchStatus::Idle,
            data_updated_at: 0.0,
            error: None,
            error_updated_at: 0.0,
            failure_count: 0,
            invalidated: false,
            observers: 0,
            inactive_since: Some(now),
            ticket: 0,
            retry_at: None,
            interval_at: None,
            reported_stale: true,
        }
    }

    pub fn has_data(&self) -> bool {
        self.data_updated_at > 0.0
    }

    /// Stale when there is no data, when invalidated, or `staleTime` after the data arrived.
    pub fn is_stale(&self, now: f64) -> bool {
        !self.has_data() || self.invalidated || now >= self.data_updated_at + self.opts.stale_time
    }

    pub fn active(&self) -> bool {
        self.observers > 0
    }

    /// The moment `is_stale` flips to true on its own, if it has not yet.
    pub fn stale_at(&self, now: f64) -> Option<f64> {
        if self.is_stale(now) || !self.opts.stale_time.is_finite() {
            return None;
        }
        Some(self.data_updated_at + self.opts.stale_time)
    }

    pub fn gc_at(&self) -> Option<f64> {
        match (self.inactive_since, self.ticket) {
            (Some(since), 0) if self.opts.gc_time.is_finite() => Some(since + self.opts.gc_time),
            _ => None,
        }
    }

    /// The state object the JS side shows (`data` is added there from the snapshot).
    pub fn state(&self, now: f64) -> StateOut<'_> {
        StateOut {
            status: self.status,
            fetch_status: self.fetch,
            data_updated_at: self.data_updated_at,
            error: self.error.as_ref(),
            error_updated_at: self.error_updated_at,
            is_stale: self.is_stale(now),
            failure_count: self.failure_count,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateOut<'a> {
    pub status: Status,
    pub fetch_status: FetchStatus,
    pub data_updated_at: f64,
    pub error: Option<&'a ErrorInfo>,
    pub error_updated_at: f64,
    pub is_stale: bool,
    pub failure_count: u32,
}

/// Whether `key` starts with the elements of `prefix` (TanStack's partial matching).
pub fn key_has_prefix(key: &Value, prefix: &Value) -> bool {
    match (key, prefix) {
        (Value::Array(k), Value::Array(p)) => {
            p.len() <= k.len() && k.iter().zip(p).all(|(a, b)| a == b)
        }
        _ => false,
    }
}
