//! Timers: gc of unobserved queries, refetchInterval, the stale flip, and `wake_at` as the
//! earliest moment anything is due.

use crate::core::tests::support::queries::*;

#[test]
fn an_unobserved_query_is_collected_after_gc_time() {
    let mut s = store();
    let opts = url_opts(
        "todos",
        json!({ "shape": ["Todo"], "gcTime": 10_000, "staleTime": "Infinity" }),
    );
    loaded(
        &mut s,
        "todos",
        opts,
        json!([{ "id": 1, "assignee": { "id": "u1" } }]),
        T0,
    );
    // Another query keeps User:u1.
    put(&mut s, "user", json!({ "id": "u1" }), json!("User"), T0);
    observe(&mut s, "user", json!({}), T0);
    let left = T0 + 500.0;
    let out = s.unobserve("todos", left);
    assert_eq!(out.wake_at, Some(left + 10_000.0));
    let out = s.tick(left + 9_999.0);
    assert!(out.removed_queries.is_empty());
    assert!(s.meta("todos").is_some());
    let out = s.tick(left + 10_000.0);
    assert_eq!(out.removed_queries, ["todos"]);
    assert_eq!(out.removed_entities, ["Todo:1"]);
    assert!(s.meta("todos").is_none() && s.query("todos").is_none());
    assert!(s.entity("Todo:1").is_none());
    assert!(s.entity("User:u1").is_some());
}

#[test]
fn observing_again_stops_the_gc_clock() {
    let mut s = store();
    let opts = url_opts("q", json!({ "gcTime": 1000, "staleTime": "Infinity" }));
    loaded(&mut s, "q", opts.clone(), json!(1), T0);
    s.unobserve("q", T0 + 1.0);
    observe(&mut s, "q", opts, T0 + 500.0);
    assert!(s.tick(T0 + 5_000.0).removed_queries.is_empty());
    let out = s.unobserve("q", T0 + 6_000.0);
    assert_eq!(out.wake_at, Some(T0 + 7_000.0));
}

#[test]
fn an_observed_query_is_never_collected() {
    let mut s = store();
    let opts = url_opts("q", json!({ "gcTime": 0, "staleTime": "Infinity" }));
    let out = observe(&mut s, "q", opts, T0);
    settle(&mut s, "q", ticket(&out, "q"), ok(json!(1)), T0);
    for dt in [0.0, 1.0, 1e6, 1e9] {
        let out = s.tick(T0 + dt);
        assert!(out.removed_queries.is_empty());
    }
    assert!(s.meta("q").is_some() && s.query("q").is_some());
}

#[test]
fn a_query_with_a_fetch_in_flight_is_not_collected() {
    let mut s = store();
    let opts = url_opts("q", json!({ "gcTime": 1000 }));
    let t = ticket(&fetch_query(&mut s, "q", opts.clone(), T0), "q");
    assert_eq!(meta(&s, "q").observers(), 0);
    let out = s.tick(T0 + 50_000.0);
    assert!(out.removed_queries.is_empty());
    assert_eq!(
        out.wake_at, None,
        "nothing to wake for while the fetch runs"
    );
    // Also not while a retry waits.
    settle(&mut s, "q", t, http(500, ""), T0 + 50_001.0);
    let at = meta(&s, "q").retry_at().expect("retry scheduled");
    assert!(s.tick(at - 1.0).removed_queries.is_empty());
    s.tick(at);
    settle(&mut s, "q", t, ok(json!(1)), at + 10.0);
    assert_eq!(read(&s, "q"), json!(1));
}

#[test]
fn fetched_data_of_an_unobserved_query_lives_gc_time_after_it_lands() {
    let mut s = store();
    let opts = url_opts("q", json!({ "gcTime": 1000 }));
    let t = ticket(&fetch_query(&mut s, "q", opts, T0), "q");
    let landed = T0 + 5_000.0;
    let out = settle(&mut s, "q", t, ok(json!(1)), landed);
    assert!(
        out.wake_at.is_some_and(|w| w >= landed + 1000.0),
        "wake_at {:?} should be the gc at {}",
        out.wake_at,
        landed + 1000.0
    );
    let out = s.tick(landed + 1.0);
    assert!(
        out.removed_queries.is_empty(),
        "collected 1 ms after landing"
    );
}

#[test]
fn refetch_interval_fires_while_observed() {
    let mut s = store();
    let opts = url_opts(
        "q",
        json!({ "refetchInterval": 1000, "staleTime": "Infinity" }),
    );
    let out = observe(&mut s, "q", opts, T0);
    let t = ticket(&out, "q");
    assert!(
        out.wake_at.is_some_and(|w| w <= T0 + 1000.0),
        "{:?}",
        out.wake_at
    );
    let out = settle(&mut s, "q", t, ok(json!(1)), T0 + 100.0);
    let w = out.wake_at.expect("interval wake");
    assert!(w <= T0 + 100.0 + 1000.0, "{w}");
    no_fetch(&s.tick(w - 1.0));
    let out = s.tick(w);
    let t2 = ticket(&out, "q");
    assert_ne!(t2, t);
    // Next interval after this one.
    let out = settle(&mut s, "q", t2, ok(json!(2)), w + 10.0);
    assert!(out.wake_at.is_some_and(|x| x > w && x <= w + 10.0 + 1000.0));
    // Unobserved: no more interval fetches.
    let out = s.unobserve("q", w + 20.0);
    let gc = out.wake_at.expect("gc wake");
    assert_eq!(gc, w + 20.0 + 300_000.0);
    no_fetch(&s.tick(w + 5_000.0));
}

#[test]
fn a_disabled_query_does_not_fetch_on_its_interval() {
    let mut s = store();
    let opts = url_opts("q", json!({ "refetchInterval": 1000, "enabled": false }));
    let out = observe(&mut s, "q", opts, T0);
    no_fetch(&out);
    no_fetch(&s.tick(T0 + 1000.0));
    no_fetch(&s.tick(T0 + 2000.0));
}

#[test]
fn the_stale_flip_is_reported_once_when_due() {
    let mut s = store();
    let opts = url_opts("q", json!({ "staleTime": 5000 }));
    let out = observe(&mut s, "q", opts, T0);
    let t = T0 + 10.0;
    let out2 = settle(&mut s, "q", ticket(&out, "q"), ok(json!(1)), t);
    assert_eq!(out2.wake_at, Some(t + 5000.0));
    assert_eq!(state(&s, "q", t)["isStale"], json!(false));
    let early = s.tick(t + 4_999.0);
    assert!(early.states.is_empty());
    let out = s.tick(t + 5000.0);
    assert_eq!(out.states, ["q"]);
    assert_eq!(state(&s, "q", t + 5000.0)["isStale"], json!(true));
    no_fetch(&out);
    // Reported once.
    assert!(s.tick(t + 6000.0).states.is_empty());
}

#[test]
fn wake_at_is_the_earliest_due_moment() {
    // retry of `r` at T0 + 100 + delay(1, 1000, R) = T0 + 850.
    // stale flip of observed `st` at T0 + 2000; interval of observed `iv` at T0 + 3000;
    // gc of unobserved `gc` at T0 + 4000.
    let mut s = store();
    loaded(
        &mut s,
        "st",
        url_opts("st", json!({ "staleTime": 2000 })),
        json!(1),
        T0,
    );
    assert_eq!(s.next_wake(T0), Some(T0 + 2000.0));
    loaded(
        &mut s,
        "iv",
        url_opts(
            "iv",
            json!({ "refetchInterval": 3000, "staleTime": "Infinity" }),
        ),
        json!(1),
        T0,
    );
    loaded(
        &mut s,
        "gc",
        url_opts("gc", json!({ "gcTime": 4000, "staleTime": "Infinity" })),
        json!(1),
        T0,
    );
    s.unobserve("gc", T0);
    assert_eq!(s.next_wake(T0), Some(T0 + 2000.0));
    let t = fetching(&mut s, "r", json!({ "retryDelay": 1000 }));
    let out = settle(&mut s, "r", t, http(500, ""), T0 + 100.0);
    assert_eq!(out.wake_at, Some(T0 + 850.0));

    let out = s.tick(T0 + 850.0);
    assert_eq!(
        out.wake_at,
        Some(T0 + 2000.0),
        "retry went out; the stale flip is next"
    );
    let out = s.tick(T0 + 2000.0);
    assert_eq!(
        out.wake_at,
        Some(T0 + 3000.0),
        "stale flip reported; the interval is next"
    );
    let out = s.tick(T0 + 3000.0);
    assert_eq!(fetched_hashes(&out), ["iv"]);
    // The interval rescheduled itself at T0 + 6000; gc at T0 + 4000 comes first.
    assert_eq!(out.wake_at, Some(T0 + 4000.0));
    let out = s.tick(T0 + 4000.0);
    assert_eq!(out.removed_queries, ["gc"]);
    assert_eq!(out.wake_at, Some(T0 + 6000.0));
}

#[test]
fn unobserved_queries_wake_only_for_gc() {
    let mut s = store();
    let opts = url_opts(
        "q",
        json!({ "staleTime": 1000, "refetchInterval": 500, "gcTime": 9000 }),
    );
    loaded(&mut s, "q", opts, json!(1), T0);
    let out = s.unobserve("q", T0 + 10.0);
    assert_eq!(out.wake_at, Some(T0 + 9010.0));
}

#[test]
fn infinite_times_never_wake() {
    let mut s = store();
    let opts = url_opts(
        "q",
        json!({ "staleTime": "Infinity", "gcTime": "Infinity" }),
    );
    loaded(&mut s, "q", opts, json!(1), T0);
    assert_eq!(s.next_wake(T0), None);
    assert_eq!(s.unobserve("q", T0 + 1.0).wake_at, None);
    assert!(s.tick(T0 + 1e12).removed_queries.is_empty());
}
