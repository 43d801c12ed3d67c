//! Wall-clock time and randomness for the core's `now` and `random` arguments.

/// Milliseconds since the epoch, as `Date.now()`.
pub fn now() -> f64 {
    js_sys::Date::now()
}

/// A number in [0, 1), for retry jitter.
pub fn random() -> f64 {
    js_sys::Math::random()
}
