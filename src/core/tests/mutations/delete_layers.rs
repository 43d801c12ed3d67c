//! The delete op: the entity and its list entries are hidden while it is pending, and a rollback
//! restores them in place, over whatever the server sent meanwhile.

use crate::core::batch::output_json;
use crate::core::tests::support::mutations::*;

#[test]
fn a_delete_hides_the_entity_and_its_list_entries() {
    let mut s = seeded_with_page();
    let out = mutate(&mut s, "m1", delete_desc(2), T0);
    assert!(out.changes.written_entities.contains(&"Task:2".to_owned()));
    assert!(out.changes.dependent_queries.contains(&LIST.to_owned()));
    assert!(out.changes.dependent_queries.contains(&PAGE.to_owned()));
    assert_eq!(s.read_entity("Task", "2"), None);
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(3)]);
    assert_eq!(ids(&s, PAGE), vec![json!(1), json!(3)]);
    assert_eq!(read(&s, PAGE)["total"], 3);
    let batch: Value = serde_json::from_str(&output_json(&s, &out, 0, T0)).expect("JSON");
    assert_eq!(
        batch["g"],
        json!(["Task:2"]),
        "the batch reports the entity as gone"
    );

    // The rollback restores it in place.
    let sent = one_send(&out);
    let out = answer(&mut s, &sent, http(403, ""), T0 + 1.0);
    assert!(out.changes.written_entities.contains(&"Task:2".to_owned()));
    assert_eq!(task(&s, "2")["title"], "two");
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(2), json!(3)]);
    assert_eq!(ids(&s, PAGE), vec![json!(1), json!(2), json!(3)]);
    assert_eq!(read(&s, LIST), seed_tasks());

    // Success: it stays gone.
    let sent = one_send(&s.retry_mutation("m1", T0 + 2.0).expect("retry"));
    assert_eq!(s.read_entity("Task", "2"), None);
    answer(&mut s, &sent, http(204, ""), T0 + 3.0);
    assert_eq!(s.read_entity("Task", "2"), None);
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(3)]);
}

#[test]
fn a_pending_update_over_a_delete_rolls_back_to_the_deleted_state() {
    let mut s = seeded();
    let s1 = mutate_sent(&mut s, "m1", delete_desc(2), T0);
    mutate(&mut s, "m2", patch_title(3, "x"), T0 + 1.0);
    // m1 fails; m2 is unaffected and m1's entity is back.
    let s2 = one_send(&answer(&mut s, &s1, http(400, ""), T0 + 2.0));
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(2), json!(3)]);
    assert_eq!(task(&s, "3")["title"], "x");
    answer(&mut s, &s2, http(400, ""), T0 + 3.0);
    assert_eq!(read(&s, LIST), seed_tasks());
}

#[test]
fn a_refetch_during_a_pending_delete_keeps_it_hidden_and_the_rollback_shows_the_new_data() {
    let mut s = seeded();
    let sent = mutate_sent(&mut s, "m1", delete_desc(2), T0);
    // The server has not deleted it yet, and it changed.
    put(
        &mut s,
        LIST,
        json!([
            { "id": 2, "title": "two (server)", "version": 2 },
            { "id": 1, "title": "one" },
            { "id": 4, "title": "four", "version": 1 }
        ]),
        list_shape(),
        T0 + 1.0,
    );
    assert_eq!(s.read_entity("Task", "2"), None);
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(4)]);
    answer(&mut s, &sent, http(400, ""), T0 + 2.0);
    assert_eq!(ids(&s, LIST), vec![json!(2), json!(1), json!(4)]);
    assert_eq!(task(&s, "2")["title"], "two (server)");

    let mut s = seeded();
    let sent = mutate_sent(&mut s, "m1", delete_desc(2), T0);
    put(
        &mut s,
        LIST,
        json!([{ "id": 2, "title": "two (server)", "version": 2 }, { "id": 1, "title": "one" }]),
        list_shape(),
        T0 + 1.0,
    );
    answer(&mut s, &sent, http(400, ""), T0 + 2.0);
    assert_eq!(ids(&s, LIST), vec![json!(2), json!(1)]);
    assert_eq!(task(&s, "2")["title"], "two (server)");
    assert_eq!(
        task(&s, "2")["note"],
        "n2",
        "fields the refetch did not carry stay"
    );
    assert_eq!(task(&s, "2")["version"], 2);
}
