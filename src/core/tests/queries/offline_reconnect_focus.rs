//! Offline, reconnect and focus: a fetch offline pauses until online; reconnect and focus refetch
//! the active stale queries (unless an option turns it off).

use crate::core::tests::support::queries::*;

#[test]
fn observing_offline_pauses_until_online() {
    let mut s = store();
    s.set_online(false, T0);
    let out = observe(&mut s, "q", url_opts("q", json!({})), T0 + 1.0);
    no_fetch(&out);
    assert!(out.states.contains(&"q".to_owned()));
    let m = meta(&s, "q");
    assert_eq!(
        (m.status(), m.fetch_status()),
        (Status::Pending, FetchStatus::Paused)
    );
    assert_ne!(m.ticket(), 0);
    assert_eq!(state(&s, "q", T0 + 1.0)["fetchStatus"], json!("paused"));
    // Time passing offline does not fetch.
    no_fetch(&s.tick(T0 + 60_000.0));
    let out = s.set_online(true, T0 + 60_001.0);
    let t = ticket(&out, "q");
    assert_eq!(meta(&s, "q").fetch_status(), FetchStatus::Fetching);
    assert_eq!(meta(&s, "q").ticket(), t);
    settle(&mut s, "q", t, ok(json!(1)), T0 + 60_002.0);
    assert_eq!(meta(&s, "q").status(), Status::Success);
}

#[test]
fn a_network_failure_offline_pauses_without_spending_a_retry() {
    let mut s = store();
    let t = fetching(&mut s, "q", json!({ "retry": 3 }));
    s.set_online(false, T0 + 1.0);
    let out = settle(&mut s, "q", t, network(), T0 + 2.0);
    no_fetch(&out);
    let m = meta(&s, "q");
    assert_eq!(m.fetch_status(), FetchStatus::Paused);
    assert_eq!(m.failure_count(), 0);
    assert_eq!(m.retry_at(), None);
    assert_eq!(m.status(), Status::Pending);
    let out = s.set_online(true, T0 + 3.0);
    let t2 = ticket(&out, "q");
    assert_eq!(meta(&s, "q").fetch_status(), FetchStatus::Fetching);
    settle(&mut s, "q", t2, ok(json!(1)), T0 + 4.0);
    assert_eq!(meta(&s, "q").status(), Status::Success);
}

#[test]
fn a_retry_that_falls_due_offline_pauses() {
    let mut s = store();
    let t = fetching(&mut s, "q", json!({ "retry": 3 }));
    settle(&mut s, "q", t, http(500, ""), T0 + 1.0);
    let at = meta(&s, "q").retry_at().expect("retry scheduled");
    s.set_online(false, T0 + 2.0);
    let out = s.tick(at);
    no_fetch(&out);
    let m = meta(&s, "q");
    assert_eq!(
        (m.fetch_status(), m.retry_at()),
        (FetchStatus::Paused, None)
    );
    assert!(out.states.contains(&"q".to_owned()));
    let out = s.set_online(true, at + 10.0);
    assert_eq!(fetched_hashes(&out), ["q"]);
}

/// Four loaded queries: `stale` (active, stale), `fresh` (active, fresh), `off` (active,
/// stale, the option off) and `idle` (inactive, stale).
fn four_queries(option: &str) -> Store {
    let mut s = store();
    loaded(&mut s, "stale", url_opts("stale", json!({})), json!(1), T0);
    loaded(
        &mut s,
        "fresh",
        url_opts("fresh", json!({ "staleTime": "Infinity" })),
        json!(1),
        T0,
    );
    loaded(
        &mut s,
        "off",
        url_opts("off", json!({ option: false })),
        json!(1),
        T0,
    );
    loaded(&mut s, "idle", url_opts("idle", json!({})), json!(1), T0);
    s.unobserve("idle", T0);
    s
}

#[test]
fn reconnect_refetches_active_stale_queries() {
    let mut s = four_queries("refetchOnReconnect");
    // Already online: nothing.
    no_fetch(&s.set_online(true, T0 + 100.0));
    s.set_online(false, T0 + 200.0);
    let out = s.set_online(true, T0 + 300.0);
    assert_eq!(fetched_hashes(&out), ["stale"]);
    assert_eq!(meta(&s, "stale").status(), Status::Success);
    // Going offline again and back does not refetch what is already fetching.
    s.set_online(false, T0 + 400.0);
    no_fetch(&s.set_online(true, T0 + 500.0));
}

#[test]
fn focus_refetches_active_stale_queries() {
    let mut s = four_queries("refetchOnWindowFocus");
    let out = s.focus(T0 + 100.0);
    assert_eq!(fetched_hashes(&out), ["stale"]);
    no_fetch(&s.focus(T0 + 200.0));
}

#[test]
fn store_defaults_turn_focus_and_reconnect_off() {
    let mut s = store_from(
        json!({ "defaults": { "refetchOnWindowFocus": false, "refetchOnReconnect": false } }),
    );
    loaded(&mut s, "q", url_opts("q", json!({})), json!(1), T0);
    no_fetch(&s.focus(T0 + 1.0));
    s.set_online(false, T0 + 2.0);
    no_fetch(&s.set_online(true, T0 + 3.0));
}
