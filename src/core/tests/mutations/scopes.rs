//! Mutation scopes (TanStack's `scope.id`): one scope is sent in order, one request at a time;
//! different scopes go in parallel. Without a scope every mutation is in the default scope, as
//! before. A mutation that names another scope's unacknowledged insert waits for it.

use crate::core::tests::support::mutations::*;

fn scoped(desc: Value, scope: &str) -> Value {
    with(desc, json!({ "scope": { "id": scope } }))
}

fn sent_ids(out: &Output) -> Vec<String> {
    sends(out).into_iter().map(|s| s.id).collect()
}

#[test]
fn different_scopes_are_sent_in_parallel_one_scope_in_order() {
    let mut s = seeded();
    let a1 = mutate_sent(&mut s, "a1", scoped(patch_title(1, "a1"), "a"), T0);
    assert_eq!(
        sent_ids(&mutate(&mut s, "a2", scoped(patch_title(1, "a2"), "a"), T0)),
        Vec::<String>::new(),
        "a2 waits for a1"
    );
    let b1 = mutate_sent(&mut s, "b1", scoped(patch_title(2, "b1"), "b"), T0);
    assert_eq!(
        sent_ids(&mutate(&mut s, "d1", patch_title(3, "d1"), T0)),
        vec!["d1".to_owned()],
        "the default scope is a scope too"
    );
    assert_eq!(sync(&s)["inflight"], 3);
    // b1's answer sends nothing (b is empty); a1's sends a2.
    assert!(sends(&answer(&mut s, &b1, ok(json!({})), T0 + 1.0)).is_empty());
    assert_eq!(
        sent_ids(&answer(&mut s, &a1, ok(json!({})), T0 + 2.0)),
        vec!["a2".to_owned()]
    );
}

#[test]
fn a_scope_waiting_for_its_backoff_does_not_hold_another_back() {
    let mut s = seeded();
    let a1 = mutate_sent(&mut s, "a1", scoped(patch_title(1, "a1"), "a"), T0);
    mutate(&mut s, "a2", scoped(patch_title(1, "a2"), "a"), T0);
    let out = answer(&mut s, &a1, http(503, ""), T0 + 1.0);
    assert!(
        sends(&out).is_empty(),
        "a1 waits for its retry; a2 behind it"
    );
    let wake = out.wake_at.expect("a retry is due");
    assert_eq!(
        sent_ids(&mutate(
            &mut s,
            "b1",
            scoped(patch_title(2, "b1"), "b"),
            T0 + 2.0
        )),
        vec!["b1".to_owned()]
    );
    assert_eq!(sent_ids(&s.tick(wake)), vec!["a1".to_owned()]);
}

#[test]
fn a_mutation_naming_another_scopes_pending_insert_waits_for_its_real_id() {
    let mut s = seeded();
    let insert = with(
        scoped(
            insert_desc(
                json!({ "id": "tmp-x", "title": "new" }),
                json!([{ "hash": LIST }]),
            ),
            "a",
        ),
        json!({ "shape": "Task" }),
    );
    let ins = mutate_sent(&mut s, "ins", insert, T0);
    let edit = scoped(patch_title("tmp-x", "edited"), "b");
    assert!(
        sends(&mutate(&mut s, "edit", edit, T0)).is_empty(),
        "not before the real id exists"
    );
    let out = answer(
        &mut s,
        &ins,
        ok(json!({ "id": 42, "title": "new" })),
        T0 + 1.0,
    );
    let sent = one_send(&out);
    assert_eq!((sent.id.as_str(), sent.url.as_str()), ("edit", "/tasks/42"));
}

#[test]
fn a_scope_is_kept_in_the_outbox_record_and_bad_scopes_are_refused() {
    let mut s = seeded();
    mutate(&mut s, "a1", scoped(patch_title(1, "a1"), "a"), T0);
    let rec = crate::core::sync::records::write(s.queue().get("a1").expect("a1"));
    assert_eq!(rec["scope"], "a");
    let back = crate::core::sync::records::read(&rec, s.cache().schema()).expect("read back");
    assert_eq!(back.scope.as_deref(), Some("a"));
    for bad in [
        json!("a"),
        json!({ "id": "" }),
        json!({ "id": 1 }),
        json!({ "id": "a", "x": 1 }),
    ] {
        let desc = with(patch_title(1, "x"), json!({ "scope": bad }));
        let e = s.mutate("bad", &desc.to_string(), T0).expect_err("refused");
        assert_eq!(e.code(), "INVALID_ARGUMENT", "{bad}");
    }
}
