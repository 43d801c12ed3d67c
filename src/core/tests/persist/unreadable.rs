//! Unreadable records (a bad field, an unknown format) are listed failed with STORAGE, never sent
//! or overwritten, and can only be discarded.

use crate::core::tests::support::persist::*;

#[test]
fn unreadable_and_unknown_format_records_are_listed_failed_with_storage() {
    let good = {
        let mut s = seeded();
        let out = mutate(&mut s, "ok1", patch_title(2, "ok"), T0);
        rec(&out, "ok1")
    };
    let variant = |id: &str, f: &dyn Fn(&mut Value)| {
        let mut r = good.clone();
        r["id"] = json!(id);
        r["at"] = json!(T0 - 10.0);
        f(&mut r);
        r
    };
    let bad = vec![
        variant("u-format2", &|r| r["f"] = json!(99)), // a format this version does not know
        variant("u-noformat", &|r| {
            r.as_object_mut().map(|o| o.remove("f"));
        }),
        variant("u-textformat", &|r| r["f"] = json!("1")),
        variant("u-writes", &|r| r["writes"] = json!("nope")),
        variant("u-status", &|r| r["status"] = json!("sending")),
        variant("u-policy", &|r| r["policy"] = json!("whatever")),
        variant("u-url", &|r| r["url"] = json!("")),
        variant("u-shape", &|r| r["shape"] = json!("Ghost")),
        variant("u-insert", &|r| {
            r["inserts"] = json!([["tasks", [], false]])
        }),
        variant("u-snapshot", &|r| r["snapshot"] = json!([1, 2])),
    ];
    let mut records: Vec<Value> = bad.clone();
    records.push(good.clone());
    let text = Value::Array(records).to_string();

    let mut s = seeded();
    let before = visible(&s);
    let out = reconcile(&mut s, &text, T0 + 1.0);
    assert!(ob(&out).is_empty(), "nothing is written back");
    assert_eq!(one_send(&out).id, "ok1", "the readable record is replayed");
    assert_eq!(task(&s, "2")["title"], "ok");
    assert_eq!(
        visible(&s)["entities"]["Task:1"],
        before["entities"]["Task:1"]
    );
    let y = sync(&s);
    assert_eq!(
        (y["failed"].clone(), y["pending"].clone()),
        (json!(bad.len()), json!(1))
    );
    for r in &bad {
        let id = r["id"].as_str().expect("id");
        let m = listing(&s, id);
        assert_eq!(m["status"], "failed", "{id}");
        assert_eq!(m["error"]["code"], "STORAGE", "{id}");
        assert!(
            m["error"]["message"]
                .as_str()
                .is_some_and(|t| t.contains("could not be read back")),
            "{id}: {m}"
        );
        assert_eq!(m["createdAt"], T0 - 10.0, "{id}");
        assert_eq!(m["request"]["method"], "PATCH", "{id}");
    }
    assert!(listing(&s, "u-format2")["error"]["message"]
        .as_str()
        .is_some_and(|t| t.contains("unknown record format 99")));
    // Listed before ok1 (they are older), never sent, never blocking it.
    assert_eq!(queue(&s).last().map(|(id, _)| id.as_str()), Some("ok1"));

    // They cannot be retried, only discarded (which deletes the record).
    let e = expect_err(s.retry_mutation("u-format2", T0 + 2.0), "INVALID_ARGUMENT");
    assert!(e.to_string().contains("only be discarded"), "{e}");
    let out = s.discard_mutation("u-format2", T0 + 3.0).expect("discard");
    let out = done(&mut s, out);
    assert_eq!(ob(&out), vec!["-u-format2"]);
    assert!(out.settled.is_empty());
    assert_eq!(status(&s, "u-format2"), None);

    // Their record is never overwritten, whatever marks them.
    s.mark_record("u-writes");
    let out = s.tick(T0 + 3.0);
    assert!(ob(&out).is_empty(), "{:?}", ob(&out));

    // Reading the outbox again lists them once (the discarded one is gone from storage).
    let again: Vec<Value> = bad.iter().skip(1).cloned().chain([good.clone()]).collect();
    let out = reconcile(&mut s, &Value::Array(again).to_string(), T0 + 4.0);
    no_send(&out);
    assert_eq!(s.mutation_list().len(), bad.len());
    assert_eq!(sync(&s)["failed"], bad.len() - 1);

    // Not a list at all: the whole read is refused.
    expect_err(s.reconcile_outbox("{\"id\":\"x\"}", T0), "STORAGE");
    expect_err(s.reconcile_outbox("[", T0), "PARSE");
}

#[test]
fn a_newer_unreadable_copy_of_a_queued_mutation_fails_it_and_rolls_it_back() {
    let mut s = seeded();
    no_send(&online(&mut s, false, T0));
    let out = mutate(&mut s, "m1", patch_title(1, "local"), T0);
    let mut r = rec(&out, "m1");
    persisted(&mut s, &["m1"], T0);
    r["v"] = json!(9);
    r["f"] = json!(99);
    let out = reconcile(&mut s, &Value::Array(vec![r]).to_string(), T0 + 1.0);
    assert_eq!(listing(&s, "m1")["error"]["code"], "STORAGE");
    assert_eq!(task(&s, "1")["title"], "one");
    assert!(out.changes.written_entities.contains(&"Task:1".to_owned()));
    no_send(&online(&mut s, true, T0 + 2.0));
}
