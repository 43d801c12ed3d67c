//! Nothing is sent before its record is durable: a new mutation is saving until `persisted`,
//! records are emitted in order, and a saving head blocks the queue behind it.

use crate::core::sync::records::FORMAT;
use crate::core::tests::support::persist::*;

#[test]
fn a_new_mutation_is_saving_until_its_record_is_durable() {
    let mut s = seeded();
    let out = mutate(&mut s, "m1", patch_title(1, "local"), T0);
    no_send(&out);
    assert_eq!(ob(&out), vec!["m1"]);
    assert!(out.sync);
    let r = rec(&out, "m1");
    assert_eq!(r["f"], FORMAT);
    assert_eq!(r["id"], "m1");
    assert_eq!(r["v"], 1, "the first write of the record");
    assert_eq!(
        r["status"], "queued",
        "a record is only ever read back queued"
    );
    assert_eq!(r["at"], T0);
    assert_eq!(
        (r["method"].clone(), r["url"].clone(), r["body"].clone()),
        (
            json!("PATCH"),
            json!("/tasks/1"),
            json!({ "title": "local" })
        )
    );
    assert_eq!(
        r["writes"],
        json!([["Task:1", { "id": 1, "title": "local" }]])
    );
    assert_eq!(
        r["snapshot"],
        json!({ "Task:1": { "id": 1, "title": "one" } })
    );
    assert_eq!(r["baseVersion"], 1);
    assert_eq!(r["revision"], 0);
    assert_eq!(
        r["subject"],
        json!({ "key": "Task:1", "type": "Task", "versionField": "version",
                "patch": { "id": 1, "title": "local" } })
    );

    // Visible at once, counted as pending, but not sent.
    assert_eq!(status(&s, "m1").as_deref(), Some("saving"));
    assert_eq!(task(&s, "1")["title"], "local");
    let y = sync(&s);
    assert_eq!(
        (y["pending"].clone(), y["inflight"].clone()),
        (json!(1), json!(0))
    );
    no_send(&tick(&mut s, T0 + 100_000.0));
    no_send(&{
        let out = s.flush(T0 + 100_001.0);
        done(&mut s, out)
    });
    assert_eq!(
        s.next_wake(T0 + 100_002.0),
        None,
        "no timer spins for a saving mutation"
    );

    let out = persisted(&mut s, &["m1"], T0 + 1.0);
    assert!(
        ob(&out).is_empty(),
        "being sent does not rewrite the record"
    );
    let sent = one_send(&out);
    assert_eq!((sent.id.as_str(), sent.key()), ("m1", "m1"));
    assert_eq!(sent.header("If-Match"), Some("\"1\""));
    assert_eq!(sent.body, Some(json!({ "title": "local", "version": 1 })));
    assert_eq!(status(&s, "m1").as_deref(), Some("inflight"));
}

#[test]
fn a_store_without_persistence_writes_nothing() {
    let mut s = store_from(json!({ "entities": schema(), "persist": false }));
    assert!(!s.persisting());
    let out = put(&mut s, LIST, seed_tasks(), json!(["Task"]), T0);
    assert!(!out.persist);
    let out = mutate(&mut s, "m1", patch_title(1, "x"), T0);
    assert!(out.outbox.is_empty());
    assert!(!out.persist);
    assert_eq!(
        one_send(&out).id,
        "m1",
        "memory only: queued and sent at once"
    );
    assert_eq!(
        s.take_cache_delta(),
        json!({ "e": [], "q": [] }).to_string()
    );
}

#[test]
fn records_are_emitted_in_order_and_only_durable_mutations_are_sent() {
    let mut s = seeded();
    let mut written = Vec::new();
    for (i, id) in ["m1", "m2", "m3"].iter().enumerate() {
        let out = mutate(
            &mut s,
            id,
            patch_desc(i + 1, json!({ "title": format!("t{i}") })),
            T0 + i as f64,
        );
        no_send(&out);
        written.extend(ob(&out));
    }
    assert_eq!(written, vec!["m1", "m2", "m3"]);
    assert_eq!(
        queue(&s),
        vec![
            ("m1".to_owned(), "saving".to_owned()),
            ("m2".to_owned(), "saving".to_owned()),
            ("m3".to_owned(), "saving".to_owned())
        ]
    );
    // One transaction made all three durable: the head goes, the rest wait their turn.
    let out = persisted(&mut s, &["m1", "m2", "m3"], T0 + 5.0);
    let s1 = one_send(&out);
    assert_eq!(s1.id, "m1");
    assert_eq!(sync(&s)["pending"], 3);
    let out = answer(&mut s, &s1, http(204, ""), T0 + 6.0);
    assert_eq!(ob(&out), vec!["-m1"]);
    let s2 = one_send(&out);
    assert_eq!(s2.id, "m2");
    let out = answer(&mut s, &s2, http(204, ""), T0 + 7.0);
    assert_eq!(ob(&out), vec!["-m2"]);
    assert_eq!(one_send(&out).id, "m3");
}

#[test]
fn a_saving_head_blocks_the_mutations_behind_it() {
    let mut s = seeded();
    mutate(&mut s, "m1", patch_title(1, "a"), T0);
    mutate(&mut s, "m2", patch_title(2, "b"), T0 + 1.0);
    // m2's record landed first: it is queued, but m1 (still being written) goes first.
    let out = persisted(&mut s, &["m2"], T0 + 2.0);
    no_send(&out);
    assert_eq!(
        queue(&s),
        vec![
            ("m1".to_owned(), "saving".to_owned()),
            ("m2".to_owned(), "queued".to_owned())
        ]
    );
    assert_eq!(s.next_wake(T0 + 2.0), None);
    no_send(&tick(&mut s, T0 + 60_000.0));
    let out = persisted(&mut s, &["m1"], T0 + 3.0);
    let s1 = one_send(&out);
    assert_eq!(s1.id, "m1");
    let out = answer(&mut s, &s1, http(204, ""), T0 + 4.0);
    assert_eq!(one_send(&out).id, "m2");

    // Unknown ids and ids that are no longer being saved change nothing.
    let out = persisted(&mut s, &["nope", "m2"], T0 + 5.0);
    no_send(&out);
    assert!(ob(&out).is_empty());
    assert_eq!(status(&s, "m2").as_deref(), Some("inflight"));
    expect_err(s.persisted("not json", T0), "INVALID_ARGUMENT");
}
