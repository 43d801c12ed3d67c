//! resolveConflict: `local` resends with the server version, `server` drops the change, a value
//! is sent and shown; only an open conflict can be resolved.

use crate::core::tests::support::mutations::*;

#[test]
fn resolve_conflict_local_resends_with_the_server_version() {
    let current = server_task("server", "server note", 2);
    let (mut s, _) = conflict_case("manual", &current);
    let out = s
        .resolve_conflict("m1", "\"local\"", T0 + 2.0)
        .expect("resolve");
    let sent = one_send(&out);
    assert_eq!(sent.header("If-Match"), Some("\"2\""));
    assert_eq!(sent.header("Idempotency-Key"), Some("m1.1"));
    assert_eq!(sent.body, Some(json!({ "title": "local", "version": 2 })));
    assert_eq!(task(&s, "1")["title"], "local");
    let m = listing(&s, "m1");
    assert_eq!(m["status"], "inflight");
    assert!(m.get("conflict").is_none(), "{m}");
    let out = answer(&mut s, &sent, http(200, ""), T0 + 3.0);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
}

#[test]
fn resolve_conflict_server_drops_the_change() {
    let current = server_task("server", "server note", 2);
    let (mut s, _) = conflict_case("manual", &current);
    let out = s
        .resolve_conflict("m1", "\"server\"", T0 + 2.0)
        .expect("resolve");
    no_send(&out);
    assert_eq!(settled_err(&out, "m1").code, "CONFLICT");
    assert_eq!(task(&s, "1"), current);
    assert_eq!(sync(&s)["conflicts"], 0);
    assert_eq!(sync(&s)["pending"], 0);
}

#[test]
fn resolve_conflict_with_a_value_sends_and_shows_it() {
    let current = server_task("server", "server note", 2);
    let (mut s, _) = conflict_case("manual", &current);
    let out = s
        .resolve_conflict("m1", &json!({ "title": "merged" }).to_string(), T0 + 2.0)
        .expect("resolve");
    let sent = one_send(&out);
    assert_eq!(sent.header("If-Match"), Some("\"2\""));
    assert_eq!(sent.body, Some(json!({ "title": "merged", "version": 2 })));
    assert_eq!(task(&s, "1")["title"], "merged");
    assert_eq!(task(&s, "1")["note"], "server note");
    assert!(out.changes.written_entities.contains(&"Task:1".to_owned()));
    // A later failure rolls back to the server's version.
    answer(&mut s, &sent, http(400, ""), T0 + 3.0);
    assert_eq!(task(&s, "1"), current);
}

#[test]
fn resolve_conflict_needs_an_open_conflict_and_a_valid_choice() {
    let mut s = seeded();
    mutate_sent(&mut s, "m1", patch_title(1, "x"), T0);
    expect_err(
        s.resolve_conflict("m1", "\"local\"", T0),
        "INVALID_ARGUMENT",
    );
    expect_err(
        s.resolve_conflict("nope", "\"local\"", T0),
        "INVALID_ARGUMENT",
    );
    let (mut s, _) = conflict_case("manual", &server_task("server", "n1", 2));
    for bad in ["5", "\"other\"", "null", "[1]", "{"] {
        expect_err(s.resolve_conflict("m1", bad, T0 + 2.0), "INVALID_ARGUMENT");
        assert_eq!(status(&s, "m1").as_deref(), Some("conflict"), "{bad}");
    }
}
