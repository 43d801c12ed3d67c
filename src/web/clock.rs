//! Wall-clock time for the core's `now` arguments.

/// Milliseconds since the epoch, as `Date.now()`.
pub fn now() -> f64 {
    js_sys::Date::now()
}
