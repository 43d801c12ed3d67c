//! Round trip: every record reads back as the mutation it was written from, and a reload
//! reproduces the visible optimistic state and the queue exactly.

use crate::core::mutation::description::{MStatus, Mutation};
use crate::core::sync::records;
use crate::core::tests::support::persist::*;

/// A store whose queue holds every kind of mutation state: failed, conflict, resent after a
/// conflict (revision 1, in flight), and queued ones with updates, relations, list inserts at
/// both ends, a delete, options and an infinite timeout.
fn busy_store(idb: &mut Idb) -> Store {
    let mut s = seeded_with_page();
    put(
        &mut s,
        "extra",
        json!([{ "id": 9, "title": "nine", "version": null }]),
        json!(["Task"]),
        T0,
    );
    idb.save(&mut s, &pending_cache());
    let mut step = |s: &mut Store, out: Output| {
        idb.save(s, &out);
        out
    };
    let current = |title: &str, note: &str| {
        json!({ "current": { "id": 1, "title": title, "done": false, "note": note, "version": 2,
                             "assignee": { "id": "u1", "name": "Ann" } } })
        .to_string()
    };

    let out = mutate_durable(&mut s, "f0", patch_desc(2, json!({ "note": "x" })), T0);
    let sent = one_send(&step(&mut s, out));
    let out = answer(&mut s, &sent, http(422, "{\"error\":\"no\"}"), T0 + 1.0);
    step(&mut s, out);

    let desc = with(patch_title(2, "mine"), json!({ "conflict": "manual" }));
    let out = mutate_durable(&mut s, "c1", desc, T0 + 2.0);
    let sent = one_send(&step(&mut s, out));
    let server2 = json!({ "current": { "id": 2, "title": "theirs", "done": false, "note": "n2",
                                        "version": 3, "assignee": null } });
    let out = answer(&mut s, &sent, http(409, &server2.to_string()), T0 + 3.0);
    step(&mut s, out);
    assert_eq!(status(&s, "c1").as_deref(), Some("conflict"));

    let desc = with(
        patch_title(1, "merged title"),
        json!({ "conflict": "merge", "shape": "Task", "invalidate": [["tasks"], ["page", 1]],
                "retry": 5, "retryDelay": 250, "timeout": "Infinity",
                "request": { "method": "PATCH", "url": "/tasks/1",
                             "body": { "title": "merged title" },
                             "headers": { "Authorization": "Bearer t" } } }),
    );
    let out = mutate_durable(&mut s, "p1", desc, T0 + 4.0);
    let sent = one_send(&step(&mut s, out));
    // The server changed another field: merged and resent (revision 1), in flight now.
    let out = answer(
        &mut s,
        &sent,
        http(409, &current("one", "server note")),
        T0 + 5.0,
    );
    let resent = one_send(&step(&mut s, out));
    assert_eq!(resent.key(), "p1.1");

    for (id, desc, at) in [
        (
            "i1",
            with(
                insert_desc(new_task("tmp-1", "first new"), json!([{ "hash": LIST }])),
                json!({ "optimistic": [{ "op": "insert", "type": "Task",
                    "data": new_task("tmp-1", "first new"),
                    "into": [{ "hash": LIST }, { "hash": PAGE, "path": "items", "position": "start" }] }] }),
            ),
            T0 + 6.0,
        ),
        ("d1", delete_desc(3), T0 + 7.0),
        (
            "u1",
            patch_desc(
                json!(2),
                json!({ "assignee": { "id": "u9", "name": "Zed" }, "done": true }),
            ),
            T0 + 8.0,
        ),
        (
            "u2",
            patch_desc("tmp-1", json!({ "note": "on the new one" })),
            T0 + 9.0,
        ),
        // Based on a `null` version: sent as If-Match "null", and so again after a reload.
        ("v1", patch_title(9, "ninth"), T0 + 9.5),
        (
            "n1",
            json!({ "request": { "method": "POST", "url": "/ping", "body": null } }),
            T0 + 10.0,
        ),
    ] {
        let out = mutate_durable(&mut s, id, desc, at);
        no_send(&step(&mut s, out));
    }
    s
}

/// What a reload keeps of a mutation: everything but runtime state and headers.
fn as_reloaded(m: &Mutation) -> Mutation {
    let mut m = m.clone();
    m.request.headers = Map::new();
    m.layered = false;
    m.attempts = 0;
    m.failures = 0;
    m.retry_at = None;
    m.ticket = 0;
    m.reading_current = false;
    if matches!(m.status, MStatus::Saving | MStatus::Inflight) {
        m.status = MStatus::Queued;
    }
    m
}

#[test]
fn every_record_reads_back_as_the_mutation_it_was_written_from() {
    let mut idb = Idb::default();
    let s = busy_store(&mut idb);
    assert_eq!(s.queue().list().len(), 9);
    let n1 = s.queue().list().iter().find(|m| m.id == "n1").expect("n1");
    assert_eq!(n1.request.body, Some(Value::Null), "`body: null` is a body");
    assert!(!records::write(n1)
        .as_object()
        .expect("record")
        .contains_key("baseVersion"));
    let v1 = s.queue().list().iter().find(|m| m.id == "v1").expect("v1");
    assert_eq!(v1.base_version, Some(Value::Null));
    for m in s.queue().list() {
        let r = records::write(m);
        assert_eq!(r["v"], m.stamp, "{}: the stamp is in the record", m.id);
        let back =
            records::read(&r, &s.config().schema).unwrap_or_else(|e| panic!("{}: {e}\n{r}", m.id));
        assert_eq!(back, as_reloaded(m), "{}: read back differs\n{r}", m.id);
        assert_eq!(records::write(&back), r, "{}: written again differs", m.id);
        // What is in IndexedDB is the latest record.
        assert_eq!(idb.outbox.get(&m.id), Some(&r), "{}: stored record", m.id);
    }
}

#[test]
fn a_reload_reproduces_the_visible_optimistic_state_exactly() {
    let mut idb = Idb::default();
    let a = busy_store(&mut idb);
    let before = visible(&a);
    // The layers really are on.
    assert_eq!(read(&a, LIST)[0]["title"], "merged title");
    assert_eq!(ids(&a, LIST), vec![json!(1), json!(2), json!("tmp-1")]);
    assert_eq!(ids(&a, PAGE), vec![json!("tmp-1"), json!(1), json!(2)]);
    assert_eq!(task(&a, "2")["assignee"]["name"], "Zed");
    assert_eq!(task(&a, "tmp-1")["note"], "on the new one");

    let b = reload(&idb, true, T0 + 100.0);
    assert_eq!(visible(&b), before);
    assert_eq!(queue(&b), queue_after_reload(&a));
    let y = sync(&b);
    assert_eq!(
        (
            y["pending"].clone(),
            y["failed"].clone(),
            y["conflicts"].clone()
        ),
        (json!(7), json!(1), json!(1))
    );
    assert_eq!(listing(&b, "f0")["error"]["status"], 422);
    assert_eq!(listing(&b, "c1")["conflict"], listing(&a, "c1")["conflict"]);
    for m in a.queue().list() {
        let theirs = b
            .queue()
            .list()
            .iter()
            .find(|x| x.id == m.id)
            .expect("reloaded");
        let mut expect = as_reloaded(m);
        expect.layered = m.status != MStatus::Failed;
        assert_eq!(theirs, &expect, "{}", m.id);
    }
    // Rolling back after the reload returns to the same base as before it.
    let mut a = a;
    let mut b = b;
    for s in [&mut a, &mut b] {
        for id in ["u2", "u1", "d1", "i1", "c1"] {
            let out = s.discard_mutation(id, T0 + 200.0).expect("discard");
            done(s, out);
        }
    }
    assert_eq!(visible(&b), visible(&a));
    assert_eq!(ids(&b, LIST), vec![json!(1), json!(2), json!(3)]);
}

#[test]
fn a_failed_and_a_conflicting_mutation_can_be_retried_and_resolved_after_a_reload() {
    let mut idb = Idb::default();
    let a = busy_store(&mut idb);
    drop(a);
    let mut b = reload(&idb, false, T0 + 100.0);
    let out = b.retry_mutation("f0", T0 + 101.0).expect("retry");
    let out = done(&mut b, out);
    assert_eq!(ob(&out), vec!["f0"]);
    assert_eq!(task(&b, "2")["note"], "x", "the retried layer is back");
    let out = b
        .resolve_conflict("c1", "\"server\"", T0 + 102.0)
        .expect("resolve");
    let out = done(&mut b, out);
    assert_eq!(ob(&out), vec!["-c1"]);
    assert_eq!(
        settled(&out),
        vec![("c1".to_owned(), Err("CONFLICT".to_owned()))]
    );
    assert_eq!(
        task(&b, "2")["title"],
        "theirs",
        "the server's version shows"
    );
}

#[test]
fn a_burst_made_within_one_millisecond_keeps_its_order_after_a_reload() {
    // The soak test in Chromium found it: mutations made in the same millisecond tied on their
    // creation time, and a reload (or the sending tab) ordered them by their random ids.
    let mut s = seeded();
    no_send(&online(&mut s, false, T0));
    let mut records = Vec::new();
    for (i, id) in ["zz", "mm", "aa"].iter().enumerate() {
        let out = mutate(&mut s, id, patch_title(1, format!("t{i}")), T0);
        records.push(rec(&out, id));
    }
    let at: Vec<f64> = records
        .iter()
        .map(|r| r["at"].as_f64().unwrap_or(0.0))
        .collect();
    assert!(
        at[0] < at[1] && at[1] < at[2],
        "strictly increasing: {at:?}"
    );
    records.reverse(); // storage hands them back in key order, not creation order
    let mut b = seeded();
    no_send(&online(&mut b, false, T0));
    reconcile(&mut b, &Value::Array(records).to_string(), T0 + 1.0);
    let order: Vec<String> = queue(&b).into_iter().map(|(id, _)| id).collect();
    assert_eq!(order, ["zz", "mm", "aa"]);
    assert_eq!(task(&b, "1")["title"], "t2", "the last one made shows last");
}
