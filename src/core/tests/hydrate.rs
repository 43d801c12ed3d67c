//! SSR hydration: a dehydrated state carries the queries with data and every entity they
//! reach; hydrating it elsewhere shows the same data, fresh as of its `dataUpdatedAt`, and
//! never replaces newer data; a bad state is refused whole.

use crate::core::tests::support::mutations::*;
use crate::core::tests::support::queries::{meta, no_fetch, observe, settle, ticket, url_opts};

/// The state of `s`'s queries `hashes`, with each query's `hash` added (as the JS side does).
fn dehydrated(s: &Store, hashes: &[&str]) -> Value {
    let text = must(s.dehydrate(&json!(hashes).to_string()), "dehydrate");
    let mut v: Value = must(
        serde_json::from_str(&text).map_err(|e| Error::Parse(e.to_string())),
        "parse",
    );
    if let Some(qs) = v["queries"].as_array_mut() {
        for q in qs {
            let hash = q["queryKey"][0].clone();
            q["hash"] = hash;
        }
    }
    v
}

fn hydrate(s: &mut Store, state: &Value, now: f64) -> Output {
    must(s.hydrate(&state.to_string(), false, now), "hydrate")
}

fn entities_of(s: &Store) -> Vec<(String, Value)> {
    let mut keys = s.cache().entity_keys();
    keys.sort();
    keys.into_iter()
        .map(|k| {
            let rec = s
                .entity(&k)
                .map(|r| Value::Object(r.to_map()))
                .unwrap_or(Value::Null);
            (k, rec)
        })
        .collect()
}

#[test]
fn a_state_holds_the_queries_and_every_entity_they_reach() {
    let s = seeded_with_page();
    let state = dehydrated(&s, &[LIST, PAGE, "unknown"]);
    assert_eq!(state["version"], 1);
    let qs = state["queries"].as_array().expect("queries");
    assert_eq!(qs.len(), 2, "{qs:?}");
    assert_eq!(qs[0]["queryKey"], json!([LIST]));
    assert_eq!(qs[0]["result"], json!(["Task:1", "Task:2", "Task:3"]));
    assert_eq!(qs[0]["shape"], list_shape());
    assert_eq!(qs[0]["dataUpdatedAt"], T0);
    assert_eq!(qs[0]["status"], "success");
    assert_eq!(qs[1]["result"]["total"], 3);
    let mut keys: Vec<&String> = state["entities"]
        .as_object()
        .expect("entities")
        .keys()
        .collect();
    keys.sort();
    // The users are reached through the tasks' `assignee` relation.
    assert_eq!(keys, ["Task:1", "Task:2", "Task:3", "User:u1", "User:u2"]);
    assert_eq!(
        state["entities"]["User:u1"],
        json!({ "id": "u1", "name": "Ann" })
    );
    // Only what the chosen queries reach.
    let only_page = dehydrated(&s, &[PAGE]);
    assert_eq!(only_page["queries"].as_array().map(Vec::len), Some(1));
    assert_eq!(only_page["entities"].as_object().map(|e| e.len()), Some(5));
    assert_eq!(dehydrated(&s, &[])["entities"], json!({}));
}

#[test]
fn hydrated_data_is_the_same_and_fresh_within_stale_time() {
    let a = seeded_with_page();
    let state = dehydrated(&a, &[LIST, PAGE]);
    let mut b = new_store();
    let out = hydrate(&mut b, &state, T0 + 10.0);
    assert!(out.states.contains(&LIST.to_owned()) && out.states.contains(&PAGE.to_owned()));
    assert_eq!(b.read_query(LIST), a.read_query(LIST));
    assert_eq!(b.read_query(PAGE), a.read_query(PAGE));
    assert_eq!(entities_of(&b), entities_of(&a));
    assert_eq!(
        meta(&b, LIST).data_updated_at(),
        T0,
        "the data keeps its age"
    );
    // Observed within staleTime: no request.
    let out = observe(
        &mut b,
        LIST,
        url_opts(LIST, json!({ "shape": ["Task"], "staleTime": 1000 })),
        T0 + 20.0,
    );
    no_fetch(&out);
    assert!(
        out.states.contains(&LIST.to_owned()),
        "isStale is reported again: {:?}",
        out.states
    );
    assert!(!meta(&b, LIST).is_stale(T0 + 20.0) && !meta(&b, LIST).reported_stale());
    // Past staleTime it refetches, as any query would.
    let mut c = new_store();
    hydrate(&mut c, &state, T0 + 10.0);
    let out = observe(
        &mut c,
        LIST,
        url_opts(LIST, json!({ "shape": ["Task"], "staleTime": 5 })),
        T0 + 20.0,
    );
    ticket(&out, LIST);
}

#[test]
fn newer_data_in_the_store_is_not_overwritten() {
    let a = seeded();
    let state = dehydrated(&a, &[LIST]);
    // b fetched the list after the server rendered it: task 1 has a new title.
    let mut b = new_store();
    let opts = url_opts(LIST, json!({ "shape": ["Task"], "staleTime": 1e9 }));
    let t = ticket(&observe(&mut b, LIST, opts, T0 + 50.0), LIST);
    let mut newer = seed_tasks();
    newer[0]["title"] = json!("newer");
    newer[0]["assignee"]["name"] = json!("Ann (renamed)"); // shown through a relation only
    settle(&mut b, LIST, t, ok(newer), T0 + 60.0);
    let before = entities_of(&b);
    let out = hydrate(&mut b, &state, T0 + 70.0);
    assert!(!out.states.contains(&LIST.to_owned()), "{:?}", out.states);
    assert_eq!(meta(&b, LIST).data_updated_at(), T0 + 60.0);
    assert_eq!(entities_of(&b), before, "no entity went back in time");
    assert_eq!(task(&b, "1")["title"], "newer");
    assert_eq!(
        b.entity("User:u1").and_then(|u| u.value("name")),
        Some(json!("Ann (renamed)"))
    );

    // The other way round: a newer state replaces older data.
    let mut old = new_store();
    put(&mut old, LIST, seed_tasks(), list_shape(), T0 - 100.0);
    old.update_entity("Task", "1", r#"{"title":"old"}"#, T0 - 90.0)
        .expect("update");
    hydrate(&mut old, &state, T0 + 1.0);
    assert_eq!(meta(&old, LIST).data_updated_at(), T0);
    assert_eq!(task(&old, "1")["title"], "one");
    // Hydrating the same state again changes nothing.
    let out = hydrate(&mut old, &state, T0 + 2.0);
    assert!(
        out.states.is_empty() && out.changes.written_entities.is_empty(),
        "{out:?}"
    );
}

#[test]
fn the_version_rule_holds_for_hydrated_records() {
    let a = seeded();
    let state = dehydrated(&a, &[LIST]);
    let mut b = new_store();
    let mut v5 = seed_tasks();
    v5[0]["version"] = json!(5);
    v5[0]["title"] = json!("v5");
    put(&mut b, LIST, v5, list_shape(), T0 - 100.0);
    hydrate(&mut b, &state, T0 + 1.0);
    assert_eq!(meta(&b, LIST).data_updated_at(), T0, "the query is newer");
    assert_eq!(
        task(&b, "1")["title"],
        "v5",
        "a lower version never replaces a higher one"
    );
    assert_eq!(task(&b, "2")["title"], "two");
}

#[test]
fn only_new_leaves_what_the_store_shows_alone() {
    let a = seeded_with_page();
    let state = dehydrated(&a, &[LIST, PAGE]);
    let mut b = new_store();
    put(
        &mut b,
        LIST,
        json!([{ "id": 1, "title": "mine", "done": false, "note": "", "version": 1, "assignee": null }]),
        list_shape(),
        T0 - 100.0,
    );
    let out = must(
        b.hydrate(&state.to_string(), true, T0 + 1.0),
        "hydrate only new",
    );
    assert_eq!(out.states, vec![PAGE.to_owned()]);
    assert_eq!(
        task(&b, "1")["title"],
        "mine",
        "an entity already shown stays"
    );
    assert_eq!(task(&b, "2")["title"], "two", "a new one lands");
    assert_eq!(meta(&b, LIST).data_updated_at(), T0 - 100.0);
    // The full pass (the boundary's effect) then applies the rest.
    hydrate(&mut b, &state, T0 + 2.0);
    assert_eq!(task(&b, "1")["title"], "one");
    assert_eq!(b.read_query(LIST), a.read_query(LIST));
}

#[test]
fn dehydrate_writes_the_server_base_not_optimistic_layers() {
    let mut a = seeded();
    mutate(&mut a, "m1", patch_title(1, "optimistic"), T0 + 1.0);
    assert_eq!(task(&a, "1")["title"], "optimistic");
    let state = dehydrated(&a, &[LIST]);
    assert_eq!(state["entities"]["Task:1"]["title"], "one");
}

#[test]
fn a_bad_state_is_refused_whole() {
    let a = seeded();
    let good = dehydrated(&a, &[LIST]);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "version",
            with(good.clone(), json!({ "version": 2 })),
            "INVALID_ARGUMENT",
        ),
        (
            "no version",
            json!({ "entities": {}, "queries": [] }),
            "INVALID_ARGUMENT",
        ),
        ("not an object", json!([1]), "INVALID_ARGUMENT"),
        (
            "no queries",
            with(good.clone(), json!({ "queries": null })),
            "INVALID_ARGUMENT",
        ),
        (
            "unknown type",
            with(
                good.clone(),
                json!({ "entities": { "Nope:1": { "id": 1 } } }),
            ),
            "INVALID_ARGUMENT",
        ),
        (
            "wrong id",
            with(
                good.clone(),
                json!({ "entities": { "Task:1": { "id": 2 } } }),
            ),
            "INVALID_ARGUMENT",
        ),
        (
            "record",
            with(good.clone(), json!({ "entities": { "Task:1": 5 } })),
            "INVALID_ARGUMENT",
        ),
        (
            "time",
            with(
                good.clone(),
                json!({ "queries": [{ "hash": "q", "queryKey": ["q"], "shape": null, "result": 1, "dataUpdatedAt": "x" }] }),
            ),
            "INVALID_ARGUMENT",
        ),
        (
            "key",
            with(
                good.clone(),
                json!({ "queries": [{ "hash": "q", "queryKey": "q", "shape": null, "result": 1, "dataUpdatedAt": 5 }] }),
            ),
            "INVALID_ARGUMENT",
        ),
        (
            "shape",
            with(
                good.clone(),
                json!({ "queries": [{ "hash": "q", "queryKey": ["q"], "shape": ["Nope"], "result": [], "dataUpdatedAt": 5 }] }),
            ),
            "SHAPE",
        ),
    ];
    for (what, state, code) in cases {
        let mut b = new_store();
        match b.hydrate(&state.to_string(), false, T0) {
            Ok(out) => panic!("{what}: accepted {out:?}"),
            Err(e) => assert_eq!(e.code(), code, "{what}: {e}"),
        }
        assert_eq!(b.entity_count(), 0, "{what}: nothing applied");
        assert!(b.meta(LIST).is_none() && b.meta("q").is_none(), "{what}");
    }
    assert!(new_store().hydrate("not json", false, T0).is_err());
}

#[test]
fn a_persisting_store_persists_what_it_hydrated() {
    let a = seeded();
    let state = dehydrated(&a, &[LIST]);
    let mut b = crate::core::tests::support::persist::persisting_store();
    let out = hydrate(&mut b, &state, T0 + 1.0);
    assert!(
        out.persist,
        "hydrated server data is written to IndexedDB like a fetch's"
    );
}
