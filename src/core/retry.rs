//! Retry rules shared by queries and mutations: which failures retry, and when.

use super::error::ErrorInfo;

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
        "HTTP" => e.status.is_some_and(retryable_status),
        _ => false,
    }
}

/// The HTTP statuses that say "try again later": 5xx, 408 and 429.
pub fn retryable_status(status: u16) -> bool {
    status >= 500 || status == 408 || status == 429
}

/// `Retry-After` in milliseconds: delta-seconds only (an HTTP date is ignored).
pub fn parse_retry_after(header: &str) -> Option<f64> {
    let secs = decimal(header.trim())?;
    (secs.is_finite() && secs >= 0.0).then_some(secs * 1000.0)
}

/// A decimal number as `str::parse::<f64>` reads one (`5`, `+1.5`, `.5`, `2e1`; `inf` and
/// `nan` are `None`, which the caller would reject anyway). Not `str::parse`: that brings the
/// general float parser and its tables into the wasm, 14 kB gzipped for one header. Correctly
/// rounded (identical to `str::parse`) up to 19 significant digits with a mantissa under 2^53
/// and a decimal exponent within +-22; beyond that within a few ulps (a number no server sends
/// as a delay). One loop over the bytes with its state in locals: split up, the pieces would
/// have to pass that state around.
pub fn decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let (neg, mut i) = match b.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let mut mantissa: u64 = 0;
    let mut exp10: i64 = 0;
    let mut digits = false;
    let mut fraction = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'0'..=b'9' => {
                digits = true;
                if mantissa < 1_000_000_000_000_000_000 {
                    mantissa = mantissa * 10 + u64::from(c - b'0');
                    exp10 -= i64::from(fraction);
                } else if !fraction {
                    // Digits past the 19th only scale an integer part.
                    exp10 += 1;
                }
            }
            b'.' if !fraction => fraction = true,
            _ => break,
        }
        i += 1;
    }
    if !digits {
        return None;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        let neg_exp = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i64 = 0;
        while let Some(&c @ b'0'..=b'9') = b.get(i) {
            e = (e * 10 + i64::from(c - b'0')).min(1_000_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        exp10 += if neg_exp { -e } else { e };
    }
    if i != b.len() {
        return None;
    }
    let m = mantissa as f64;
    let v = if mantissa == 0 {
        0.0
    } else if mantissa < (1 << 53) && (-22..=22).contains(&exp10) {
        // Both exact, so one rounding: the correctly rounded result.
        let p = POW10[exp10.unsigned_abs() as usize];
        if exp10 < 0 {
            m / p
        } else {
            m * p
        }
    } else {
        // Exact steps of 10^22, so nothing under- or overflows before the result does.
        let mut v = m;
        let mut e = exp10.clamp(-800, 800);
        while e != 0 && v != 0.0 && v.is_finite() {
            let step = e.clamp(-22, 22);
            let p = POW10[step.unsigned_abs() as usize];
            v = if step < 0 { v / p } else { v * p };
            e -= step;
        }
        v
    };
    Some(if neg { -v } else { v })
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];
