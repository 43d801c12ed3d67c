//! Every public method ends in the store's one finish step: whatever a call does, its output
//! carries the moment `tick` is next due. (A method that built its output by hand once lost a
//! query's retry: the JS wrapper cleared its timer when a batch said nothing was due.)

use super::support::queries::*;

/// A store whose query `q` failed with a 500 and waits for its first retry; returns the
/// moment the retry is due. Mutation `m1` is queued, mutation `c1` is in conflict and
/// `f1` failed (so every mutation method has something to act on).
fn waiting() -> (Store, f64) {
    let mut s =
        store_from(json!({ "persist": false, "entities": { "Todo": { "version": "version" } } }));
    let opts = json!({ "url": "/q", "retry": 3, "retryDelay": 250 });
    let out = observe(&mut s, "q", opts, T0);
    let out = settle(&mut s, "q", ticket(&out, "q"), http(500, ""), T0 + 10.0);
    let due = s
        .meta("q")
        .and_then(|m| m.retry_at())
        .expect("a retry is due");
    assert_eq!(out.wake_at, Some(due));

    s.set_online(false, T0 + 11.0);
    let put = |s: &mut Store, id: &str, patch: serde_json::Value| {
        let desc = json!({
            "request": { "method": "PATCH", "url": format!("/todos/{id}"), "body": patch },
            "optimistic": [{ "op": "update", "type": "Todo", "id": id, "patch": patch }],
            "conflict": "manual",
            "retry": 0
        });
        s.mutate(&format!("m-{id}"), &desc.to_string(), T0 + 12.0)
            .expect("mutate");
    };
    put(&mut s, "1", json!({ "title": "a" }));
    put(&mut s, "2", json!({ "title": "b" }));
    put(&mut s, "3", json!({ "title": "c" }));
    // Back online, m-1 goes out: it conflicts; then m-2 goes out and fails; m-3 stays queued
    // behind nothing but is sent next (its answer is left pending).
    let out = s.set_online(true, T0 + 13.0);
    let t1 = send_ticket(&out, "m-1");
    let conflict = json!({ "id": "1", "title": "server", "version": 2 }).to_string();
    let out = s.settle_mutation("m-1", t1, http(409, &conflict), T0 + 14.0, R);
    let t2 = send_ticket(&out, "m-2");
    s.settle_mutation("m-2", t2, http(400, ""), T0 + 15.0, R);
    assert_eq!(s.meta("q").and_then(|m| m.retry_at()), Some(due));
    (s, due)
}

fn send_ticket(out: &Output, id: &str) -> u64 {
    out.actions
        .iter()
        .find_map(|a| match a {
            Action::Send { id: i, ticket, .. } if i == id => Some(*ticket),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no send of {id} in {:?}", out.actions))
}

/// One public method, called on the waiting store.
type Call<'a> = Box<dyn Fn(&mut Store) -> Output + 'a>;

#[test]
fn every_public_method_reports_the_retry_that_is_due() {
    let now = T0 + 20.0;
    let other = json!({ "url": "/other", "staleTime": "Infinity" }).to_string();
    let calls: Vec<(&str, Call)> = vec![
        (
            "set_query_data",
            Box::new(|s| {
                s.set_query_data("d", &key_for("d"), r#"{"id":"9"}"#, r#""Todo""#, now)
                    .unwrap()
            }),
        ),
        (
            "update_entity",
            Box::new(|s| {
                s.update_entity("Todo", r#""5""#, r#"{"title":"x"}"#, now)
                    .unwrap()
            }),
        ),
        (
            "observe",
            Box::new(move |s| s.observe("o", &key_for("o"), &other, now).unwrap()),
        ),
        ("unobserve", Box::new(|s| s.unobserve("o", now))),
        (
            "apply_pushes",
            Box::new(|s| {
                s.apply_pushes(
                    &[r#"{"type":"upsert","entity":"Todo","data":{"id":"7","title":"p"}}"#],
                    now,
                )
            }),
        ),
        (
            "fetch",
            Box::new(|s| s.fetch("f", &key_for("f"), r#"{"url":"/f"}"#, now).unwrap()),
        ),
        (
            "settle (stale ticket)",
            Box::new(|s| {
                s.settle(
                    "q",
                    999,
                    Settle::Failed(ErrorInfo::new("NETWORK", "x")),
                    now,
                    R,
                )
            }),
        ),
        (
            "settle_data (stale ticket)",
            Box::new(|s| s.settle_data("q", 999, "[]", now, R)),
        ),
        ("set_online", Box::new(|s| s.set_online(true, now))),
        ("focus", Box::new(|s| s.focus(now))),
        (
            "invalidate",
            Box::new(|s| s.invalidate(r#"["nothing"]"#, now).unwrap()),
        ),
        (
            "refetch",
            Box::new(|s| s.refetch(r#"["nothing"]"#, now).unwrap()),
        ),
        (
            "cancel",
            Box::new(|s| s.cancel(r#"["nothing"]"#, now).unwrap()),
        ),
        (
            "remove",
            Box::new(|s| s.remove(r#"["nothing"]"#, now).unwrap()),
        ),
        (
            "reset",
            Box::new(|s| s.reset(r#"{"queryKey":["nothing"]}"#, "[]", now).unwrap()),
        ),
        (
            "update_options",
            Box::new(|s| s.update_options("nothing", "{}", now).unwrap()),
        ),
        (
            "decide_retry (stale ticket)",
            Box::new(|s| s.decide_retry("q", 999, true, None, now, R)),
        ),
        ("tick", Box::new(|s| s.tick(now))),
        (
            "mutate",
            Box::new(|s| s.mutate("m-9", r#"{"request":{"url":"/x"}}"#, now).unwrap()),
        ),
        (
            "settle_mutation (stale ticket)",
            Box::new(|s| {
                s.settle_mutation(
                    "m-3",
                    999,
                    Settle::Failed(ErrorInfo::new("NETWORK", "x")),
                    now,
                    R,
                )
            }),
        ),
        (
            "resolve_conflict",
            Box::new(|s| s.resolve_conflict("m-1", r#""local""#, now).unwrap()),
        ),
        (
            "retry_mutation",
            Box::new(|s| s.retry_mutation("m-2", now).unwrap()),
        ),
        (
            "discard_mutation",
            Box::new(|s| s.discard_mutation("m-2", now).unwrap()),
        ),
        ("flush", Box::new(|s| s.flush(now))),
        (
            "persisted",
            Box::new(|s| s.persisted(r#"["m-3"]"#, now).unwrap()),
        ),
        (
            "persist_failed",
            Box::new(|s| {
                s.persist_failed(r#"["none"]"#, "QUOTA", "full", now)
                    .unwrap()
            }),
        ),
        ("set_leader", Box::new(|s| s.set_leader(true, now))),
        (
            "apply_cache",
            Box::new(|s| {
                s.apply_cache(r#"{"e":[["Todo:7",{"id":"7"}]],"q":[]}"#, false, now)
                    .unwrap()
            }),
        ),
        (
            "hydrate",
            Box::new(|s| {
                let state = r#"{"version":1,"entities":{"Todo:8":{"id":"8"}},"queries":[]}"#;
                s.hydrate(state, false, now).unwrap()
            }),
        ),
        (
            "reconcile_outbox",
            Box::new(|s| s.reconcile_outbox("[]", now).unwrap()),
        ),
        (
            "forget_mutation",
            Box::new(|s| s.forget_mutation("m-2", now)),
        ),
    ];
    for (name, call) in calls {
        let (mut s, due) = waiting();
        let out = call(&mut s);
        assert_eq!(out.wake_at, Some(due), "{name}: the retry of `q` is due");
    }
}

#[test]
fn clear_reports_that_nothing_is_due() {
    let (mut s, _) = waiting();
    let out = s.clear(T0 + 20.0);
    assert_eq!(out.wake_at, None, "the query and its retry are gone");
}
