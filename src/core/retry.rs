//! Retry rules shared by queries (and, later, mutations): which failures retry, and when.

use super::query::ErrorInfo;

/// Backoff never waits longer than this between attempts.
pub const MAX_DELAY_MS: f64 = 30_000.0;

/// The wait before retry number `attempt` (1 = the first retry): `base` doubling per attempt,
/// capped at 30 s, with "equal jitter": uniformly between half and all of that, so clients
/// that failed together do not retry together. `random` is in [0, 1) and is passed in so the
/// rule is deterministic under test. A server's `Retry-After` is a floor.
pub fn delay(attempt: u32, base: f64, random: f64, retry_after: Option<f64>) -> f64 {
    let exp = attempt.saturating_sub(1).min(30) as i32;
    let full = (base.max(0.0) * 2f64.powi(exp)).min(MAX_DELAY_MS);
    let r = if random.is_finite() {
        random.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let jittered = full / 2.0 + full / 2.0 * r;
    match retry_after {
        Some(ra) if ra.is_finite() && ra > jittered => ra,
        _ => jittered,
    }
}

/// Whether a failure is worth another attempt: network errors, timeouts, 5xx, 408 and 429.
/// Other 4xx (the request itself is wrong), 401 and unreadable responses are final.
pub fn retryable(e: &ErrorInfo) -> bool {
    match e.code.as_str() {
        "NETWORK" | "TIMEOUT" => true,
        "HTTP" => matches!(e.status, Some(s) if s >= 500 || s == 408 || s == 429),
        _ => false,
    }
}

/// `Retry-After` in milliseconds: delta-seconds only (an HTTP date is ignored).
pub fn parse_retry_after(header: &str) -> Option<f64> {
    let secs: f64 = header.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then_some(secs * 1000.0)
}
