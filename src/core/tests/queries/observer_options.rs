//! Options an observer changes without resubscribing (the wrapper's function-valued
//! `enabled`, `staleTime`, `refetchInterval`), `refetchOnMount`, `networkMode`, and failures
//! decided by the app's `retry`/`retryDelay` function.

use crate::core::tests::support::queries::*;

fn update(s: &mut Store, hash: &str, opts: Value, now: f64) -> Output {
    must(
        s.update_options(hash, &opts.to_string(), now),
        format_args!("update_options({hash})"),
    )
}

#[test]
fn enabling_a_stale_observed_query_fetches_it() {
    let mut s = store();
    let out = observe(&mut s, "q", url_opts("q", json!({ "enabled": false })), T0);
    no_fetch(&out);
    let out = update(
        &mut s,
        "q",
        url_opts("q", json!({ "enabled": false })),
        T0 + 1.0,
    );
    no_fetch(&out);
    let out = update(
        &mut s,
        "q",
        url_opts("q", json!({ "enabled": true })),
        T0 + 2.0,
    );
    assert_eq!(fetched_hashes(&out), ["q"]);
    // Enabled again while fresh: nothing to fetch.
    settle(&mut s, "q", ticket(&out, "q"), ok(json!(1)), T0 + 3.0);
    update(
        &mut s,
        "q",
        url_opts("q", json!({ "enabled": false, "staleTime": 1000 })),
        T0 + 4.0,
    );
    let out = update(
        &mut s,
        "q",
        url_opts("q", json!({ "staleTime": 1000 })),
        T0 + 5.0,
    );
    no_fetch(&out);
    // An unknown query: nothing happens.
    let out = update(&mut s, "nope", url_opts("nope", json!({})), T0);
    assert!(out.states.is_empty() && out.actions.is_empty());
}

#[test]
fn a_new_stale_time_reports_the_stale_flip_and_a_new_interval_starts_now() {
    let mut s = store();
    let opts = url_opts("q", json!({ "staleTime": 10_000, "refetchInterval": 5000 }));
    loaded(&mut s, "q", opts, json!(1), T0);
    assert_eq!(meta(&s, "q").interval_at(), Some(T0 + 5000.0));
    let out = update(
        &mut s,
        "q",
        url_opts("q", json!({ "staleTime": 100, "refetchInterval": 5000 })),
        T0 + 200.0,
    );
    assert_eq!(out.states, ["q"], "isStale flipped");
    assert_eq!(state(&s, "q", T0 + 200.0)["isStale"], json!(true));
    no_fetch(&out);
    assert_eq!(
        meta(&s, "q").interval_at(),
        Some(T0 + 5000.0),
        "same interval: same timer"
    );
    update(
        &mut s,
        "q",
        url_opts("q", json!({ "staleTime": 100, "refetchInterval": 800 })),
        T0 + 300.0,
    );
    assert_eq!(meta(&s, "q").interval_at(), Some(T0 + 1100.0));
    update(
        &mut s,
        "q",
        url_opts("q", json!({ "staleTime": 100, "refetchInterval": false })),
        T0 + 400.0,
    );
    assert_eq!(meta(&s, "q").interval_at(), None);
}

#[test]
fn refetch_on_mount_false_and_always() {
    let mut s = store();
    loaded(&mut s, "q", url_opts("q", json!({})), json!(1), T0);
    no_fetch(&observe(
        &mut s,
        "q",
        url_opts("q", json!({ "refetchOnMount": false })),
        T0 + 1.0,
    ));
    let fresh = json!({ "refetchOnMount": true, "staleTime": 60_000 });
    no_fetch(&observe(&mut s, "q", url_opts("q", fresh), T0 + 2.0));
    let always = json!({ "refetchOnMount": "always", "staleTime": 60_000 });
    assert_eq!(
        fetched_hashes(&observe(&mut s, "q", url_opts("q", always), T0 + 3.0)),
        ["q"]
    );
    // Without data a new observer fetches whatever refetchOnMount says.
    let out = observe(
        &mut s,
        "new",
        url_opts("new", json!({ "refetchOnMount": false })),
        T0,
    );
    assert_eq!(fetched_hashes(&out), ["new"]);
    expect_err(
        s.observe(
            "x",
            &key_for("x"),
            &json!({ "refetchOnMount": "never" }).to_string(),
            T0,
        ),
        "INVALID_ARGUMENT",
    );
}

#[test]
fn network_mode_always_sends_offline_and_offline_first_sends_once() {
    let mut s = store();
    s.set_online(false, T0);
    let out = observe(&mut s, "on", url_opts("on", json!({})), T0);
    no_fetch(&out);
    assert_eq!(meta(&s, "on").fetch_status(), FetchStatus::Paused);

    let always = url_opts("al", json!({ "networkMode": "always", "retryDelay": 10 }));
    let t = ticket(&observe(&mut s, "al", always, T0), "al");
    // A network error offline counts as a failure: retried, never paused.
    settle(&mut s, "al", t, network(), T0 + 1.0);
    let m = meta(&s, "al");
    assert_eq!(
        (m.fetch_status(), m.failure_count()),
        (FetchStatus::Fetching, 1)
    );
    let at = m.retry_at().expect("a retry");
    let out = s.tick(at);
    assert_eq!(fetches(&out), [("al".to_owned(), t)]);

    let first = url_opts("of", json!({ "networkMode": "offlineFirst" }));
    let t = ticket(&observe(&mut s, "of", first, T0), "of");
    settle(&mut s, "of", t, network(), T0 + 1.0);
    assert_eq!(
        meta(&s, "of").fetch_status(),
        FetchStatus::Paused,
        "retries wait for the network"
    );
    let out = s.set_online(true, T0 + 2.0);
    assert!(fetched_hashes(&out).contains(&"of".to_owned()));
    expect_err(
        s.observe(
            "x",
            &key_for("x"),
            &json!({ "networkMode": "offline" }).to_string(),
            T0,
        ),
        "INVALID_ARGUMENT",
    );
}

fn asks(out: &Output) -> Vec<(String, u64, u32, String, bool)> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::AskRetry {
                hash,
                ticket,
                failure_count,
                error,
                would_retry,
            } => Some((
                hash.clone(),
                *ticket,
                *failure_count,
                error.code.clone(),
                *would_retry,
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn a_retry_function_decides_each_failure() {
    let mut s = store();
    let opts = url_opts("q", json!({ "askRetry": true, "retry": 1 }));
    let t = ticket(&observe(&mut s, "q", opts, T0), "q");
    // A 404 the store would not retry: the app is asked, with the store's own answer.
    let out = settle(&mut s, "q", t, http(404, "no"), T0 + 1.0);
    assert_eq!(
        asks(&out),
        [("q".to_owned(), t, 1, "HTTP".to_owned(), false)]
    );
    let m = meta(&s, "q");
    assert_eq!(
        (m.fetch_status(), m.retry_at(), m.status()),
        (FetchStatus::Fetching, None, Status::Pending)
    );
    assert_eq!(
        s.next_wake(T0 + 1.0),
        None,
        "no timer while the app decides"
    );
    // Retry after 250 ms.
    s.decide_retry("q", t, true, Some(250.0), T0 + 1.0, R);
    assert_eq!(meta(&s, "q").retry_at(), Some(T0 + 251.0));
    assert_eq!(fetches(&s.tick(T0 + 251.0)), [("q".to_owned(), t)]);
    // The second failure: a 500 (the store would not retry past retry: 1) and no retry.
    let out = settle(&mut s, "q", t, http(500, ""), T0 + 300.0);
    assert_eq!(asks(&out)[0].2, 2);
    assert!(!asks(&out)[0].4);
    s.decide_retry("q", t, false, None, T0 + 300.0, R);
    let m = meta(&s, "q");
    assert_eq!(
        (m.status(), m.fetch_status(), m.failure_count()),
        (Status::Error, FetchStatus::Idle, 2)
    );
    assert_eq!(error_code(&s, "q").as_deref(), Some("HTTP"));
    // A late or repeated answer changes nothing.
    let out = s.decide_retry("q", t, true, Some(0.0), T0 + 301.0, R);
    assert!(out.states.is_empty());
}

#[test]
fn a_retry_delay_function_alone_keeps_the_store_rule_and_retry_after_is_a_floor() {
    let mut s = store();
    let t = ticket(
        &observe(&mut s, "q", url_opts("q", json!({ "askRetry": true })), T0),
        "q",
    );
    let out = settle(&mut s, "q", t, http_retry_after(503, "2"), T0);
    assert!(asks(&out)[0].4, "a 503 is retried by the store's rule");
    s.decide_retry("q", t, true, Some(10.0), T0, R);
    assert_eq!(
        meta(&s, "q").retry_at(),
        Some(T0 + 2000.0),
        "Retry-After is a floor"
    );
    // No delay from the app: the store's backoff.
    s.tick(T0 + 2000.0);
    settle(&mut s, "q", t, http(503, ""), T0 + 2000.0);
    s.decide_retry("q", t, true, None, T0 + 2000.0, 0.0);
    assert_eq!(
        meta(&s, "q").retry_at(),
        Some(T0 + 2000.0 + 1000.0),
        "2 x 1000 ms halved by jitter 0"
    );
    // A cancel while the app decides drops the pending failure.
    let out = settle(&mut s, "q", t, http(503, ""), T0 + 3000.0);
    assert_eq!(asks(&out).len(), 1);
    cancel(&mut s, json!(["q"]), T0 + 3000.0);
    assert!(s
        .decide_retry("q", t, true, None, T0 + 3000.0, R)
        .states
        .is_empty());
    assert_eq!(meta(&s, "q").fetch_status(), FetchStatus::Idle);
}
