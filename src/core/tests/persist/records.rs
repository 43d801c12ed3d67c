//! Exactly the right records: which record each transition writes or deletes (success, failure,
//! discard, retry, each conflict policy), and that request headers never reach one.

use crate::core::tests::support::persist::*;

#[test]
fn success_deletes_the_record_and_puts_the_committed_base_in_the_cache_delta() {
    let mut s = seeded();
    s.take_cache_delta();
    let out = mutate_durable(&mut s, "m1", patch_title(1, "local"), T0);
    let sent = one_send(&out);
    let d: Value = serde_json::from_str(&s.take_cache_delta()).expect("delta");
    // The optimistic layer is not server data: the delta holds the base, untouched.
    assert_eq!(
        d["e"],
        json!([["Task:1", { "id": 1, "title": "one", "done": false, "note": "n1",
                                          "version": 1, "assignee": "User:u1" }]])
    );
    assert_eq!(d["q"], json!([]));

    let out = answer(&mut s, &sent, http(204, ""), T0 + 1.0);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
    assert_eq!(ob(&out), vec!["-m1"]);
    assert!(out.persist, "the committed base waits to be persisted");
    let d: Value = serde_json::from_str(&s.take_cache_delta()).expect("delta");
    assert_eq!(d["e"][0][0], "Task:1");
    assert_eq!(d["e"][0][1]["title"], "local", "committed into the base");
    assert_eq!(
        s.take_cache_delta(),
        json!({ "e": [], "q": [] }).to_string(),
        "taken once"
    );
}

#[test]
fn a_failure_rewrites_the_record_as_failed_and_discard_deletes_it() {
    let mut s = seeded();
    let sent = durable_sent(&mut s, "m1", patch_title(1, "local"), T0);
    let out = answer(
        &mut s,
        &sent,
        http(422, "{\"error\":\"title taken\"}"),
        T0 + 1.0,
    );
    assert_eq!(
        settled(&out),
        vec![("m1".to_owned(), Err("HTTP".to_owned()))]
    );
    assert_eq!(ob(&out), vec!["m1"]);
    let r = rec(&out, "m1");
    assert_eq!(r["status"], "failed");
    assert_eq!(r["v"], 2);
    assert_eq!(r["error"]["code"], "HTTP");
    assert_eq!(r["error"]["status"], 422);
    assert_eq!(r["error"]["body"], "{\"error\":\"title taken\"}");
    assert_eq!(task(&s, "1")["title"], "one", "rolled back");

    let out = s.discard_mutation("m1", T0 + 2.0).expect("discard");
    let out = done(&mut s, out);
    assert_eq!(ob(&out), vec!["-m1"]);
    assert!(out.settled.is_empty(), "its promise already rejected");
    assert!(s.mutation_list().is_empty());

    // Discarding a queued mutation deletes its record and rejects it.
    mutate_durable(&mut s, "m2", patch_title(2, "x"), T0 + 3.0);
    mutate_durable(&mut s, "m3", patch_title(3, "y"), T0 + 4.0);
    let out = s.discard_mutation("m3", T0 + 5.0).expect("discard");
    let out = done(&mut s, out);
    assert_eq!(ob(&out), vec!["-m3"]);
    assert_eq!(
        settled(&out),
        vec![("m3".to_owned(), Err("CANCELLED".to_owned()))]
    );
    assert_eq!(task(&s, "3")["title"], "three");
}

#[test]
fn retry_rewrites_the_record_and_waits_for_it_to_be_durable_again() {
    let mut s = seeded();
    let s1 = durable_sent(&mut s, "m1", patch_title(1, "local"), T0);
    answer(&mut s, &s1, http(422, ""), T0 + 1.0);
    let out = s.retry_mutation("m1", T0 + 2.0).expect("retry");
    let out = done(&mut s, out);
    no_send(&out);
    assert_eq!(ob(&out), vec!["m1"]);
    let r = rec(&out, "m1");
    assert_eq!(
        (r["status"].clone(), r["error"].clone()),
        (json!("queued"), Value::Null)
    );
    assert_eq!(r["v"], 3);
    assert_eq!(status(&s, "m1").as_deref(), Some("saving"));
    assert_eq!(task(&s, "1")["title"], "local", "the layer is back at once");
    let s2 = one_send(&persisted(&mut s, &["m1"], T0 + 3.0));
    assert_eq!(s2.key(), "m1", "the same request keeps its key");
    assert!(s2.ticket > s1.ticket);
}

#[test]
fn conflicts_write_what_each_policy_leaves() {
    let current = json!({ "current": { "id": 1, "title": "server", "done": false, "note": "n1",
                                         "version": 2, "assignee": { "id": "u1", "name": "Ann" } } });
    // manual: the record keeps the conflict for the user.
    let mut s = seeded();
    let desc = with(patch_title(1, "local"), json!({ "conflict": "manual" }));
    let sent = durable_sent(&mut s, "m1", desc, T0);
    let out = answer(&mut s, &sent, http(409, &current.to_string()), T0 + 1.0);
    assert_eq!(ob(&out), vec!["m1"]);
    let r = rec(&out, "m1");
    assert_eq!(r["status"], "conflict");
    assert_eq!(r["conflict"]["base"]["title"], "one");
    assert_eq!(r["conflict"]["local"]["title"], "local");
    assert_eq!(r["conflict"]["server"], current["current"]);
    // Resolving it rewrites the record: a new request, a new key revision.
    let out = s
        .resolve_conflict("m1", "\"local\"", T0 + 2.0)
        .expect("resolve");
    let out = done(&mut s, out);
    assert_eq!(ob(&out), vec!["m1"]);
    let r = rec(&out, "m1");
    assert_eq!(
        (r["status"].clone(), r["revision"].clone()),
        (json!("queued"), json!(1))
    );
    assert_eq!(r["baseVersion"], 2);
    assert_eq!(r["conflict"], Value::Null);
    let sent = one_send(&out);
    assert_eq!(sent.key(), "m1.1");
    assert_eq!(sent.header("If-Match"), Some("\"2\""));

    // client-wins: resent at once; the record holds the new version and revision.
    let mut s = seeded();
    let desc = with(
        patch_title(1, "local"),
        json!({ "conflict": "client-wins" }),
    );
    let sent = durable_sent(&mut s, "m1", desc, T0);
    let out = answer(&mut s, &sent, http(409, &current.to_string()), T0 + 1.0);
    assert_eq!(ob(&out), vec!["m1"]);
    let r = rec(&out, "m1");
    assert_eq!(
        (
            r["status"].clone(),
            r["revision"].clone(),
            r["baseVersion"].clone()
        ),
        (json!("queued"), json!(1), json!(2))
    );
    assert_eq!(one_send(&out).key(), "m1.1");

    // server-wins: the mutation is gone, so is its record.
    let mut s = seeded();
    let sent = durable_sent(&mut s, "m1", patch_title(1, "local"), T0);
    let out = answer(&mut s, &sent, http(412, &current.to_string()), T0 + 1.0);
    assert_eq!(ob(&out), vec!["-m1"]);
    assert_eq!(
        settled(&out),
        vec![("m1".to_owned(), Err("CONFLICT".to_owned()))]
    );
    assert_eq!(task(&s, "1")["title"], "server");
    assert!(
        out.persist,
        "the server's current entity is base data to persist"
    );
    let d: Value = serde_json::from_str(&s.take_cache_delta()).expect("delta");
    let t1 = d["e"]
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p[0] == "Task:1")
        .expect("Task:1 in the delta");
    assert_eq!(
        (t1[1]["title"].clone(), t1[1]["version"].clone()),
        (json!("server"), json!(2))
    );
}

#[test]
fn request_headers_never_reach_a_record() {
    let secret = "Bearer s3cret-token";
    let desc = json!({
        "request": { "method": "PATCH", "url": "/tasks/1", "body": { "title": "local" },
                     "headers": { "Authorization": secret, "X-Trace": "trace-42" } },
        "optimistic": [{ "op": "update", "type": "Task", "id": 1, "patch": { "title": "local" } }],
        "conflict": "manual"
    });
    let mut idb = Idb::default();
    let mut s = seeded();
    let mut texts = Vec::new();
    let out = mutate(&mut s, "m1", desc, T0);
    texts.push(rec(&out, "m1").to_string());
    idb.save(&mut s, &out);
    let out = persisted(&mut s, &["m1"], T0);
    let sent = one_send(&out);
    assert_eq!(
        sent.header("Authorization"),
        Some(secret),
        "sent, in memory"
    );
    assert_eq!(sent.header("X-Trace"), Some("trace-42"));
    // Every later rewrite: a conflict, its resolution, a failure, a retry.
    let current = json!({ "current": { "id": 1, "title": "srv", "version": 2 } });
    let out = answer(&mut s, &sent, http(409, &current.to_string()), T0 + 1.0);
    texts.push(rec(&out, "m1").to_string());
    idb.save(&mut s, &out);
    let out = s
        .resolve_conflict("m1", "{\"title\":\"mine\"}", T0 + 2.0)
        .expect("resolve");
    let out = done(&mut s, out);
    texts.push(rec(&out, "m1").to_string());
    idb.save(&mut s, &out);
    let sent = one_send(&out);
    assert_eq!(sent.header("Authorization"), Some(secret));
    let out = answer(&mut s, &sent, http(400, "bad"), T0 + 3.0);
    texts.push(rec(&out, "m1").to_string());
    idb.save(&mut s, &out);
    let out = s.retry_mutation("m1", T0 + 4.0).expect("retry");
    let out = done(&mut s, out);
    texts.push(rec(&out, "m1").to_string());
    idb.save(&mut s, &out);
    assert_eq!(texts.len(), 5);
    texts.push(idb.outbox_json());
    texts.push(idb.cache_json());
    for t in &texts {
        for needle in ["s3cret", "Authorization", "trace-42", "X-Trace", "headers"] {
            assert!(!t.contains(needle), "`{needle}` reached storage: {t}");
        }
    }
    // After a reload the request is replayed without them (the app's `headers` are
    // evaluated at send time by the browser side).
    let mut b = reload(&idb, true, T0 + 5.0);
    assert_eq!(status(&b, "m1").as_deref(), Some("queued"));
    let sent = one_send(&elect(&mut b, &idb, T0 + 5.0));
    assert_eq!(sent.header("Authorization"), None);
    assert_eq!(sent.key(), "m1.1");
    assert_eq!(sent.body, Some(json!({ "title": "mine", "version": 2 })));
    assert_eq!(listing(&b, "m1")["request"]["headers"], json!({}));
}

#[test]
fn a_refused_resolution_writes_no_record() {
    // Issue 13.7: `resolveConflict(id, 42)` is INVALID_ARGUMENT and changes nothing, not even
    // the record's dirty mark.
    let mut s = seeded();
    let desc = with(patch_title(1, "mine"), json!({ "conflict": "manual" }));
    let sent = durable_sent(&mut s, "m1", desc, T0);
    let current = json!({ "id": 1, "title": "theirs", "version": 2 });
    let out = answer(&mut s, &sent, http(409, &current.to_string()), T0 + 1.0);
    assert_eq!(rec(&out, "m1")["status"], "conflict");
    expect_err(s.resolve_conflict("m1", "42", T0 + 2.0), "INVALID_ARGUMENT");
    assert!(ob(&s.tick(T0 + 3.0)).is_empty(), "nothing to rewrite");
}

#[test]
fn records_of_the_previous_format_are_migrated_not_dropped() {
    // Issue 13: users' queued writes outlive our releases. A format-1 record (before `w`) is
    // read back as the mutation it was, sent, and written again in the current format.
    let mut s = seeded();
    no_send(&online(&mut s, false, T0));
    let out = mutate_durable(&mut s, "old", patch_title(1, "from v1"), T0);
    let mut v1 = rec(&out, "old");
    let o = v1.as_object_mut().expect("record");
    o.insert("f".into(), json!(1));
    o.remove("w");

    let mut b = seeded();
    no_send(&online(&mut b, false, T0));
    let out = reconcile(&mut b, &json!([v1]).to_string(), T0 + 1.0);
    no_send(&out);
    assert_eq!(
        status(&b, "old").as_deref(),
        Some("queued"),
        "{:?}",
        listing(&b, "old")
    );
    assert_eq!(task(&b, "1")["title"], "from v1", "its layer is back");
    no_send(&leader(&mut b, true, T0 + 2.0));
    let sent = one_send(&online(&mut b, true, T0 + 3.0));
    assert_eq!(sent.id, "old");
    let out = answer(&mut b, &sent, http(503, ""), T0 + 4.0);
    let again = rec(&out, "old");
    assert_eq!(again["f"], crate::core::sync::records::FORMAT);
    assert!(again.get("w").is_some());
}
