//! Records that name another mutation's entity: a temporary id's rename and a chained version
//! rewrite exactly the later records concerned, and a dependent fails with its insert.

use std::collections::BTreeMap;

use crate::core::tests::support::persist::*;

#[test]
fn a_temp_id_rename_rewrites_exactly_the_records_that_name_it() {
    let mut s = seeded();
    let sent = durable_sent(&mut s, "m1", insert_new_task(), T0);
    assert_eq!(
        (sent.method.as_str(), sent.url.as_str()),
        ("POST", "/tasks")
    );
    mutate_durable(
        &mut s,
        "m2",
        patch_desc("tmp-1", json!({ "done": true })),
        T0 + 1.0,
    );
    mutate_durable(&mut s, "m3", patch_title(2, "b"), T0 + 2.0);
    assert_eq!(
        ids(&s, LIST),
        vec![json!(1), json!(2), json!(3), json!("tmp-1")]
    );
    let out = answer(
        &mut s,
        &sent,
        http(
            201,
            &json!({ "id": 7, "title": "new", "done": false, "note": "",
                              "version": 1, "assignee": null })
            .to_string(),
        ),
        T0 + 3.0,
    );
    assert_eq!(settled(&out).len(), 1);
    assert_eq!(
        ob(&out),
        vec!["-m1", "m2"],
        "m3 does not name the temporary id"
    );
    let r = rec(&out, "m2");
    assert_eq!(r["url"], "/tasks/7");
    assert_eq!(r["writes"][0][0], "Task:7");
    assert_eq!(r["writes"][0][1]["id"], 7);
    assert_eq!(r["subject"]["key"], "Task:7");
    assert_eq!(r["v"], 2);
    let sent = one_send(&out);
    assert_eq!((sent.id.as_str(), sent.url.as_str()), ("m2", "/tasks/7"));
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(2), json!(3), json!(7)]);
    assert_eq!(task(&s, "7")["done"], true, "m2's layer follows the rename");

    // The cache delta drops the temporary record and writes the real one and the list.
    let d: Value = serde_json::from_str(&s.take_cache_delta()).expect("delta");
    let e: BTreeMap<String, Value> = d["e"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| (p[0].as_str().expect("key").to_owned(), p[1].clone()))
        .collect();
    assert_eq!(e.get("Task:tmp-1"), Some(&Value::Null));
    assert_eq!(e["Task:7"]["title"], "new");
    assert_eq!(e["Task:7"]["done"], false, "the base, without m2's layer");
    let q = d["q"]
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p[0] == LIST)
        .expect("the list in the delta");
    assert_eq!(q[1]["r"], json!(["Task:1", "Task:2", "Task:3", "Task:7"]));
}

#[test]
fn chained_versions_rewrite_the_later_records_of_the_same_entity() {
    let mut s = seeded();
    let desc = with(patch_title(1, "a"), json!({ "shape": "Task" }));
    let s1 = durable_sent(&mut s, "m1", desc, T0);
    mutate_durable(
        &mut s,
        "m2",
        patch_desc(1, json!({ "note": "b" })),
        T0 + 1.0,
    );
    mutate_durable(&mut s, "m3", patch_title(2, "c"), T0 + 2.0);
    let out = answer(
        &mut s,
        &s1,
        http(
            200,
            &json!({ "id": 1, "title": "a", "version": 2 }).to_string(),
        ),
        T0 + 3.0,
    );
    assert_eq!(ob(&out), vec!["-m1", "m2"]);
    assert_eq!(rec(&out, "m2")["baseVersion"], 2);
    let s2 = one_send(&out);
    assert_eq!(s2.id, "m2");
    assert_eq!(s2.header("If-Match"), Some("\"2\""));
    assert_eq!(s2.body, Some(json!({ "note": "b", "version": 2 })));
}

#[test]
fn a_dependent_mutation_waits_for_its_insert_and_fails_with_it() {
    let mut s = seeded();
    mutate(&mut s, "m1", insert_new_task(), T0);
    mutate(
        &mut s,
        "m2",
        patch_desc("tmp-1", json!({ "done": true })),
        T0 + 1.0,
    );
    mutate(&mut s, "m3", patch_title(2, "b"), T0 + 2.0);
    let out = persisted(&mut s, &["m1", "m2", "m3"], T0 + 3.0);
    let s1 = one_send(&out);
    assert_eq!(s1.id, "m1");
    assert_eq!(task(&s, "tmp-1")["done"], true);
    let out = answer(&mut s, &s1, http(422, "{\"error\":\"invalid\"}"), T0 + 4.0);
    assert_eq!(
        settled(&out),
        vec![
            ("m1".to_owned(), Err("HTTP".to_owned())),
            ("m2".to_owned(), Err("CONFLICT".to_owned()))
        ]
    );
    assert_eq!(ob(&out), vec!["m1", "m2"]);
    assert_eq!(rec(&out, "m1")["status"], "failed");
    assert_eq!(rec(&out, "m2")["status"], "failed");
    assert_eq!(rec(&out, "m2")["error"]["code"], "CONFLICT");
    let s3 = one_send(&out);
    assert_eq!(s3.id, "m3", "the unrelated mutation goes on");
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(2), json!(3)]);
    assert!(s.entity("Task:tmp-1").is_none());

    // Discarding the failed insert deletes its record only; the dependent stays failed.
    let out = s.discard_mutation("m1", T0 + 5.0).expect("discard");
    let out = done(&mut s, out);
    assert_eq!(ob(&out), vec!["-m1"]);
    assert_eq!(status(&s, "m2").as_deref(), Some("failed"));
}
