//! The persisted cache: deltas carry the server base (not the layers), hydrated queries show at
//! once but are stale, and an unobserved hydrated query is collected.

use crate::core::tests::support::persist::*;

#[test]
fn hydrated_queries_show_at_once_and_refetch_when_first_observed() {
    let mut idb = Idb::default();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    let mut b = reload(&idb, true, T0 + 10.0);
    assert_eq!(read(&b, LIST), read(&a, LIST));
    assert_eq!(
        b.take_cache_delta(),
        json!({ "e": [], "q": [] }).to_string(),
        "not written back"
    );
    let opts = json!({ "url": "/tasks", "shape": ["Task"], "staleTime": 1e9 }).to_string();
    let out = b
        .observe(LIST, &key_for(LIST), &opts, T0 + 20.0)
        .expect("observe");
    assert!(
        out.actions
            .iter()
            .any(|a| matches!(a, Action::Fetch { hash, .. } if hash == LIST)),
        "hydrated data is stale: {:?}",
        out.actions
    );
    let m = b.meta(LIST).expect("meta");
    assert!(m.invalidated());
    assert_eq!(m.data_updated_at(), T0, "the data keeps its age");
    assert_eq!(read(&b, LIST)[1]["title"], "two", "shown while refetching");

    // The same data from another tab (not a reload) is fresh.
    let mut c = persisting_store();
    let delta = idb.cache_json();
    c.apply_cache(&delta, false, T0 + 10.0).expect("apply");
    let out = c
        .observe(LIST, &key_for(LIST), &opts, T0 + 20.0)
        .expect("observe");
    assert!(
        !out.actions
            .iter()
            .any(|a| matches!(a, Action::Fetch { .. })),
        "{:?}",
        out.actions
    );
    assert!(!c.meta(LIST).expect("meta").invalidated());
    assert_eq!(
        c.take_cache_delta(),
        json!({ "e": [], "q": [] }).to_string()
    );
    // A later remote delta updates an observed query's state.
    let newer = json!({ "e": [["Task:2", { "id": 2, "title": "remote", "done": false,
                                            "note": "n2", "version": 2, "assignee": null }]],
                        "q": [[LIST, { "k": [LIST], "s": ["Task"], "r": ["Task:2"], "t": T0 + 30.0 }]] });
    let out = c
        .apply_cache(&newer.to_string(), false, T0 + 31.0)
        .expect("apply");
    assert!(out.states.contains(&LIST.to_owned()));
    assert_eq!(
        read(&c, LIST),
        json!([{ "id": 2, "title": "remote", "done": false, "note": "n2",
                                        "version": 2, "assignee": null }])
    );
    assert_eq!(c.meta(LIST).expect("meta").data_updated_at(), T0 + 30.0);
    // Types this version no longer declares and malformed pairs are skipped; bad JSON is refused.
    let odd =
        json!({ "e": [["Ghost:1", { "id": 1 }], [5], "x"], "q": [[7], ["nope", { "k": 1 }]] });
    c.apply_cache(&odd.to_string(), false, T0 + 32.0)
        .expect("apply");
    assert!(c.entity("Ghost:1").is_none());
    assert!(c.query("nope").is_none());
    expect_err(c.apply_cache("{", false, T0), "PARSE");
}

#[test]
fn a_server_write_under_a_layer_reaches_the_cache_delta() {
    // The server changes only a field a pending layer covers: nothing visible moves, but the
    // base did, and a reload (then a rollback) must show the server's value.
    let mut idb = Idb::default();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    no_send(&online(&mut a, false, T0));
    let out = mutate_durable(&mut a, "m1", patch_title(1, "local"), T0);
    idb.save(&mut a, &out);
    let mut refetched = seed_tasks();
    refetched[0]["title"] = json!("server title");
    let out = put(&mut a, LIST, refetched, json!(["Task"]), T0 + 1.0);
    assert_eq!(task(&a, "1")["title"], "local");
    idb.save(&mut a, &out);
    assert_eq!(
        idb.entities["Task:1"]["title"], "server title",
        "the new base is persisted"
    );
    let mut b = reload(&idb, false, T0 + 2.0);
    assert_eq!(visible(&b), visible(&a));
    for s in [&mut a, &mut b] {
        let out = s.discard_mutation("m1", T0 + 3.0).expect("discard");
        done(s, out);
        assert_eq!(task(s, "1")["title"], "server title");
    }
}

#[test]
fn an_unobserved_hydrated_query_is_collected_after_gc_time() {
    let mut idb = Idb::default();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    let mut b = store_from(json!({ "entities": schema(), "defaults": { "gcTime": 1000 } }));
    let out = b
        .apply_cache(&idb.cache_json(), true, T0 + 10.0)
        .expect("hydrate");
    assert!(out.states.iter().any(|h| h == LIST), "its state reaches JS");
    assert!(b.meta(LIST).expect("meta").invalidated(), "stale");
    assert_eq!(out.wake_at, Some(T0 + 1010.0), "gc is scheduled");
    let out = b.tick(T0 + 1010.0);
    assert!(out.removed_queries.iter().any(|h| h == LIST), "{out:?}");
    assert!(b.query(LIST).is_none());
    assert_eq!(b.entity_count(), 0, "its entities went with it");
}

/// The delta is written straight from the records (sync/delta.rs): its text is serde_json's
/// own rendering of the same value (escapes, floats, big and negative numbers, unicode, nested
/// data, a query's key and time), and it reads back into an equal cache.
#[test]
fn the_delta_text_is_what_serde_json_writes_and_reads_back_equal() {
    let mut a = persisting_store();
    let tasks = json!([
        { "id": 1, "title": "quote \" back\\slash \n tab\t \u{1} é 😀", "done": false,
          "score": 0.1, "big": 18446744073709551615u64, "neg": -7, "exp": 1e300,
          "tags": ["a", { "deep": [null, true, 2.5] }], "assignee": { "id": "u1", "name": "Ann" } },
        { "id": 2, "title": "two", "done": true, "assignee": null }
    ]);
    put(&mut a, LIST, tasks, list_shape(), T0 + 0.25);
    let text = a.take_cache_delta();
    let v: Value = serde_json::from_str(&text).expect("delta");
    assert_eq!(v.to_string(), text, "same text as serde_json writes");
    assert_eq!(v["e"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["q"][0][1]["t"], json!(T0 + 0.25));

    let mut b = persisting_store();
    b.apply_cache(&text, true, T0 + 10.0).expect("apply");
    assert_eq!(read(&b, LIST), read(&a, LIST));
    assert_eq!(
        b.cache().base_record("Task:1"),
        a.cache().base_record("Task:1")
    );
}
