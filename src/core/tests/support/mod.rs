//! Helpers shared by the query, mutation and persistence tests: the clock, `setQueryData` with
//! its lifecycle, options added to a description and the answers a request can get. The
//! helpers of each area are in its own file; each re-exports everything below it, so a test
//! file needs one `use`.

pub use super::*;
pub use crate::core::{Action, ErrorInfo, Output, Settle};
pub use serde_json::Map;

pub mod mutations;
pub mod persist;
pub mod queries;

/// A realistic clock origin (ms); every test counts from here.
pub const T0: f64 = 1_000_000.0;
/// The `random` passed to `settle` and `settle_mutation` unless a test says otherwise.
pub const R: f64 = 0.5;

/// `setQueryData([hash], data, { shape })` as the bindings call it.
pub fn put(s: &mut Store, hash: &str, data: Value, shape: Value, now: f64) -> Output {
    let r = s.set_query_data(
        hash,
        &key_for(hash),
        &data.to_string(),
        &shape.to_string(),
        now,
    );
    must(r, format_args!("set_query_data({hash})"))
}

/// `base` with the top-level fields of `extra` added (options, a description's fields).
pub fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(x)) = (base.as_object_mut(), extra) {
        b.extend(x);
    }
    base
}

/// An HTTP answer without a `Retry-After` header.
pub fn http(status: u16, body: &str) -> Settle {
    Settle::Http {
        status,
        body: body.to_owned(),
        retry_after: None,
    }
}

/// A 200 answer carrying `data`.
pub fn ok(data: Value) -> Settle {
    http(200, &data.to_string())
}

/// An empty answer with a `Retry-After` header.
pub fn http_retry_after(status: u16, retry_after: &str) -> Settle {
    Settle::Http {
        status,
        body: String::new(),
        retry_after: Some(retry_after.to_owned()),
    }
}

/// The request failed on the network.
pub fn network() -> Settle {
    Settle::Failed(ErrorInfo::new("NETWORK", "the network request failed"))
}
