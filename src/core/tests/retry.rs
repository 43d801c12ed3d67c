//! Backoff with jitter, which failures retry, and `Retry-After`.

use crate::core::retry::{decimal, delay, parse_retry_after, retryable, MAX_DELAY_MS};
use crate::core::ErrorInfo;

/// Randoms spanning [0, 1).
const RANDOMS: [f64; 6] = [0.0, 0.1, 0.25, 0.5, 0.9, 0.999_999];

#[track_caller]
fn within(d: f64, lo: f64, hi: f64) {
    assert!(d >= lo && d <= hi, "{d} is not in [{lo}, {hi}]");
}

#[test]
fn the_first_retry_waits_between_half_and_all_of_the_base() {
    for r in RANDOMS {
        within(delay(1, 1000.0, r, None), 500.0, 1000.0);
        within(delay(1, 200.0, r, None), 100.0, 200.0);
    }
}

#[test]
fn each_attempt_doubles_the_window() {
    for r in RANDOMS {
        within(delay(2, 1000.0, r, None), 1000.0, 2000.0);
        within(delay(3, 1000.0, r, None), 2000.0, 4000.0);
        within(delay(4, 1000.0, r, None), 4000.0, 8000.0);
        within(delay(5, 1000.0, r, None), 8000.0, 16_000.0);
    }
    for attempt in 1..=5u32 {
        let full = 1000.0 * 2f64.powi(attempt as i32 - 1);
        assert_eq!(
            delay(attempt, 1000.0, 0.0, None),
            full / 2.0,
            "attempt {attempt}"
        );
        assert_eq!(delay(attempt, 1000.0, 1.0, None), full, "attempt {attempt}");
    }
}

#[test]
fn the_wait_is_capped_at_thirty_seconds() {
    assert_eq!(MAX_DELAY_MS, 30_000.0);
    for r in RANDOMS {
        within(delay(20, 1000.0, r, None), 15_000.0, 30_000.0);
        within(delay(6, 1000.0, r, None), 15_000.0, 30_000.0);
        within(delay(u32::MAX, 1000.0, r, None), 15_000.0, 30_000.0);
        // A base above the cap is capped too.
        within(delay(1, 100_000.0, r, None), 15_000.0, 30_000.0);
        within(delay(3, f64::INFINITY, r, None), 15_000.0, 30_000.0);
    }
    assert_eq!(delay(20, 1000.0, 0.0, None), 15_000.0);
    assert_eq!(delay(20, 1000.0, 1.0, None), 30_000.0);
}

#[test]
fn random_zero_is_the_lower_bound_and_random_near_one_the_upper() {
    assert_eq!(delay(1, 1000.0, 0.0, None), 500.0);
    let near = delay(1, 1000.0, 0.999_999_999, None);
    assert!(near < 1000.0 && near > 999.99, "{near}");
    assert_eq!(delay(1, 1000.0, 1.0, None), 1000.0);
    // The delay grows with `random`.
    let mut last = -1.0;
    for i in 0..=100 {
        let d = delay(3, 1000.0, f64::from(i) / 100.0, None);
        assert!(
            d >= last,
            "not monotonic at random {}",
            f64::from(i) / 100.0
        );
        last = d;
    }
}

#[test]
fn out_of_range_randoms_stay_in_the_window() {
    for r in [-1.0, 2.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        within(delay(1, 1000.0, r, None), 500.0, 1000.0);
    }
    assert_eq!(delay(1, 1000.0, f64::NAN, None), 500.0);
}

#[test]
fn a_zero_or_negative_base_retries_at_once() {
    assert_eq!(delay(1, 0.0, 0.7, None), 0.0);
    assert_eq!(delay(5, 0.0, 0.7, None), 0.0);
    assert_eq!(delay(1, -50.0, 0.7, None), 0.0);
}

#[test]
fn attempt_zero_is_treated_as_the_first() {
    within(delay(0, 1000.0, 0.5, None), 500.0, 1000.0);
}

#[test]
fn retry_after_is_a_floor() {
    assert_eq!(delay(1, 1000.0, 0.0, Some(5000.0)), 5000.0);
    assert_eq!(delay(1, 1000.0, 1.0, Some(5000.0)), 5000.0);
    // Below the jittered wait it changes nothing.
    assert_eq!(delay(1, 1000.0, 0.0, Some(100.0)), 500.0);
    assert_eq!(delay(2, 1000.0, 1.0, Some(0.0)), 2000.0);
    // The server's floor wins over the cap.
    assert_eq!(delay(20, 1000.0, 0.5, Some(60_000.0)), 60_000.0);
    // A non-finite floor is ignored.
    assert_eq!(delay(1, 1000.0, 0.0, Some(f64::NAN)), 500.0);
    assert_eq!(delay(1, 1000.0, 0.0, Some(f64::INFINITY)), 500.0);
}

#[test]
fn retry_after_is_read_in_seconds() {
    assert_eq!(parse_retry_after("2"), Some(2000.0));
    assert_eq!(parse_retry_after("5"), Some(5000.0));
    assert_eq!(parse_retry_after("0"), Some(0.0));
    assert_eq!(parse_retry_after(" 3 "), Some(3000.0));
    assert_eq!(parse_retry_after("1.5"), Some(1500.0));
    assert_eq!(parse_retry_after("120"), Some(120_000.0));
}

#[test]
fn unreadable_retry_after_is_ignored() {
    for h in [
        "x",
        "",
        "   ",
        "-1",
        "2s",
        "inf",
        "infinity",
        "NaN",
        "1e400",
        "Wed, 21 Oct 2015 07:28:00 GMT",
    ] {
        assert_eq!(parse_retry_after(h), None, "Retry-After {h:?}");
    }
}

fn http(status: u16) -> ErrorInfo {
    ErrorInfo::http(status, "/x", String::new())
}

#[test]
fn network_errors_timeouts_5xx_408_and_429_retry() {
    assert!(retryable(&ErrorInfo::new("NETWORK", "offline")));
    assert!(retryable(&ErrorInfo::new("TIMEOUT", "took too long")));
    for s in [500, 502, 503, 504, 599, 408, 429] {
        assert!(retryable(&http(s)), "HTTP {s} retries");
    }
}

#[test]
fn client_errors_auth_and_unreadable_answers_do_not_retry() {
    for s in [400, 403, 404, 405, 409, 410, 422, 300, 304] {
        assert!(!retryable(&http(s)), "HTTP {s} is final");
    }
    let auth = http(401);
    assert_eq!(auth.code, "AUTH");
    assert_eq!(auth.status, Some(401));
    assert!(!retryable(&auth));
    for code in ["PARSE", "SHAPE", "INVALID_ARGUMENT", "ABORTED", "QUERY_FN"] {
        assert!(!retryable(&ErrorInfo::new(code, "x")), "{code} is final");
    }
    // An HTTP error without a status cannot be judged retryable.
    assert!(!retryable(&ErrorInfo::new("HTTP", "x")));
}

#[test]
fn http_errors_carry_status_and_body() {
    let e = ErrorInfo::http(500, "/api/todos", "boom".to_owned());
    assert_eq!(e.code, "HTTP");
    assert_eq!(e.status, Some(500));
    assert_eq!(e.body.as_deref(), Some("boom"));
    assert!(
        e.message.contains("/api/todos") && e.message.contains("500"),
        "{}",
        e.message
    );
}

#[test]
fn retry_after_numbers_read_as_str_parse_reads_them() {
    for s in [
        "0",
        "5",
        "120",
        "1.5",
        "+1.5",
        "-2",
        "-0",
        ".5",
        "5.",
        "2e1",
        "2E+1",
        "25e-1",
        "1e22",
        "1e23",
        "0.1",
        "3.14159",
        "9007199254740993",
        "123456789012345678901234",
        "1e400",
        "1e-400",
        "0.000001",
        "007",
        "12345678901234567890.5",
        "4.9e-324",
    ] {
        let want: f64 = s.parse().unwrap();
        let got = decimal(s).unwrap();
        let close =
            got == want || (got - want).abs() <= want.abs() * 1e-14 || (got - want).abs() < 1e-320;
        assert!(close, "{s}: {got} vs {want}");
        if s.len() < 16 && !s.contains("e4") && !s.contains("e-4") {
            assert_eq!(got.to_bits(), want.to_bits(), "{s} is exact");
        }
    }
    for s in [
        "", "+", "-", ".", "e5", "1e", "1e+", "1.2.3", "1 2", "inf", "NaN", "0x10", "soon", "1_0",
    ] {
        assert_eq!(decimal(s), None, "{s:?}");
    }
    assert_eq!(parse_retry_after("-1"), None);
    assert_eq!(parse_retry_after("1e400"), None);
    assert_eq!(parse_retry_after("inf"), None);
}
