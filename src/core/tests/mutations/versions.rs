//! Versions: If-Match and the body carry the base version of the mutation's subject, and a later
//! edit is based on the version an earlier one returned.

use crate::core::tests::support::mutations::*;

#[test]
fn if_match_and_the_body_carry_the_base_version() {
    // A string version, quoted as is.
    let mut s = seeded();
    put(
        &mut s,
        "t7",
        json!({ "id": 7, "title": "x", "version": "v7" }),
        json!("Task"),
        T0,
    );
    let sent = mutate_sent(&mut s, "m", patch_title(7, "y"), T0);
    assert_eq!(sent.header("If-Match"), Some("\"v7\""));
    assert_eq!(sent.body, Some(json!({ "title": "y", "version": "v7" })));

    // Not cached: no version to guard with.
    let mut s = seeded();
    let sent = mutate_sent(&mut s, "m", patch_title(99, "y"), T0);
    assert_eq!(sent.header("If-Match"), None);
    assert_eq!(sent.body, Some(json!({ "title": "y" })));

    // Cached without a version field value.
    let mut s = seeded();
    put(
        &mut s,
        "t8",
        json!({ "id": 8, "title": "x" }),
        json!("Task"),
        T0,
    );
    let sent = mutate_sent(&mut s, "m", patch_title(8, "y"), T0);
    assert_eq!(sent.header("If-Match"), None);

    // A type without a version field.
    let mut s = seeded();
    let desc = json!({
        "request": { "method": "PUT", "url": "/users/u1", "body": { "name": "A" } },
        "optimistic": [{ "op": "update", "type": "User", "id": "u1", "patch": { "name": "A" } }]
    });
    let sent = mutate_sent(&mut s, "m", desc, T0);
    assert_eq!(sent.header("If-Match"), None);
    assert_eq!(sent.body, Some(json!({ "name": "A" })));

    // The subject is the first update/delete target.
    let mut s = seeded();
    put(
        &mut s,
        "t9",
        json!({ "id": 9, "title": "x", "version": 4 }),
        json!("Task"),
        T0,
    );
    let desc = json!({
        "request": { "method": "POST", "url": "/batch", "body": { "ops": 2 } },
        "optimistic": [
            { "op": "insert", "type": "Task", "data": { "id": "tmp-1", "title": "n" } },
            { "op": "update", "type": "Task", "id": 9, "patch": { "title": "y" } },
            { "op": "update", "type": "Task", "id": 1, "patch": { "title": "z" } }
        ]
    });
    let sent = mutate_sent(&mut s, "m", desc, T0);
    assert_eq!(sent.header("If-Match"), Some("\"4\""));
    assert_eq!(sent.body, Some(json!({ "ops": 2, "version": 4 })));

    // A delete without a body: If-Match only.
    let mut s = seeded();
    let sent = mutate_sent(&mut s, "m", delete_desc(2), T0);
    assert_eq!(sent.method, "DELETE");
    assert_eq!(sent.header("If-Match"), Some("\"1\""));
    assert_eq!(sent.header("Content-Type"), None);
    assert_eq!(sent.body, None);

    // An insert has no subject.
    let mut s = seeded();
    let sent = mutate_sent(
        &mut s,
        "m",
        insert_desc(json!({ "id": "tmp-1", "title": "n" }), json!([])),
        T0,
    );
    assert_eq!(sent.header("If-Match"), None);
    assert_eq!(sent.body, Some(json!({ "id": "tmp-1", "title": "n" })));

    // The base version, not a pending layer's: layers never carry the server's version.
    let mut s = seeded();
    let s1 = mutate_sent(&mut s, "m1", patch_desc(1, json!({ "version": 9 })), T0);
    assert_eq!(s1.header("If-Match"), Some("\"1\""));
    mutate(&mut s, "m2", patch_title(1, "x"), T0 + 1.0);
    let s2 = one_send(&answer(&mut s, &s1, http(400, ""), T0 + 2.0));
    assert_eq!(s2.header("If-Match"), Some("\"1\""));
}

#[test]
fn a_second_edit_is_sent_with_the_version_the_first_edit_returned() {
    let mut s = seeded();
    let desc = with(patch_title(1, "a"), json!({ "shape": "Task" }));
    let s1 = mutate_sent(&mut s, "m1", desc, T0);
    mutate(
        &mut s,
        "m2",
        patch_desc(1, json!({ "note": "b" })),
        T0 + 1.0,
    );
    let out = answer(&mut s, &s1, ok(server_task("a", "n1", 2)), T0 + 2.0);
    let s2 = one_send(&out);
    assert_eq!(
        s.entity("Task:1").and_then(|r| r.value("version")),
        Some(json!(2))
    );
    assert_eq!(
        s2.header("If-Match"),
        Some("\"2\""),
        "m2 is based on our own committed edit (version 2), not on version 1"
    );
    assert_eq!(s2.body, Some(json!({ "note": "b", "version": 2 })));
}
