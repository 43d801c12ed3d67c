//! Whatever strata accepted, it reads back (issue 13, item 1): the depth limit applies once, to
//! app data, not again to the records and deltas that wrap it; and one record that cannot be
//! read never hides the others.

use crate::core::tests::support::persist::*;

/// A value `n` arrays deep around a string.
fn nested(n: usize) -> Value {
    (0..n).fold(json!("deep"), |v, _| json!([v]))
}

#[test]
fn a_deep_patch_is_accepted_stored_and_read_back_next_to_a_normal_record() {
    let mut s = seeded();
    no_send(&online(&mut s, false, T0));
    let deep = patch_desc(1, json!({ "shape": nested(123) }));
    let out = mutate_durable(&mut s, "deep", deep, T0);
    let deep_rec = rec(&out, "deep");
    let out = mutate_durable(&mut s, "plain", patch_title(2, "plain"), T0 + 1.0);
    let plain_rec = rec(&out, "plain");

    let mut b = seeded();
    no_send(&online(&mut b, false, T0));
    let records = json!([deep_rec, plain_rec]).to_string();
    let out = reconcile(&mut b, &records, T0 + 2.0);
    no_send(&out);
    assert_eq!(
        queue(&b),
        [
            ("deep".to_owned(), "queued".to_owned()),
            ("plain".to_owned(), "queued".to_owned())
        ]
    );
    assert_eq!(
        task(&b, "1")["shape"],
        nested(123),
        "the layer is back as it was written"
    );
    assert_eq!(task(&b, "2")["title"], "plain");
}

#[test]
fn a_deep_conflict_record_is_read_back() {
    let mut s = seeded();
    let desc = with(patch_title(1, "mine"), json!({ "conflict": "manual" }));
    let sent = durable_sent(&mut s, "m1", desc, T0);
    let current = json!({ "id": 1, "title": "theirs", "version": 2, "deep": nested(125) });
    let out = answer(&mut s, &sent, http(409, &current.to_string()), T0 + 1.0);
    let record = rec(&out, "m1");
    assert_eq!(record["status"], "conflict");

    let mut b = seeded();
    reconcile(&mut b, &json!([record]).to_string(), T0 + 2.0);
    let listed = listing(&b, "m1");
    assert_eq!(listed["status"], "conflict");
    assert_eq!(listed["conflict"]["server"]["deep"], nested(125));
}

#[test]
fn a_deep_cached_entity_survives_persist_and_hydrate() {
    let mut s = persisting_store();
    let task = json!({ "id": 1, "title": "t", "done": false, "note": "", "assignee": null, "deep": nested(125) });
    put(&mut s, LIST, json!([task]), json!(["Task"]), T0);
    let delta = s.take_cache_delta();

    let mut b = persisting_store();
    b.apply_cache(&delta, true, T0 + 1.0)
        .expect("the delta is read back");
    assert_eq!(read(&b, LIST)[0]["deep"], nested(125));
}

#[test]
fn a_record_that_cannot_be_read_is_listed_and_the_others_load() {
    let mut s = seeded();
    no_send(&online(&mut s, false, T0));
    let out = mutate_durable(&mut s, "good", patch_title(2, "good"), T0);
    let good = rec(&out, "good").to_string();
    // Nested far deeper than anything strata writes, and a truncated one.
    let too_deep = format!(r#"{{"f":1,"id":"deep","x":{}}}"#, nested(400));
    let broken = r#"{"f":1,"id":"cut","method":"PATCH","url":"/x","#;
    let records = format!("[{too_deep},{good},{broken}]");

    let mut b = seeded();
    no_send(&online(&mut b, false, T0));
    let out = reconcile(&mut b, &records, T0 + 1.0);
    no_send(&out);
    assert_eq!(status(&b, "good").as_deref(), Some("queued"));
    assert_eq!(task(&b, "2")["title"], "good");
    for id in ["deep", "cut"] {
        let listed = listing(&b, id);
        assert_eq!(listed["status"], "failed", "{id}");
        assert_eq!(listed["error"]["code"], "STORAGE", "{id}");
    }
}
