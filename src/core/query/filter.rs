//! Query filters (TanStack's `QueryFilters`): which queries `invalidateQueries`,
//! `refetchQueries`, `cancelQueries`, `removeQueries`, `resetQueries`, `isFetching` and
//! `getQueriesData` act on. The wrapper evaluates `predicate(query)` in JS and passes the
//! hashes it chose as `hashes`; everything else is matched here, against the lifecycles.

use serde_json::Value;

use super::state::{FetchStatus, QueryMeta};
use crate::core::error::{Error, Result};
use crate::core::json::{self, type_name, Origin};

/// `type`: active queries have an enabled observer (TanStack's `isActive()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    All,
    Active,
    Inactive,
}

/// `refetchType` of `invalidateQueries`: which of the invalidated queries refetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefetchType {
    Active,
    Inactive,
    All,
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueryFilter {
    /// A key prefix (partial match), or the whole key with `exact`.
    pub key: Option<Value>,
    pub exact: bool,
    pub kind: Kind,
    pub stale: Option<bool>,
    pub fetch_status: Option<FetchStatus>,
    /// The queries the app's `predicate` chose (the wrapper's part of the filter).
    pub hashes: Option<Vec<String>>,
    pub refetch_type: RefetchType,
}

const FILTER_NAMES: &str = "queryKey, exact, type, stale, fetchStatus, predicate";

impl QueryFilter {
    /// Every query.
    pub fn all() -> QueryFilter {
        QueryFilter {
            key: None,
            exact: false,
            kind: Kind::All,
            stale: None,
            fetch_status: None,
            hashes: None,
            refetch_type: RefetchType::Active,
        }
    }

    /// A key prefix (what a push's `invalidate` names).
    pub fn prefix(key: Value) -> QueryFilter {
        QueryFilter {
            key: Some(key),
            ..QueryFilter::all()
        }
    }

    /// Reads a filter: an object of filter fields, or (as before filters) a bare key prefix.
    /// `refetchType` is read only where `with_refetch_type` (invalidateQueries).
    pub fn parse(text: &str, with_refetch_type: bool) -> Result<QueryFilter> {
        let v = json::parse(text, "query filters", Origin::App)?;
        if v.is_array() {
            return Ok(QueryFilter::prefix(v));
        }
        let Value::Object(obj) = &v else {
            return Err(Error::InvalidArgument(format!(
                "query filters must be an object like {{ queryKey: ['todos'] }}, got {}",
                type_name(&v)
            )));
        };
        let mut f = QueryFilter::all();
        for (k, x) in obj {
            match k.as_str() {
                "queryKey" => match x {
                    Value::Array(_) => f.key = Some(x.clone()),
                    Value::Null => {}
                    other => {
                        return Err(Error::InvalidArgument(format!(
                            "the queryKey filter must be an array (a prefix of query keys, e.g. ['todos']), got {}",
                            type_name(other)
                        )))
                    }
                },
                "exact" => f.exact = flag("exact", x)?,
                "type" => {
                    f.kind = match x.as_str() {
                        Some("all") => Kind::All,
                        Some("active") => Kind::Active,
                        Some("inactive") => Kind::Inactive,
                        _ => return Err(one_of("type", "'active', 'inactive' or 'all'", x)),
                    }
                }
                "stale" => f.stale = Some(flag("stale", x)?),
                "fetchStatus" => {
                    f.fetch_status = Some(match x.as_str() {
                        Some("fetching") => FetchStatus::Fetching,
                        Some("paused") => FetchStatus::Paused,
                        Some("idle") => FetchStatus::Idle,
                        _ => {
                            return Err(one_of(
                                "fetchStatus",
                                "'fetching', 'paused' or 'idle'",
                                x,
                            ))
                        }
                    })
                }
                "hashes" => {
                    let list = x.as_array().and_then(|a| {
                        a.iter()
                            .map(|h| h.as_str().map(str::to_owned))
                            .collect::<Option<Vec<String>>>()
                    });
                    f.hashes = Some(list.ok_or_else(|| {
                        Error::InvalidArgument("`hashes` must be a list of query hashes".to_owned())
                    })?);
                }
                "refetchType" if with_refetch_type => {
                    f.refetch_type = match x.as_str() {
                        Some("active") => RefetchType::Active,
                        Some("inactive") => RefetchType::Inactive,
                        Some("all") => RefetchType::All,
                        Some("none") => RefetchType::None,
                        _ => {
                            return Err(one_of(
                                "refetchType",
                                "'active', 'inactive', 'all' or 'none'",
                                x,
                            ))
                        }
                    }
                }
                other => {
                    let extra = if with_refetch_type { ", refetchType" } else { "" };
                    return Err(Error::InvalidArgument(format!(
                        "unknown query filter `{other}`; known: {FILTER_NAMES}{extra}"
                    )));
                }
            }
        }
        if f.exact && f.key.is_none() {
            return Err(Error::InvalidArgument(
                "`exact: true` needs a `queryKey` to match exactly".to_owned(),
            ));
        }
        Ok(f)
    }

    /// Whether the key filter alone admits `key`.
    pub fn matches_key(&self, hash: &str, key: &Value) -> bool {
        let by_key = match &self.key {
            None => true,
            Some(k) if self.exact => key == k,
            Some(k) => key_has_prefix(key, k),
        };
        by_key
            && self
                .hashes
                .as_ref()
                .map_or(true, |hs| hs.iter().any(|h| h == hash))
    }

    /// Whether query `hash` (its lifecycle `m`) matches every field of the filter.
    pub fn matches(&self, hash: &str, m: &QueryMeta, now: f64) -> bool {
        let kind = match self.kind {
            Kind::All => true,
            Kind::Active => m.is_active(),
            Kind::Inactive => !m.is_active(),
        };
        kind && self.stale.map_or(true, |s| m.is_stale(now) == s)
            && self.fetch_status.map_or(true, |f| m.fetch_status() == f)
            && self.matches_key(hash, m.key())
    }

    /// Whether an invalidated query refetches under `refetchType`.
    pub fn refetches(&self, m: &QueryMeta) -> bool {
        match self.refetch_type {
            RefetchType::Active => m.is_active(),
            RefetchType::Inactive => !m.is_active(),
            RefetchType::All => true,
            RefetchType::None => false,
        }
    }
}

/// Whether `key` starts with `prefix`, compared as TanStack's `partialMatchKey`: element by
/// element, an object matching when it has every field of the filter's (`['todos', { page: 2 }]`
/// matches `['todos', { page: 2, sort: 'title' }]`).
pub fn key_has_prefix(key: &Value, prefix: &Value) -> bool {
    key.is_array() && prefix.is_array() && partial_eq(key, prefix)
}

fn partial_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            y.len() <= x.len() && x.iter().zip(y).all(|(a, b)| partial_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => y
            .iter()
            .all(|(k, b)| x.get(k).is_some_and(|a| partial_eq(a, b))),
        _ => a == b,
    }
}

fn flag(name: &str, v: &Value) -> Result<bool> {
    v.as_bool().ok_or_else(|| {
        Error::InvalidArgument(format!(
            "the `{name}` filter must be a boolean, got {}",
            type_name(v)
        ))
    })
}

fn one_of(name: &str, allowed: &str, v: &Value) -> Error {
    Error::InvalidArgument(format!(
        "the `{name}` filter must be {allowed}, got {}",
        match v {
            Value::String(s) => format!("'{s}'"),
            other => type_name(other).to_owned(),
        }
    ))
}
