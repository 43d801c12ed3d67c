//! Options that differ between observers of one query: an observer without a source never
//! replaces the url and shape of the query another observer fetches (regressions).

use crate::core::tests::support::queries::*;

#[test]
fn an_observer_without_a_source_keeps_the_fetching_observers_shape() {
    let mut s = store();
    let t = fetching(&mut s, "todos", json!({ "shape": ["Todo"] }));
    // A second component only reads the query.
    observe(&mut s, "todos", json!({}), T0 + 1.0);
    settle(&mut s, "todos", t, ok(json!([{ "id": 1 }])), T0 + 2.0);
    assert!(
        s.entity("Todo:1").is_some(),
        "the answer is normalized with ['Todo']"
    );
    assert_eq!(
        s.query("todos").map(|q| q.result.clone()),
        Some(json!(["Todo:1"]))
    );
}

#[test]
fn a_paused_query_whose_source_was_dropped_does_not_stay_paused_without_a_ticket() {
    let mut s = store();
    s.set_online(false, T0);
    observe(&mut s, "q", url_opts("q", json!({})), T0 + 1.0);
    assert_eq!(meta(&s, "q").fetch_status(), FetchStatus::Paused);
    observe(&mut s, "q", json!({}), T0 + 2.0);
    s.set_online(true, T0 + 3.0);
    let m = meta(&s, "q");
    assert!(
        m.fetch_status() == FetchStatus::Idle || m.ticket() != 0,
        "fetchStatus {:?} with ticket {}",
        m.fetch_status(),
        m.ticket()
    );
    assert!(
        m.fetch_status() != FetchStatus::Paused,
        "paused while online"
    );
}

#[test]
fn a_retry_keeps_the_url_after_a_source_less_observer() {
    let mut s = store();
    let t = fetching(&mut s, "q", json!({}));
    settle(&mut s, "q", t, http(500, ""), T0 + 1.0);
    let at = meta(&s, "q").retry_at().expect("retry scheduled");
    observe(&mut s, "q", json!({}), T0 + 2.0);
    let out = s.tick(at);
    assert_eq!(
        out.actions,
        [Action::Fetch {
            hash: "q".to_owned(),
            ticket: t,
            url: Some("/q".to_owned()),
            timeout: 30_000.0
        }]
    );
}
