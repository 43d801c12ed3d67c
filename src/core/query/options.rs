//! A query's options as the app passes them, with the store's defaults filled in.

use serde_json::Value;

use crate::core::config::{duration, retry_count, Defaults};
use crate::core::error::{Error, Result};
use crate::core::json::{self, type_name};
use crate::core::schema::Schema;
use crate::core::shape::Shape;
use crate::core::url;

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
    pub refetch_on_mount: OnMount,
    pub network_mode: NetworkMode,
    /// The app's `retry` or `retryDelay` is a function (kept by the wrapper): each failure is
    /// decided in JS (`Action::AskRetry`, then `decide_retry`).
    pub ask_retry: bool,
}

/// `refetchOnMount`: whether a new observer refetches data that is already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnMount {
    /// `false`: never (a query without data still fetches).
    Never,
    /// `true` (the default): when stale.
    IfStale,
    /// `'always'`: even when fresh.
    Always,
}

/// `networkMode`: what a fetch does while the browser is offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkMode {
    /// The default: paused until online.
    Online,
    /// Sent anyway, never paused (the source needs no network).
    Always,
    /// The first attempt is sent; retries wait for the network.
    OfflineFirst,
}

const OPTION_NAMES: &str = "url, queryFn, shape, staleTime, gcTime, retry, retryDelay, timeout, refetchInterval, enabled, refetchOnWindowFocus, refetchOnReconnect, refetchOnMount, networkMode, initialData, initialDataUpdatedAt, meta";

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
            refetch_on_mount: OnMount::IfStale,
            network_mode: NetworkMode::Online,
            ask_retry: false,
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
        let obj = json::fields(v, "query options must be an object")?;
        let mut o = QueryOptions::observe_only(d);
        for (k, x) in obj.into_iter().flatten() {
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
                "refetchOnMount" => {
                    o.refetch_on_mount = match x {
                        Value::Bool(true) => OnMount::IfStale,
                        Value::Bool(false) => OnMount::Never,
                        Value::String(s) if s == "always" => OnMount::Always,
                        _ => {
                            return Err(Error::InvalidArgument(format!(
                                "`refetchOnMount` must be true, false or 'always', got {}",
                                type_name(x)
                            )))
                        }
                    }
                }
                "networkMode" => {
                    o.network_mode = match x.as_str() {
                        Some("online") => NetworkMode::Online,
                        Some("always") => NetworkMode::Always,
                        Some("offlineFirst") => NetworkMode::OfflineFirst,
                        _ => {
                            return Err(Error::InvalidArgument(format!(
                            "`networkMode` must be 'online', 'always' or 'offlineFirst', got {}",
                            type_name(x)
                        )))
                        }
                    }
                }
                "askRetry" => o.ask_retry = flag("askRetry", x)?,
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
