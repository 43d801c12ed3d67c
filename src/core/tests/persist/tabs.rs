//! Several tabs on one IndexedDB: they share one outbox and one sender, reconcile keeps the newest
//! copy of a record, and a mutation settled elsewhere is forgotten.

use crate::core::tests::support::persist::*;

#[test]
fn two_tabs_share_one_outbox_and_one_sender() {
    let mut idb = Idb::default();
    let mut server = Server::new();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    let mut b = reload(&idb, true, T0); // B stays a follower
    let mut b_outs = Vec::new();

    // A's own mutation goes out at once; B sees it through the outbox.
    let out = mutate(&mut a, "ma", patch_title(2, "from A"), T0 + 1.0);
    idb.save(&mut a, &out);
    let out = persisted(&mut a, &["ma"], T0 + 1.0);
    idb.save(&mut a, &out);
    let sent_ma = one_send(&out);
    b_outs.push(reconcile(&mut b, &idb.outbox_json(), T0 + 1.0));
    assert_eq!(task(&b, "2")["title"], "from A");
    assert_eq!(status(&b, "ma").as_deref(), Some("queued"));

    // B's insert: saved by B, queued behind ma in A.
    let out = mutate(
        &mut b,
        "mb",
        insert_desc(new_task("tmp-b", "from B"), json!([{ "hash": LIST }])),
        T0 + 2.0,
    );
    idb.save(&mut b, &out);
    b_outs.push(out);
    let out = persisted(&mut b, &["mb"], T0 + 2.0);
    idb.save(&mut b, &out);
    b_outs.push(out);
    let out = reconcile(&mut a, &idb.outbox_json(), T0 + 2.0);
    no_send(&out);
    assert_eq!(
        queue(&a),
        vec![
            ("ma".to_owned(), "inflight".to_owned()),
            ("mb".to_owned(), "queued".to_owned())
        ]
    );
    assert_eq!(
        ids(&a, LIST),
        vec![json!(1), json!(2), json!(3), json!("tmp-b")]
    );
    assert_eq!(visible(&a), visible(&b), "both tabs show both layers");

    // A settles ma: the record goes; B gets the cache delta and the news.
    let result = server.handle(&sent_ma);
    let out = answer(&mut a, &sent_ma, result, T0 + 3.0);
    idb.write_outbox(&out);
    let delta = idb.write_cache(&mut a);
    let sent_mb = one_send(&out);
    assert_eq!((sent_mb.id.as_str(), sent_mb.key()), ("mb", "mb"));
    b_outs.push(b.apply_cache(&delta, false, T0 + 3.0).expect("apply"));
    b_outs.push({
        let o = b.forget_mutation("ma", T0 + 3.0);
        done(&mut b, o)
    });
    assert_eq!(task(&b, "2")["title"], "from A");
    assert_eq!(status(&b, "ma"), None);

    // A settles mb (the temp id becomes 4); B reads the outbox again and the delta.
    let result = server.handle(&sent_mb);
    let out = answer(&mut a, &sent_mb, result, T0 + 4.0);
    assert_eq!(ob(&out), vec!["-mb"]);
    idb.write_outbox(&out);
    let delta = idb.write_cache(&mut a);
    b_outs.push(b.apply_cache(&delta, false, T0 + 4.0).expect("apply"));
    b_outs.push(reconcile(&mut b, &idb.outbox_json(), T0 + 4.0));
    for out in &b_outs {
        no_send(out);
        assert!(
            out.outbox.iter().all(|(id, _)| id == "mb"),
            "B only writes its own record: {:?}",
            ob(out)
        );
    }
    assert!(b.mutation_list().is_empty());
    assert_eq!(ids(&b, LIST), vec![json!(1), json!(2), json!(3), json!(4)]);
    assert_eq!(task(&b, "4")["title"], "from B");
    assert!(b.entity("Task:tmp-b").is_none());
    assert_eq!(visible(&b), visible(&a), "B ends with the server's data");
    assert_eq!(server.applied, vec!["ma", "mb"]);
    assert_eq!(server.received, vec!["ma", "mb"]);
}

#[test]
fn reconcile_keeps_the_newest_copy_and_drops_what_left_storage() {
    let current = json!({ "current": { "id": 1, "title": "srv", "done": false, "note": "n1",
                                         "version": 2, "assignee": { "id": "u1", "name": "Ann" } } });
    let mut idb = Idb::default();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    let mut b = reload(&idb, true, T0);
    let desc = with(patch_title(1, "local"), json!({ "conflict": "manual" }));
    let out = mutate(&mut a, "m1", desc, T0);
    idb.save(&mut a, &out);
    let v1 = idb.outbox_json();
    let out = persisted(&mut a, &["m1"], T0);
    let sent = one_send(&out);
    reconcile(&mut b, &v1, T0);
    assert_eq!(status(&b, "m1").as_deref(), Some("queued"));

    // In flight in A: A's copy ignores storage, newer or missing.
    let out = reconcile(&mut a, "[]", T0 + 1.0);
    assert_eq!(status(&a, "m1").as_deref(), Some("inflight"));
    no_send(&out);

    // A's conflict rewrites the record (v2): B takes it; an older copy changes nothing.
    let out = answer(&mut a, &sent, http(409, &current.to_string()), T0 + 2.0);
    idb.save(&mut a, &out);
    reconcile(&mut b, &idb.outbox_json(), T0 + 2.0);
    assert_eq!(status(&b, "m1").as_deref(), Some("conflict"));
    assert_eq!(listing(&b, "m1")["conflict"], listing(&a, "m1")["conflict"]);
    reconcile(&mut b, &v1, T0 + 3.0);
    assert_eq!(status(&b, "m1").as_deref(), Some("conflict"), "v1 is older");
    assert_eq!(visible(&b)["entities"]["Task:1"]["title"], "local");

    // B resolves it (B's record v3); A takes B's resolution and sends it.
    let out = b
        .resolve_conflict("m1", "{\"title\":\"both\"}", T0 + 4.0)
        .expect("resolve");
    let out = done(&mut b, out);
    no_send(&out);
    assert_eq!(rec(&out, "m1")["v"], 3);
    idb.save(&mut b, &out);
    let out = reconcile(&mut a, &idb.outbox_json(), T0 + 4.0);
    let sent = one_send(&out);
    assert_eq!(sent.key(), "m1.1");
    assert_eq!(sent.body, Some(json!({ "title": "both", "version": 2 })));
    assert_eq!(task(&a, "1")["title"], "both");

    // A settles; the record leaves storage, so m1 leaves B.
    let out = answer(&mut a, &sent, http(204, ""), T0 + 5.0);
    idb.save(&mut a, &out);
    assert!(idb.outbox.is_empty());
    let delta = idb.cache_json();
    b.apply_cache(&delta, false, T0 + 5.0).expect("apply");
    reconcile(&mut b, &idb.outbox_json(), T0 + 5.0);
    assert!(b.mutation_list().is_empty());
    assert_eq!(task(&b, "1")["title"], "both");

    // A mutation still being saved stays even though storage does not have it yet; once
    // durable, its record missing means another tab discarded it.
    let out = mutate(&mut b, "m2", patch_title(3, "b"), T0 + 6.0);
    assert_eq!(ob(&out), vec!["m2"]);
    reconcile(&mut b, "[]", T0 + 6.0);
    assert_eq!(status(&b, "m2").as_deref(), Some("saving"));
    persisted(&mut b, &["m2"], T0 + 7.0);
    reconcile(&mut b, "[]", T0 + 8.0);
    assert_eq!(status(&b, "m2"), None);
    assert_eq!(task(&b, "3")["title"], "three", "its layer went with it");
}

#[test]
fn a_tab_that_reads_the_outbox_before_the_cache_ends_the_same() {
    let mut idb = Idb::default();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    no_send(&online(&mut a, false, T0));
    for (id, desc) in [
        ("m1", patch_title(1, "a")),
        ("m2", insert_new_task()),
        ("m3", delete_desc(2)),
    ] {
        let out = mutate_durable(&mut a, id, desc, T0 + 1.0);
        idb.save(&mut a, &out);
    }
    // The usual order: the cache, then the outbox.
    let b = reload(&idb, false, T0 + 2.0);
    // The other order (a tab gets the outbox news before the cache delta).
    let mut c = persisting_store();
    no_send(&leader(&mut c, false, T0));
    reconcile(&mut c, &idb.outbox_json(), T0 + 2.0);
    assert_eq!(
        task(&c, "1"),
        json!({ "id": 1, "title": "a" }),
        "only the layer so far"
    );
    c.apply_cache(&idb.cache_json(), true, T0 + 2.0)
        .expect("apply");
    assert_eq!(visible(&c), visible(&a));
    assert_eq!(visible(&b), visible(&a));
    assert_eq!(ids(&c, LIST), vec![json!(1), json!(3), json!("tmp-1")]);
}

#[test]
fn forget_mutation_drops_a_mutation_settled_elsewhere_but_not_one_in_flight() {
    let mut s = seeded();
    let sent = durable_sent(&mut s, "m1", patch_title(1, "a"), T0);
    mutate_durable(&mut s, "m2", patch_title(2, "b"), T0 + 1.0);
    let out = s.forget_mutation("m1", T0 + 2.0);
    let out = done(&mut s, out);
    assert_eq!(status(&s, "m1").as_deref(), Some("inflight"));
    assert!(ob(&out).is_empty());
    let out = s.forget_mutation("m2", T0 + 3.0);
    let out = done(&mut s, out);
    assert_eq!(status(&s, "m2"), None);
    assert!(
        ob(&out).is_empty(),
        "the other tab deleted the record already"
    );
    assert!(out.settled.is_empty(), "the other tab settles the promise");
    assert_eq!(task(&s, "2")["title"], "two", "the layer went");
    let out = s.forget_mutation("nope", T0 + 4.0);
    assert!(out.changes.is_empty() && out.outbox.is_empty());
    // The in-flight one still settles normally here.
    let out = answer(&mut s, &sent, http(204, ""), T0 + 5.0);
    assert_eq!(ob(&out), vec!["-m1"]);
}

#[test]
fn two_tabs_that_rewrite_a_record_at_once_converge_on_one_copy() {
    // Issue 13.8: both tabs resolve the same conflict at the same moment, so both write stamp
    // s+1; storage keeps whichever landed last. (stamp, writer) orders the two copies, and the
    // tab whose copy should win writes it again, so both tabs and storage end up the same.
    for last in ["a", "b"] {
        let current = json!({ "id": 1, "title": "srv", "done": false, "note": "n1", "version": 2 });
        let mut idb = Idb::default();
        let mut a = seeded();
        a.set_tab("a", T0);
        let desc = with(patch_title(1, "mine"), json!({ "conflict": "manual" }));
        let sent = durable_sent(&mut a, "m1", desc, T0);
        no_send(&online(&mut a, false, T0));
        let out = answer(&mut a, &sent, http(409, &current.to_string()), T0 + 1.0);
        idb.save(&mut a, &out);
        let mut b = reload(&idb, false, T0 + 1.0);
        b.set_tab("b", T0 + 1.0);
        assert_eq!(status(&b, "m1").as_deref(), Some("conflict"));

        let out_a = a
            .resolve_conflict("m1", r#"{"title":"from a"}"#, T0 + 2.0)
            .expect("a");
        let out_b = b
            .resolve_conflict("m1", r#"{"title":"from b"}"#, T0 + 2.0)
            .expect("b");
        assert_eq!(
            rec(&out_a, "m1")["v"],
            rec(&out_b, "m1")["v"],
            "the same stamp"
        );
        let (first, second) = if last == "a" {
            (&out_b, &out_a)
        } else {
            (&out_a, &out_b)
        };
        let mut idb2 = Idb::default();
        idb2.write_outbox(first);
        idb2.write_outbox(second);
        // Each tab hears of the other's write and reads storage, until nothing changes.
        for round in 0..3 {
            let stored = idb2.outbox_json();
            let out = reconcile(&mut a, &stored, T0 + 3.0 + f64::from(round));
            idb2.write_outbox(&out);
            let stored = idb2.outbox_json();
            let out = reconcile(&mut b, &stored, T0 + 3.0 + f64::from(round));
            idb2.write_outbox(&out);
        }
        let stored: Value = serde_json::from_str(&idb2.outbox_json()).expect("json");
        let title = |l: Value| l["request"]["body"]["title"].clone();
        assert_eq!(
            title(listing(&a, "m1")),
            title(listing(&b, "m1")),
            "last {last}"
        );
        assert_eq!(
            title(listing(&a, "m1")),
            json!("from b"),
            "the higher writer's copy stands"
        );
        assert_eq!(stored[0]["body"]["title"], "from b", "storage holds it too");
    }
}

#[test]
fn another_tabs_older_result_never_replaces_a_newer_one() {
    // Found by the Chromium soak: a tab refetched, then an older delta of another tab arrived
    // and put its older list back.
    let mut a = seeded();
    let newer = json!([{ "id": 1, "title": "newer", "done": false, "note": "", "version": 2, "assignee": null }]);
    put(&mut a, LIST, newer, json!(["Task"]), T0 + 10.0);
    let older = json!({ "e": [], "q": [[LIST, { "k": [LIST], "s": ["Task"], "r": ["Task:2"], "t": T0 + 5.0 }]] });
    a.apply_cache(&older.to_string(), false, T0 + 11.0)
        .expect("apply");
    assert_eq!(ids(&a, LIST), vec![json!(1)], "ours stays");
    let newest = json!({ "e": [], "q": [[LIST, { "k": [LIST], "s": ["Task"], "r": ["Task:2"], "t": T0 + 12.0 }]] });
    a.apply_cache(&newest.to_string(), false, T0 + 13.0)
        .expect("apply");
    assert_eq!(ids(&a, LIST), vec![json!(2)], "a newer one replaces it");
}
