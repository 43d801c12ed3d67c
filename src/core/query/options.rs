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
