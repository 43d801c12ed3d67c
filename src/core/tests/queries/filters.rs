//! Query filters (TanStack's QueryFilters): `exact`, `type`, `stale`, `fetchStatus`, the
//! hashes a JS `predicate` chose, and `refetchType` of invalidateQueries.

use crate::core::query::filter::key_has_prefix;
use crate::core::tests::support::queries::*;

/// `["todos"]` (active), `["todos",1]` (inactive), `["todos",{"page":2,"size":10}]` (active,
/// disabled), `["users"]` (active); all loaded at T0 with staleTime 1000.
fn family() -> Store {
    let mut s = store();
    let keys = [
        ("todos", json!(["todos"]), json!({})),
        ("todo1", json!(["todos", 1]), json!({})),
        (
            "page2",
            json!(["todos", { "page": 2, "size": 10 }]),
            json!({}),
        ),
        ("users", json!(["users"]), json!({})),
    ];
    for (h, k, extra) in keys {
        let opts = url_opts(h, with(json!({ "staleTime": 1000 }), extra));
        let out = observe_key(&mut s, h, k, opts, T0);
        settle(&mut s, h, ticket(&out, h), ok(json!([h])), T0);
    }
    s.unobserve("todo1", T0);
    let off = url_opts("page2", json!({ "staleTime": 1000, "enabled": false }));
    must(
        s.update_options("page2", &off.to_string(), T0),
        "disable page2",
    );
    s
}

fn matched(s: &Store, filter: Value, now: f64) -> Vec<String> {
    must(
        s.match_queries(&filter.to_string(), now),
        format_args!("match {filter}"),
    )
}

#[test]
fn exact_matches_only_the_whole_key() {
    let mut s = family();
    assert_eq!(
        matched(&s, json!({ "queryKey": ["todos"], "exact": true }), T0),
        ["todos"]
    );
    assert_eq!(
        matched(&s, json!({ "queryKey": ["todos"] }), T0),
        ["page2", "todo1", "todos"]
    );
    // Object keys in another order are the same key.
    let k = json!({ "queryKey": ["todos", { "size": 10, "page": 2 }], "exact": true });
    assert_eq!(matched(&s, k, T0), ["page2"]);
    let out = invalidate(
        &mut s,
        json!({ "queryKey": ["todos"], "exact": true }),
        T0 + 1.0,
    );
    assert_eq!(out.states, ["todos"]);
    assert!(meta(&s, "todos").invalidated());
    assert!(
        !meta(&s, "todo1").invalidated(),
        "['todos', 1] is not ['todos']"
    );
}

#[test]
fn prefixes_match_objects_partially_as_tanstack_does() {
    let k = json!(["todos", { "page": 2, "size": 10 }]);
    assert!(key_has_prefix(&k, &json!(["todos", { "page": 2 }])));
    assert!(key_has_prefix(&k, &json!(["todos", {}])));
    assert!(!key_has_prefix(
        &k,
        &json!(["todos", { "page": 2, "sort": "a" }])
    ));
    assert!(!key_has_prefix(
        &json!(["todos", 1]),
        &json!(["todos", { "page": 2 }])
    ));
}

#[test]
fn type_stale_and_fetch_status_narrow_the_match() {
    let mut s = family();
    // page2 is observed but disabled: not active, as TanStack's isActive().
    assert_eq!(
        matched(&s, json!({ "type": "active" }), T0),
        ["todos", "users"]
    );
    assert_eq!(
        matched(&s, json!({ "type": "inactive" }), T0),
        ["page2", "todo1"]
    );
    assert_eq!(matched(&s, json!({ "type": "all" }), T0).len(), 4);
    assert_eq!(
        matched(&s, json!({ "stale": true }), T0 + 10.0),
        Vec::<String>::new()
    );
    invalidate(
        &mut s,
        json!({ "queryKey": ["users"], "refetchType": "none" }),
        T0 + 10.0,
    );
    assert_eq!(matched(&s, json!({ "stale": true }), T0 + 10.0), ["users"]);
    assert_eq!(matched(&s, json!({ "stale": false }), T0 + 10.0).len(), 3);
    assert_eq!(matched(&s, json!({ "stale": true }), T0 + 2000.0).len(), 4);
    let t = ticket(
        &refetch(
            &mut s,
            json!({ "queryKey": ["todos"], "exact": true }),
            T0 + 20.0,
        ),
        "todos",
    );
    assert_eq!(
        matched(&s, json!({ "fetchStatus": "fetching" }), T0 + 20.0),
        ["todos"]
    );
    assert_eq!(
        matched(&s, json!({ "fetchStatus": "idle" }), T0 + 20.0).len(),
        3
    );
    let out = cancel(&mut s, json!({ "fetchStatus": "fetching" }), T0 + 21.0);
    assert_eq!(aborts(&out), [("todos".to_owned(), t)]);
}

#[test]
fn hashes_chosen_by_a_predicate_intersect_the_other_filters() {
    let mut s = family();
    let f = json!({ "queryKey": ["todos"], "hashes": ["todo1", "users"] });
    assert_eq!(matched(&s, f.clone(), T0), ["todo1"]);
    let out = remove(&mut s, f, T0 + 1.0);
    assert_eq!(out.removed_queries, ["todo1"]);
    assert!(s.meta("users").is_some() && s.meta("todos").is_some());
}

#[test]
fn refetch_type_picks_which_invalidated_queries_refetch() {
    let cases = [
        (json!(null), vec!["todos"]),
        (json!("active"), vec!["todos"]),
        (json!("inactive"), vec!["todo1"]),
        (json!("all"), vec!["todo1", "todos"]),
        (json!("none"), vec![]),
    ];
    for (refetch_type, fetched) in cases {
        let mut s = family();
        let mut f = json!({ "queryKey": ["todos"] });
        if !refetch_type.is_null() {
            f["refetchType"] = refetch_type.clone();
        }
        let out = invalidate(&mut s, f, T0 + 1.0);
        // The disabled page2 is never refetched by an invalidation.
        assert_eq!(fetched_hashes(&out), fetched, "refetchType {refetch_type}");
        for h in ["todos", "todo1", "page2"] {
            assert!(
                meta(&s, h).invalidated(),
                "{h} invalidated under {refetch_type}"
            );
        }
    }
}

#[test]
fn unknown_or_malformed_filters_are_invalid_arguments_naming_the_field() {
    let mut s = family();
    let bad = [
        (json!({ "querykey": ["todos"] }), "querykey"),
        (json!({ "type": "idle" }), "type"),
        (json!({ "stale": "yes" }), "stale"),
        (json!({ "fetchStatus": "loading" }), "fetchStatus"),
        (json!({ "exact": true }), "exact"),
        (json!({ "hashes": [1] }), "hashes"),
    ];
    for (f, name) in bad {
        let e = expect_err(s.refetch(&f.to_string(), T0), "INVALID_ARGUMENT");
        assert!(e.to_string().contains(name), "{f}: {e}");
    }
    // refetchType belongs to invalidateQueries only.
    let f = json!({ "refetchType": "all" }).to_string();
    expect_err(s.refetch(&f, T0), "INVALID_ARGUMENT");
    expect_err(
        s.invalidate(&json!({ "refetchType": "some" }).to_string(), T0),
        "INVALID_ARGUMENT",
    );
    must(s.invalidate(&f, T0), "invalidate with refetchType");
}
