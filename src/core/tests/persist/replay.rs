//! Replay after a reload: queued mutations are sent in the order they were made, each applied
//! once on the server (Idempotency-Key), a retried one at the back.

use crate::core::tests::support::persist::*;

#[test]
fn offline_mutations_survive_a_reload_and_replay_in_order_exactly_once() {
    let mut idb = Idb::default();
    let mut server = Server::new();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    no_send(&online(&mut a, false, T0));
    // Ids that sort differently from the order they were made in (IndexedDB lists by id).
    let shaped = |d: Value| with(d, json!({ "shape": "Task" }));
    for (i, (id, desc)) in [
        ("z1", shaped(patch_title(1, "first"))),
        ("a2", shaped(patch_title(1, "second"))),
        ("m3", insert_new_task()),
        ("b4", shaped(patch_desc("tmp-1", json!({ "done": true })))),
        ("k5", delete_desc(2)),
    ]
    .into_iter()
    .enumerate()
    {
        let out = mutate(&mut a, id, desc, T0 + 1.0 + i as f64);
        idb.save(&mut a, &out);
        let out = persisted(&mut a, &[id], T0 + 1.0 + i as f64);
        no_send(&out);
        idb.save(&mut a, &out);
    }
    assert_eq!(sync(&a)["pending"], 5);
    let before = visible(&a);
    // The page closes. A new one opens, still offline.
    drop(a);
    let mut b = reload(&idb, false, T0 + 50.0);
    assert_eq!(visible(&b), before, "the same data, the layers re-applied");
    assert_eq!(
        queue(&b).into_iter().map(|(id, _)| id).collect::<Vec<_>>(),
        vec!["z1", "a2", "m3", "b4", "k5"],
        "the queue order is the order they were made in"
    );
    assert_eq!(task(&b, "1")["title"], "second");
    assert_eq!(ids(&b, LIST), vec![json!(1), json!(3), json!("tmp-1")]);
    no_send(&elect(&mut b, &idb, T0 + 51.0));
    assert_eq!(sync(&b)["pending"], 5);

    // Online: the queue flushes in order, each request once, with its own key.
    let out = online(&mut b, true, T0 + 60.0);
    let keys = drain(&mut b, &mut server, &mut idb, out, T0 + 61.0);
    assert_eq!(keys, vec!["z1", "a2", "m3", "b4", "k5"]);
    assert_eq!(server.applied, keys);
    assert_eq!(server.received, keys, "nothing was sent twice");
    assert!(b.mutation_list().is_empty());
    assert!(
        idb.outbox.is_empty(),
        "every record was deleted after its success"
    );
    assert_eq!(server.tasks["1"]["title"], "second");
    assert_eq!(
        server.tasks["1"]["version"], 3,
        "a2 was based on the version z1 produced"
    );
    assert_eq!(server.tasks["4"]["done"], true, "b4 went to the real id");
    assert!(!server.tasks.contains_key("2"));
    assert_eq!(ids(&b, LIST), vec![json!(1), json!(3), json!(4)]);
    assert_eq!(task(&b, "4")["done"], true);

    // And a third page load shows the server's data from the persisted cache alone.
    let c = reload(&idb, false, T0 + 100.0);
    assert_eq!(visible(&c), visible(&b));
    assert!(c.mutation_list().is_empty());
}

#[test]
fn a_flush_interrupted_by_a_reload_is_applied_once() {
    let mut idb = Idb::default();
    let mut server = Server::new();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    let out = mutate(&mut a, "m1", patch_title(1, "x"), T0);
    idb.save(&mut a, &out);
    let out = persisted(&mut a, &["m1"], T0);
    idb.save(&mut a, &out);
    let sent = one_send(&out);
    // The server applies it; the answer is lost with the page.
    server.handle(&sent);
    // m2's record write never completed; m2b's did, but the page closed before it was
    // reported.
    mutate(
        &mut a,
        "m2",
        patch_desc(1, json!({ "note": "y" })),
        T0 + 1.0,
    );
    let out = mutate(
        &mut a,
        "m2b",
        patch_desc(3, json!({ "note": "z" })),
        T0 + 2.0,
    );
    idb.save(&mut a, &out);
    drop(a);

    let mut b = reload(&idb, true, T0 + 10.0);
    assert_eq!(task(&b, "1")["title"], "x");
    let out = elect(&mut b, &idb, T0 + 11.0);
    let keys = drain(&mut b, &mut server, &mut idb, out, T0 + 12.0);
    // m2 never reached storage: it was never reported as queued, and is never half-sent.
    // m2b's record was written, so it replays.
    assert_eq!(keys, vec!["m1", "m2b"]);
    assert_eq!(server.received, vec!["m1", "m1", "m2b"]);
    assert_eq!(
        server.applied,
        vec!["m1", "m2b"],
        "the replay of m1 was not applied again"
    );
    assert_eq!(server.tasks["1"]["version"], 2);
    assert!(idb.outbox.is_empty());
}

#[test]
fn a_retried_mutation_keeps_its_place_at_the_back_after_a_reload() {
    let mut idb = Idb::default();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    let out = mutate_durable(&mut a, "m1", patch_title(1, "a"), T0);
    idb.save(&mut a, &out);
    let s1 = one_send(&out);
    let out = mutate_durable(&mut a, "m2", patch_title(1, "b"), T0 + 1.0);
    idb.save(&mut a, &out);
    // Another tab, open all along.
    let mut tab = reload(&idb, true, T0 + 1.5);
    assert_eq!(
        queue(&tab),
        vec![
            ("m1".to_owned(), "queued".to_owned()),
            ("m2".to_owned(), "queued".to_owned())
        ]
    );
    let out = answer(&mut a, &s1, http(400, ""), T0 + 2.0);
    idb.save(&mut a, &out);
    assert_eq!(one_send(&out).id, "m2");
    no_send(&online(&mut a, false, T0 + 2.5));
    let out = a.retry_mutation("m1", T0 + 3.0).expect("retry");
    let out = done(&mut a, out);
    idb.save(&mut a, &out);
    let out = persisted(&mut a, &["m1"], T0 + 3.0);
    idb.save(&mut a, &out);
    assert_eq!(
        queue(&a),
        vec![
            ("m2".to_owned(), "inflight".to_owned()),
            ("m1".to_owned(), "queued".to_owned())
        ]
    );
    assert_eq!(task(&a, "1")["title"], "a", "the retried layer is on top");
    assert_eq!(
        listing(&a, "m1")["createdAt"],
        T0 + 3.0,
        "its place in the queue"
    );
    reconcile(&mut tab, &idb.outbox_json(), T0 + 4.0);
    assert_eq!(queue(&tab), queue_after_reload(&a));
    assert_eq!(visible(&tab), visible(&a));
    let b = reload(&idb, false, T0 + 10.0);
    assert_eq!(queue(&b), queue_after_reload(&a));
    assert_eq!(visible(&b), visible(&a));
}
