//! Change tracking: each write reports exactly the entities and queries whose views changed.

use serde_json::{json, Value};

use super::*;

fn empty() -> Value {
    summary(&ChangeSet::default())
}

/// Two users, three todos, and queries that show them in different ways:
/// - `todos`: [t1, t3] (t1 -> u1, t3 -> u2)
/// - `todo2`: t2 (-> u1)
/// - `user1`: u1
/// - `other`: t3 only
/// - `plain`: plain data
fn seeded() -> Store {
    let mut s = store();
    let ann = json!({ "id": "u1", "name": "Ann" });
    let bob = json!({ "id": "u2", "name": "Bob" });
    set(
        &mut s,
        "todos",
        json!([{ "id": "t1", "title": "a", "assignee": ann }, { "id": "t3", "title": "c", "assignee": bob }]),
        json!(["Todo"]),
    );
    set(
        &mut s,
        "todo2",
        json!({ "id": "t2", "title": "b", "assignee": ann }),
        json!("Todo"),
    );
    set(&mut s, "user1", ann, json!("User"));
    set(&mut s, "other", json!({ "id": "t3" }), json!("Todo"));
    set(&mut s, "plain", json!({ "count": 3 }), json!(null));
    s
}

#[test]
fn a_first_write_reports_its_entities_and_query() {
    let mut s = store();
    let cs = set(
        &mut s,
        "todos",
        json!([{ "id": 1, "assignee": { "id": "u1" } }, { "id": 2, "assignee": { "id": "u1" } }]),
        json!(["Todo"]),
    );
    assert!(!cs.is_empty());
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": ["Todo:1", "Todo:2", "User:u1"], "dependent_entities": [],
                "written_queries": ["todos"], "dependent_queries": [] })
    );
}

#[test]
fn writing_identical_data_again_reports_nothing() {
    let mut s = store();
    let data = json!({
        "items": [{ "id": 1, "title": "a", "assignee": { "id": "u1", "name": "Ann" },
                    "comments": [{ "id": "c1", "author": { "id": "u1" } }] }],
        "total": 1
    });
    let shape = json!({ "items": ["Todo"], "total": null });
    set(&mut s, "page", data.clone(), shape.clone());
    let cs = set(&mut s, "page", data, shape);
    assert!(cs.is_empty(), "{cs:?}");
    assert_eq!(summary(&cs), empty());

    // The same entity data through another query: only that new query is written.
    let cs = set(
        &mut s,
        "one",
        json!({ "id": 1, "title": "a" }),
        json!("Todo"),
    );
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": [], "dependent_entities": [],
                "written_queries": ["one"], "dependent_queries": [] })
    );
}

#[test]
fn an_identical_write_still_refreshes_updated_at() {
    let mut s = store();
    let key = key_for("todo");
    s.set_query_data("todo", &key, r#"{"id":1}"#, r#""Todo""#, 10.0)
        .unwrap();
    let cs = s
        .set_query_data("todo", &key, r#"{"id":1}"#, r#""Todo""#, 20.0)
        .unwrap()
        .changes;
    assert!(cs.is_empty());
    assert_eq!(s.query("todo").unwrap().updated_at, 20.0);
    assert_eq!(s.query("todo").unwrap().key, json!(["todo"]));
}

#[test]
fn rewriting_with_the_other_id_type_or_a_subset_of_fields_reports_nothing() {
    let mut s = store();
    set(
        &mut s,
        "todo",
        json!({ "id": 1, "title": "a", "done": true }),
        json!("Todo"),
    );
    let cs = set(
        &mut s,
        "todo",
        json!({ "id": "1", "title": "a" }),
        json!("Todo"),
    );
    assert_eq!(summary(&cs), empty());
    let cs = update(&mut s, "Todo", json!("1"), json!({ "done": true }));
    assert_eq!(summary(&cs), empty());
}

#[test]
fn updating_a_user_reports_the_todos_and_queries_that_show_it() {
    let mut s = seeded();
    let cs = update(&mut s, "User", json!("u1"), json!({ "name": "Ann B." }));
    assert_eq!(
        summary(&cs),
        json!({
            "written_entities": ["User:u1"],
            "dependent_entities": ["Todo:t1", "Todo:t2"],
            "written_queries": [],
            "dependent_queries": ["todo2", "todos", "user1"]
        })
    );
    // `other` (t3 -> u2) and `plain` are not reported, and indeed did not change.
    assert_eq!(
        read(&s, "other"),
        json!({ "id": "t3", "title": "c", "assignee": { "id": "u2", "name": "Bob" } })
    );
    assert_eq!(read(&s, "todos")[0]["assignee"]["name"], json!("Ann B."));
    assert_eq!(read(&s, "todo2")["assignee"]["name"], json!("Ann B."));
    assert_eq!(read(&s, "user1")["name"], json!("Ann B."));
}

#[test]
fn updating_a_todo_shown_by_one_query_reports_only_that_query() {
    let mut s = seeded();
    let cs = update(&mut s, "Todo", json!("t2"), json!({ "done": true }));
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": ["Todo:t2"], "dependent_entities": [],
                "written_queries": [], "dependent_queries": ["todo2"] })
    );
}

#[test]
fn an_entity_no_query_shows_reports_no_query() {
    let mut s = seeded();
    let cs = update(&mut s, "User", json!("u9"), json!({ "name": "Nobody" }));
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": ["User:u9"], "dependent_entities": [],
                "written_queries": [], "dependent_queries": [] })
    );
}

#[test]
fn rewriting_a_list_in_another_order_rewrites_the_query() {
    let mut s = seeded();
    let cs = set(
        &mut s,
        "todos",
        json!([{ "id": "t3" }, { "id": "t1" }]),
        json!(["Todo"]),
    );
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": [], "dependent_entities": [],
                "written_queries": ["todos"], "dependent_queries": [] })
    );
    assert_eq!(read(&s, "todos")[0]["id"], json!("t3"));
}

#[test]
fn an_unchanged_query_that_shows_a_changed_entity_is_a_dependent_query() {
    let mut s = seeded();
    // Same list, but t1's title changes: the result (keys) is the same.
    let cs = set(
        &mut s,
        "todos",
        json!([{ "id": "t1", "title": "A" }, { "id": "t3" }]),
        json!(["Todo"]),
    );
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": ["Todo:t1"], "dependent_entities": [],
                "written_queries": [], "dependent_queries": ["todos"] })
    );
}

#[test]
fn a_changed_query_is_reported_once_as_written_not_also_as_dependent() {
    let mut s = seeded();
    let cs = set(
        &mut s,
        "todos",
        json!([{ "id": "t1", "title": "A" }]),
        json!(["Todo"]),
    );
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": ["Todo:t1"], "dependent_entities": [],
                "written_queries": ["todos"], "dependent_queries": [] })
    );
}

#[test]
fn changing_the_query_key_or_shape_rewrites_the_query() {
    let mut s = store();
    set(&mut s, "h", json!({ "id": 1 }), json!("Todo"));
    let cs = s
        .set_query_data("h", r#"["h", 2]"#, r#"{"id":1}"#, r#""Todo""#, 0.0)
        .unwrap()
        .changes;
    assert_eq!(cs.written_queries, vec!["h".to_owned()]);
    assert_eq!(s.query("h").unwrap().key, json!(["h", 2]));
    let cs = s
        .set_query_data("h", r#"["h", 2]"#, r#"{"id":1}"#, "null", 0.0)
        .unwrap()
        .changes;
    assert_eq!(cs.written_queries, vec!["h".to_owned()]);
    // Under a plain shape the object is plain data, no longer a reference to Todo:1.
    let cs = update(&mut s, "Todo", json!(1), json!({ "title": "x" }));
    assert!(cs.dependent_queries.is_empty(), "{cs:?}");
    assert_eq!(read(&s, "h"), json!({ "id": 1 }));
}

#[test]
fn dependents_are_found_through_any_number_of_hops() {
    let mut s = store();
    set(
        &mut s,
        "todo",
        json!({ "id": 1, "comments": [{ "id": "c1", "replies": [{ "id": "c2", "author": { "id": "u1" } }] }] }),
        json!("Todo"),
    );
    set(&mut s, "thread", json!({ "id": "c2" }), json!("Comment"));
    set(
        &mut s,
        "unrelated",
        json!({ "id": "c9", "author": { "id": "u2" } }),
        json!("Comment"),
    );
    let cs = update(&mut s, "User", json!("u1"), json!({ "name": "Ann" }));
    assert_eq!(
        summary(&cs),
        json!({
            "written_entities": ["User:u1"],
            "dependent_entities": ["Comment:c1", "Comment:c2", "Todo:1"],
            "written_queries": [],
            "dependent_queries": ["thread", "todo"]
        })
    );
    assert_eq!(
        read(&s, "todo")["comments"][0]["replies"][0]["author"],
        json!({ "id": "u1", "name": "Ann" })
    );
}

#[test]
fn a_replaced_relation_no_longer_reports_the_old_target() {
    let mut s = seeded();
    // t2 moves from u1 to u2.
    let cs = update(
        &mut s,
        "Todo",
        json!("t2"),
        json!({ "assignee": { "id": "u2" } }),
    );
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": ["Todo:t2"], "dependent_entities": [],
                "written_queries": [], "dependent_queries": ["todo2"] })
    );
    let cs = update(&mut s, "User", json!("u1"), json!({ "name": "x" }));
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": ["User:u1"], "dependent_entities": ["Todo:t1"],
                "written_queries": [], "dependent_queries": ["todos", "user1"] })
    );
    let cs = update(&mut s, "User", json!("u2"), json!({ "name": "y" }));
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": ["User:u2"], "dependent_entities": ["Todo:t2", "Todo:t3"],
                "written_queries": [], "dependent_queries": ["other", "todo2", "todos"] })
    );
}

#[test]
fn a_relation_set_to_null_or_emptied_no_longer_reports_the_old_target() {
    let mut s = store();
    set(
        &mut s,
        "todo",
        json!({ "id": 1, "assignee": { "id": "u1" }, "comments": [{ "id": "c1" }, { "id": "c2" }] }),
        json!("Todo"),
    );
    update(
        &mut s,
        "Todo",
        json!(1),
        json!({ "assignee": null, "comments": [{ "id": "c2" }] }),
    );
    assert!(update(&mut s, "User", json!("u1"), json!({ "n": 1 }))
        .dependent_queries
        .is_empty());
    assert!(update(&mut s, "Comment", json!("c1"), json!({ "n": 1 }))
        .dependent_queries
        .is_empty());
    let cs = update(&mut s, "Comment", json!("c2"), json!({ "n": 1 }));
    assert_eq!(cs.dependent_queries, vec!["todo".to_owned()]);
    assert_eq!(cs.dependent_entities, vec!["Todo:1".to_owned()]);
}

#[test]
fn a_rewritten_query_no_longer_reports_entities_it_dropped() {
    let mut s = store();
    set(
        &mut s,
        "q",
        json!([{ "id": 1 }, { "id": 2 }]),
        json!(["Todo"]),
    );
    set(&mut s, "q", json!([{ "id": 2 }]), json!(["Todo"]));
    assert!(update(&mut s, "Todo", json!(1), json!({ "x": 1 }))
        .dependent_queries
        .is_empty());
    assert_eq!(
        update(&mut s, "Todo", json!(2), json!({ "x": 1 })).dependent_queries,
        vec!["q".to_owned()]
    );
    // Rewritten to null: nothing is shown any more.
    set(&mut s, "q", json!(null), json!(["Todo"]));
    assert!(update(&mut s, "Todo", json!(2), json!({ "x": 2 }))
        .dependent_queries
        .is_empty());
}

#[test]
fn an_entity_referenced_twice_by_one_query_reports_it_once() {
    let mut s = store();
    set(
        &mut s,
        "q",
        json!({ "a": { "id": 1, "assignee": { "id": "u1" } }, "b": [{ "id": 1 }, { "id": 2, "assignee": { "id": "u1" } }] }),
        json!({ "a": "Todo", "b": ["Todo"] }),
    );
    let cs = update(&mut s, "User", json!("u1"), json!({ "name": "x" }));
    assert_eq!(cs.dependent_queries, vec!["q".to_owned()]);
    assert_eq!(sorted(&cs.dependent_entities), vec!["Todo:1", "Todo:2"]);
}

#[test]
fn a_cycle_terminates_and_reports_both_sides() {
    let mut s = store();
    let cs = set(
        &mut s,
        "user",
        json!({ "id": "u1", "name": "Ann", "todos": [{ "id": "t1", "title": "a", "assignee": { "id": "u1" } }] }),
        json!("User"),
    );
    assert_eq!(sorted(&cs.written_entities), vec!["Todo:t1", "User:u1"]);
    set(&mut s, "todo", json!({ "id": "t1" }), json!("Todo"));

    let cs = update(&mut s, "User", json!("u1"), json!({ "name": "Ann B." }));
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": ["User:u1"], "dependent_entities": ["Todo:t1"],
                "written_queries": [], "dependent_queries": ["todo", "user"] })
    );
    let cs = update(&mut s, "Todo", json!("t1"), json!({ "title": "b" }));
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": ["Todo:t1"], "dependent_entities": ["User:u1"],
                "written_queries": [], "dependent_queries": ["todo", "user"] })
    );
    assert_eq!(
        read(&s, "todo"),
        json!({ "id": "t1", "title": "b", "assignee": { "id": "u1", "name": "Ann B.", "todos": [{ "id": "t1" }] } })
    );
}

#[test]
fn a_self_reference_terminates() {
    let mut s = store();
    set(
        &mut s,
        "c",
        json!({ "id": "c1", "replies": [{ "id": "c1", "text": "me" }] }),
        json!("Comment"),
    );
    assert_eq!(
        record(&s, "Comment:c1"),
        json!({ "id": "c1", "replies": ["Comment:c1"], "text": "me" })
    );
    assert_eq!(
        read(&s, "c"),
        json!({ "id": "c1", "replies": [{ "id": "c1" }], "text": "me" })
    );
    let cs = update(&mut s, "Comment", json!("c1"), json!({ "text": "again" }));
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": ["Comment:c1"], "dependent_entities": [],
                "written_queries": [], "dependent_queries": ["c"] })
    );
}

#[test]
fn change_lists_have_no_duplicates_and_written_excludes_dependent() {
    let mut s = seeded();
    let cs = set(
        &mut s,
        "todos",
        json!([
            { "id": "t1", "title": "z", "assignee": { "id": "u1", "name": "New" } },
            { "id": "t2", "assignee": { "id": "u1" } },
            { "id": "t1", "done": true }
        ]),
        json!(["Todo"]),
    );
    for list in [
        &cs.written_entities,
        &cs.dependent_entities,
        &cs.written_queries,
        &cs.dependent_queries,
    ] {
        let mut d = sorted(list);
        d.dedup();
        assert_eq!(d.len(), list.len(), "duplicates in {list:?}");
    }
    assert!(cs
        .dependent_entities
        .iter()
        .all(|k| !cs.written_entities.contains(k)));
    assert!(cs
        .dependent_queries
        .iter()
        .all(|q| !cs.written_queries.contains(q)));
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": ["Todo:t1", "User:u1"], "dependent_entities": ["Todo:t2"],
                "written_queries": ["todos"], "dependent_queries": ["todo2", "user1"] })
    );
}

#[test]

fn an_entity_repeated_with_different_values_in_one_response_is_judged_by_the_net_result() {
    let mut s = store();
    let shape = json!({ "a": "Todo", "b": "Todo" });
    // The response carries Todo:1 twice; the later occurrence wins.
    let data = json!({ "a": { "id": 1, "title": "old" }, "b": { "id": 1, "title": "new" } });
    set(&mut s, "q", data.clone(), shape.clone());
    set(&mut s, "other", json!({ "id": 1 }), json!("Todo"));
    assert_eq!(record(&s, "Todo:1"), json!({ "id": 1, "title": "new" }));

    // Writing identical data again must report nothing: the record ends as it was.
    let cs = set(&mut s, "q", data, shape);
    assert_eq!(record(&s, "Todo:1"), json!({ "id": 1, "title": "new" }));
    assert_eq!(summary(&cs), empty());
}
