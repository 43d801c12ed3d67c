//! Optimistic mutations: descriptions (mutation.rs), layers over the shadow base (layers.rs)
//! and the send queue (outbox.rs), through the public `Store` API with JSON text.
//!
//! The centrepiece is a reference model (end of the file): after every step of random
//! interleavings of mutations, answers and server refetches, what the store shows must equal
//! the server base (every server write and every committed mutation, in order) with the
//! pending mutations' ops applied in queue order.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::*;
use crate::core::batch::output_json;
use crate::core::retry;
use crate::core::ErrorInfo;
use crate::core::{Action, Output, Settle};

/// A realistic clock origin (ms); every test counts from here.
pub(super) const T0: f64 = 1_000_000.0;
/// The `random` passed to `settle_mutation`.
pub(super) const R: f64 = 0.5;
/// The task list query (`['tasks']`, shape `['Task']`).
pub(super) const LIST: &str = "tasks";
/// A page query with the list at a nested path (`{ items: ['Task'], total }`).
pub(super) const PAGE: &str = "page";

// ---------------------------------------------------------------------------------------------
// helpers

pub(super) fn schema() -> Value {
    json!({
        "Task": { "version": "version", "relations": { "assignee": "User" } },
        "User": {}
    })
}

fn list_shape() -> Value {
    json!(["Task"])
}

fn page_shape() -> Value {
    json!({ "items": ["Task"], "total": null })
}

pub(super) fn seed_tasks() -> Value {
    json!([
        { "id": 1, "title": "one", "done": false, "note": "n1", "version": 1,
          "assignee": { "id": "u1", "name": "Ann" } },
        { "id": 2, "title": "two", "done": false, "note": "n2", "version": 1, "assignee": null },
        { "id": 3, "title": "three", "done": true, "note": "n3", "version": 1,
          "assignee": { "id": "u2", "name": "Bob" } }
    ])
}

/// An empty store with the Task/User schema (queries are never collected, so long random runs
/// keep their lists). Memory only: the persisted outbox is tested in persist.rs.
pub(super) fn new_store() -> Store {
    Store::from_options_json(
        &json!({ "entities": schema(), "defaults": { "gcTime": "Infinity" }, "persist": false })
            .to_string(),
    )
    .unwrap_or_else(|e| panic!("store creation failed: {e}"))
}

/// A store holding the task list.
fn seeded() -> Store {
    let mut s = new_store();
    put(&mut s, LIST, seed_tasks(), list_shape(), T0);
    s
}

/// A store holding the task list and the page.
fn seeded_with_page() -> Store {
    let mut s = seeded();
    put(
        &mut s,
        PAGE,
        json!({ "items": seed_tasks(), "total": 3 }),
        page_shape(),
        T0,
    );
    s
}

/// `setQueryData([hash], data, { shape })` as the bindings call it.
fn put(s: &mut Store, hash: &str, data: Value, shape: Value, now: f64) -> Output {
    s.set_query_data(
        hash,
        &key_for(hash),
        &data.to_string(),
        &shape.to_string(),
        now,
    )
    .unwrap_or_else(|e| panic!("set_query_data({hash}) failed: {e}"))
}

#[track_caller]
fn mutate(s: &mut Store, id: &str, desc: Value, now: f64) -> Output {
    s.mutate(id, &desc.to_string(), now)
        .unwrap_or_else(|e| panic!("mutate({id}) failed: {e}"))
}

/// `desc` with the top-level fields of `extra` added.
pub(super) fn with(mut desc: Value, extra: Value) -> Value {
    if let (Some(d), Value::Object(x)) = (desc.as_object_mut(), extra) {
        d.extend(x);
    }
    desc
}

/// PATCH /tasks/<id> with `patch` as body and as the optimistic update.
fn patch_desc(id: u64, patch: Value) -> Value {
    json!({
        "request": { "method": "PATCH", "url": format!("/tasks/{id}"), "body": patch },
        "optimistic": [{ "op": "update", "type": "Task", "id": id, "patch": patch }]
    })
}

/// DELETE /tasks/<id> with the optimistic delete.
pub(super) fn delete_desc(id: u64) -> Value {
    json!({
        "request": { "method": "DELETE", "url": format!("/tasks/{id}") },
        "optimistic": [{ "op": "delete", "type": "Task", "id": id }]
    })
}

/// POST /tasks with an optimistic insert of `data` into the `into` targets.
fn insert_desc(data: Value, into: Value) -> Value {
    json!({
        "request": { "method": "POST", "url": "/tasks", "body": data },
        "optimistic": [{ "op": "insert", "type": "Task", "data": data, "into": into }]
    })
}

/// A Send action, its body parsed.
#[derive(Debug, Clone)]
pub(super) struct Sent {
    pub(super) id: String,
    pub(super) ticket: u64,
    pub(super) method: String,
    pub(super) url: String,
    pub(super) headers: Map<String, Value>,
    pub(super) body: Option<Value>,
    pub(super) timeout: f64,
}

impl Sent {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(Value::as_str)
    }
}

pub(super) fn sends(out: &Output) -> Vec<Sent> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::Send {
                id,
                ticket,
                method,
                url,
                headers,
                body,
                timeout,
            } => Some(Sent {
                id: id.clone(),
                ticket: *ticket,
                method: method.clone(),
                url: url.clone(),
                headers: headers.clone(),
                body: body.as_ref().map(|b| {
                    serde_json::from_str(b).unwrap_or_else(|e| panic!("body {b} is not JSON: {e}"))
                }),
                timeout: *timeout,
            }),
            _ => None,
        })
        .collect()
}

#[track_caller]
pub(super) fn one_send(out: &Output) -> Sent {
    let mut v = sends(out);
    assert_eq!(
        v.len(),
        1,
        "expected one Send, got actions {:?}",
        out.actions
    );
    v.remove(0)
}

#[track_caller]
pub(super) fn no_send(out: &Output) {
    assert!(
        sends(out).is_empty(),
        "unexpected Send actions: {:?}",
        out.actions
    );
}

pub(super) fn http(status: u16, body: &str) -> Settle {
    Settle::Http {
        status,
        body: body.to_owned(),
        retry_after: None,
    }
}

fn ok(v: Value) -> Settle {
    http(200, &v.to_string())
}

pub(super) fn network() -> Settle {
    Settle::Failed(ErrorInfo::new("NETWORK", "the network request failed"))
}

fn answer(s: &mut Store, sent: &Sent, result: Settle, now: f64) -> Output {
    s.settle_mutation(&sent.id, sent.ticket, result, now, R)
}

/// The settled mutations as `(id, Ok(result) | Err(code))`.
pub(super) fn settled(out: &Output) -> Vec<(String, std::result::Result<Value, String>)> {
    out.settled
        .iter()
        .map(|(id, r)| (id.clone(), r.clone().map_err(|e| e.code)))
        .collect()
}

/// The one settled entry's error.
#[track_caller]
fn settled_err(out: &Output, id: &str) -> ErrorInfo {
    match out.settled.as_slice() {
        [(i, Err(e))] if i == id => e.clone(),
        other => panic!("expected `{id}` to settle with an error, got {other:?}"),
    }
}

/// The `mutations()` entry of `id`.
#[track_caller]
pub(super) fn listing(s: &Store, id: &str) -> Value {
    s.mutation_list()
        .into_iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("mutation `{id}` is not listed: {:?}", s.mutation_list()))
}

pub(super) fn status(s: &Store, id: &str) -> Option<String> {
    s.mutation_list()
        .into_iter()
        .find(|m| m["id"] == id)
        .and_then(|m| m["status"].as_str().map(str::to_owned))
}

pub(super) fn sync(s: &Store) -> Value {
    serde_json::to_value(s.sync_state()).expect("sync state serializes")
}

#[track_caller]
pub(super) fn task(s: &Store, id: &str) -> Value {
    s.read_entity("Task", id)
        .unwrap_or_else(|| panic!("Task {id} is not visible"))
}

/// The `id`s of the visible list (`LIST`), or of the page's items (`PAGE`).
pub(super) fn ids(s: &Store, hash: &str) -> Vec<Value> {
    let v = read(s, hash);
    let items = if hash == PAGE { &v["items"] } else { &v };
    items
        .as_array()
        .unwrap_or_else(|| panic!("{hash} holds no list: {v}"))
        .iter()
        .map(|t| t["id"].clone())
        .collect()
}

fn server_task(title: &str, note: &str, version: u64) -> Value {
    json!({ "id": 1, "title": title, "done": false, "note": note, "version": version,
            "assignee": { "id": "u1", "name": "Ann" } })
}

// ---------------------------------------------------------------------------------------------
// lifecycle

#[test]
fn mutate_applies_the_layer_at_once_and_sends_one_request() {
    let mut s = seeded();
    let out = mutate(&mut s, "m1", patch_desc(1, json!({ "title": "local" })), T0);
    assert_eq!(out.changes.written_entities, vec!["Task:1".to_owned()]);
    assert_eq!(out.changes.dependent_queries, vec![LIST.to_owned()]);
    assert_eq!(task(&s, "1")["title"], "local");
    assert_eq!(read(&s, LIST)[0]["title"], "local");
    assert_eq!(task(&s, "1")["note"], "n1", "other fields stay");
    assert!(out.sync);
    let sent = one_send(&out);
    assert_eq!(sent.id, "m1");
    assert_eq!(sent.method, "PATCH");
    assert_eq!(sent.url, "/tasks/1");
    assert_eq!(sent.header("Idempotency-Key"), Some("m1"));
    assert_eq!(sent.header("If-Match"), Some("\"1\""));
    assert_eq!(sent.header("Content-Type"), Some("application/json"));
    assert_eq!(sent.body, Some(json!({ "title": "local", "version": 1 })));
    assert_eq!(sent.timeout, 30_000.0);
    let m = listing(&s, "m1");
    assert_eq!(m["status"], "inflight");
    assert_eq!(m["attempts"], 1);
    assert_eq!(m["request"]["url"], "/tasks/1");
    let y = sync(&s);
    assert_eq!(
        (y["pending"].clone(), y["inflight"].clone()),
        (json!(1), json!(1))
    );
}

#[test]
fn output_json_carries_the_send_the_settlement_and_the_queue() {
    let mut s = seeded();
    let out = mutate(&mut s, "m1", patch_desc(1, json!({ "title": "local" })), T0);
    let sent = one_send(&out);
    let v: Value = serde_json::from_str(&output_json(&s, &out, 0, T0)).expect("JSON");
    assert_eq!(
        v["a"],
        json!([[
            "m",
            "m1",
            sent.ticket,
            "PATCH",
            "/tasks/1",
            { "Idempotency-Key": "m1", "If-Match": "\"1\"", "Content-Type": "application/json" },
            "{\"title\":\"local\",\"version\":1}",
            30_000.0
        ]])
    );
    assert_eq!(
        s.mutation_list()[0]["status"],
        "inflight",
        "the list is read on demand"
    );
    assert!(
        v["y"].get("list").is_none(),
        "batches carry the sync state, not the list"
    );
    assert_eq!(v["y"]["state"]["pending"], 1);
    assert_eq!(v["ms"], json!([]));
    let out = answer(&mut s, &sent, ok(json!({ "saved": true })), T0 + 1.0);
    let v: Value = serde_json::from_str(&output_json(&s, &out, 0, T0 + 1.0)).expect("JSON");
    assert_eq!(v["ms"], json!([["m1", true, { "saved": true }]]));
    assert_eq!(s.mutation_list(), Vec::<Value>::new());
    assert_eq!(v["y"]["state"]["pending"], 0);

    let out = mutate(
        &mut s,
        "m2",
        patch_desc(2, json!({ "title": "x" })),
        T0 + 2.0,
    );
    let sent = one_send(&out);
    let out = answer(&mut s, &sent, http(422, "{\"error\":\"bad\"}"), T0 + 3.0);
    let v: Value = serde_json::from_str(&output_json(&s, &out, 0, T0 + 3.0)).expect("JSON");
    assert_eq!(v["ms"][0][0], "m2");
    assert_eq!(v["ms"][0][1], false);
    assert_eq!(v["ms"][0][2]["code"], "HTTP");
    assert_eq!(v["ms"][0][2]["status"], 422);
    assert_eq!(s.mutation_list()[0]["status"], "failed");
    assert_eq!(v["y"]["state"]["failed"], 1);
}

#[test]
fn mutations_are_sent_one_at_a_time_in_order() {
    let mut s = seeded();
    let s1 = one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "a" })),
        T0,
    ));
    let out = mutate(
        &mut s,
        "m2",
        patch_desc(2, json!({ "title": "b" })),
        T0 + 1.0,
    );
    no_send(&out);
    assert_eq!(
        task(&s, "2")["title"],
        "b",
        "a queued mutation is visible at once"
    );
    let out = mutate(
        &mut s,
        "m3",
        patch_desc(1, json!({ "title": "c" })),
        T0 + 2.0,
    );
    no_send(&out);
    assert_eq!(task(&s, "1")["title"], "c", "later layers go on top");
    let statuses: Vec<Value> = s
        .mutation_list()
        .iter()
        .map(|m| m["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        vec![json!("inflight"), json!("queued"), json!("queued")]
    );
    no_send(&s.tick(T0 + 100_000.0));

    let out = answer(&mut s, &s1, http(204, ""), T0 + 3.0);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
    let s2 = one_send(&out);
    assert_eq!(s2.id, "m2");
    assert!(s2.ticket > s1.ticket);
    let out = answer(&mut s, &s2, http(400, "no"), T0 + 4.0);
    assert_eq!(
        settled(&out),
        vec![("m2".to_owned(), Err("HTTP".to_owned()))]
    );
    let s3 = one_send(&out);
    assert_eq!(s3.id, "m3");
    let out = answer(&mut s, &s3, http(200, ""), T0 + 5.0);
    no_send(&out);
    assert_eq!(task(&s, "1")["title"], "c");
    assert_eq!(task(&s, "2")["title"], "two", "m2 failed and rolled back");
    assert_eq!(
        s.mutation_list().len(),
        1,
        "only the failed m2 stays listed"
    );
}

#[test]
fn success_resolves_with_the_parsed_body_and_commits_the_ops() {
    let mut s = seeded();
    let sent = one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "local" })),
        T0,
    ));
    let out = answer(
        &mut s,
        &sent,
        ok(json!({ "ok": true, "n": [1, 2] })),
        T0 + 5.0,
    );
    assert_eq!(
        settled(&out),
        vec![("m1".to_owned(), Ok(json!({ "ok": true, "n": [1, 2] })))]
    );
    assert!(s.mutation_list().is_empty());
    let y = sync(&s);
    assert_eq!(y["pending"], 0);
    assert_eq!(y["lastSyncAt"], T0 + 5.0);
    assert_eq!(y["lastError"], Value::Null);
    assert!(
        out.changes.written_entities.is_empty(),
        "the visible state does not move"
    );
    assert_eq!(task(&s, "1")["title"], "local");

    // The ops are in the base now: a later mutation's rollback returns to them.
    let sent = one_send(&mutate(
        &mut s,
        "m2",
        patch_desc(1, json!({ "title": "again" })),
        T0 + 6.0,
    ));
    assert_eq!(
        sent.header("If-Match"),
        Some("\"1\""),
        "no response: the base version stays"
    );
    answer(&mut s, &sent, http(422, ""), T0 + 7.0);
    assert_eq!(task(&s, "1")["title"], "local");
}

#[test]
fn success_with_a_shape_writes_the_response_and_resolves_with_it_denormalized() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "local" })),
        json!({ "shape": "Task" }),
    );
    let sent = one_send(&mutate(&mut s, "m1", desc, T0));
    let response = json!({ "id": 1, "title": "local (saved)", "version": 2,
                           "assignee": { "id": "u3", "name": "Cy" } });
    let out = answer(&mut s, &sent, ok(response), T0 + 1.0);
    let expected = json!({ "id": 1, "title": "local (saved)", "done": false, "note": "n1",
                           "version": 2, "assignee": { "id": "u3", "name": "Cy" } });
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(expected.clone()))]);
    assert_eq!(task(&s, "1"), expected);
    assert_eq!(
        s.read_entity("User", "u3"),
        Some(json!({ "id": "u3", "name": "Cy" }))
    );
    assert!(out.changes.written_entities.contains(&"Task:1".to_owned()));
}

#[test]
fn success_commits_the_ops_then_writes_the_response_under_later_layers() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "first" })),
        json!({ "shape": "Task" }),
    );
    let s1 = one_send(&mutate(&mut s, "m1", desc, T0));
    mutate(
        &mut s,
        "m2",
        patch_desc(1, json!({ "title": "second" })),
        T0 + 1.0,
    );
    // The server normalizes the title and bumps the version.
    let out = answer(
        &mut s,
        &s1,
        ok(json!({ "id": 1, "title": "First", "note": "server note", "version": 2 })),
        T0 + 2.0,
    );
    let s2 = one_send(&out);
    let t = task(&s, "1");
    assert_eq!(
        t["title"], "second",
        "m2's layer stays on top of the response"
    );
    assert_eq!(
        (t["note"].clone(), t["version"].clone()),
        (json!("server note"), json!(2))
    );
    // m2 fails: what shows is the response m1 got, not the state before m1.
    answer(&mut s, &s2, http(422, ""), T0 + 3.0);
    let t = task(&s, "1");
    assert_eq!(t["title"], "First");
    assert_eq!(t["note"], "server note");
    assert_eq!(t["version"], 2);
}

#[test]
fn invalidate_keys_mark_matching_queries_stale_after_success() {
    let mut s = seeded();
    put(&mut s, "other", json!([]), list_shape(), T0);
    // An observed detail query with a url: invalidation refetches it.
    let out = s
        .observe(
            "detail",
            &json!(["tasks", 1]).to_string(),
            &json!({ "url": "/tasks/1", "shape": "Task", "staleTime": 1e9 }).to_string(),
            T0,
        )
        .expect("observe");
    let fetch = out
        .actions
        .iter()
        .find_map(|a| match a {
            Action::Fetch { ticket, .. } => Some(*ticket),
            _ => None,
        })
        .expect("a fetch of the detail");
    s.settle("detail", fetch, ok(seed_tasks()[0].clone()), T0, R);
    assert!(!s.meta("detail").expect("meta").is_stale(T0 + 1.0));

    let desc = with(
        patch_desc(1, json!({ "title": "local" })),
        json!({ "invalidate": [["tasks"]] }),
    );
    let sent = one_send(&mutate(&mut s, "m1", desc, T0 + 1.0));
    assert!(
        !s.meta("detail").expect("meta").invalidated(),
        "nothing before success"
    );
    let out = answer(&mut s, &sent, http(204, ""), T0 + 2.0);
    assert!(s.meta(LIST).expect("meta").invalidated());
    assert!(s.meta("detail").expect("meta").invalidated());
    assert!(
        !s.meta("other").expect("meta").invalidated(),
        "['other'] does not match"
    );
    assert!(out.states.contains(&LIST.to_owned()));
    assert!(out.states.contains(&"detail".to_owned()));
    assert!(
        out.actions
            .iter()
            .any(|a| matches!(a, Action::Fetch { hash, .. } if hash == "detail")),
        "the active detail query refetches: {:?}",
        out.actions
    );

    // A failed mutation invalidates nothing.
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "local" })),
        json!({ "invalidate": [["tasks"]] }),
    );
    let sent = one_send(&mutate(&mut s, "m1", desc, T0));
    answer(&mut s, &sent, http(400, ""), T0 + 1.0);
    assert!(!s.meta(LIST).expect("meta").invalidated());
}

#[test]
fn a_client_error_drops_the_layer_at_once_and_lists_the_failure() {
    let mut s = seeded();
    let sent = one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "local" })),
        T0,
    ));
    let out = answer(
        &mut s,
        &sent,
        http(422, "{\"error\":\"title taken\"}"),
        T0 + 1.0,
    );
    let e = settled_err(&out, "m1");
    assert_eq!((e.code.as_str(), e.status), ("HTTP", Some(422)));
    assert_eq!(e.body.as_deref(), Some("{\"error\":\"title taken\"}"));
    assert!(e.message.contains("PATCH /tasks/1"), "{}", e.message);
    assert_eq!(task(&s, "1")["title"], "one");
    assert_eq!(read(&s, LIST)[0]["title"], "one");
    assert_eq!(out.changes.written_entities, vec!["Task:1".to_owned()]);
    let m = listing(&s, "m1");
    assert_eq!(m["status"], "failed");
    assert_eq!(m["error"]["code"], "HTTP");
    assert_eq!(m["error"]["status"], 422);
    let y = sync(&s);
    assert_eq!(
        (y["failed"].clone(), y["pending"].clone()),
        (json!(1), json!(0))
    );
    assert_eq!(y["lastError"]["status"], 422);
    no_send(&s.tick(T0 + 100_000.0));
}

#[test]
fn retry_mutation_reapplies_the_layer_and_resends() {
    let mut s = seeded();
    let s1 = one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "local" })),
        T0,
    ));
    answer(&mut s, &s1, http(422, ""), T0 + 1.0);
    // Meanwhile the server moved on: the retry is based on the new base.
    put(
        &mut s,
        LIST,
        json!([{ "id": 1, "title": "one", "version": 5 }]),
        list_shape(),
        T0 + 2.0,
    );
    expect_err(s.retry_mutation("nope", T0 + 3.0), "INVALID_ARGUMENT");
    let out = s.retry_mutation("m1", T0 + 3.0).expect("retry");
    assert_eq!(task(&s, "1")["title"], "local");
    assert!(out.changes.written_entities.contains(&"Task:1".to_owned()));
    let s2 = one_send(&out);
    assert!(s2.ticket > s1.ticket);
    assert_eq!(s2.header("Idempotency-Key"), Some("m1"));
    assert_eq!(s2.header("If-Match"), Some("\"5\""));
    assert_eq!(s2.body, Some(json!({ "title": "local", "version": 5 })));
    let m = listing(&s, "m1");
    assert_eq!(
        (m["status"].clone(), m["attempts"].clone()),
        (json!("inflight"), json!(2))
    );
    assert!(m.get("error").is_none(), "the error is cleared: {m}");
    expect_err(s.retry_mutation("m1", T0 + 4.0), "INVALID_ARGUMENT");
    let out = answer(&mut s, &s2, http(200, ""), T0 + 5.0);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
    assert!(s.mutation_list().is_empty());
    assert_eq!(task(&s, "1")["title"], "local");
}

#[test]
fn a_retried_mutation_goes_to_the_back_of_the_queue() {
    let mut s = seeded();
    let s1 = one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "a" })),
        T0,
    ));
    mutate(
        &mut s,
        "m2",
        patch_desc(1, json!({ "title": "b" })),
        T0 + 1.0,
    );
    let out = answer(&mut s, &s1, http(400, ""), T0 + 2.0);
    let s2 = one_send(&out);
    assert_eq!(task(&s, "1")["title"], "b");
    let out = s.retry_mutation("m1", T0 + 3.0).expect("retry");
    no_send(&out);
    assert_eq!(task(&s, "1")["title"], "a", "the retried layer goes on top");
    let ids: Vec<Value> = s.mutation_list().iter().map(|m| m["id"].clone()).collect();
    assert_eq!(ids, vec![json!("m2"), json!("m1")]);
    let out = answer(&mut s, &s2, http(200, ""), T0 + 4.0);
    assert_eq!(one_send(&out).id, "m1");
}

#[test]
fn discard_removes_a_mutation_and_its_layer() {
    let mut s = seeded();
    let s1 = one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "a" })),
        T0,
    ));
    mutate(
        &mut s,
        "m2",
        patch_desc(2, json!({ "title": "b" })),
        T0 + 1.0,
    );
    expect_err(s.discard_mutation("m1", T0 + 2.0), "INVALID_ARGUMENT");
    expect_err(s.discard_mutation("nope", T0 + 2.0), "INVALID_ARGUMENT");

    // A queued one: its layer goes and it settles CANCELLED.
    let out = s.discard_mutation("m2", T0 + 2.0).expect("discard");
    assert_eq!(
        settled(&out),
        vec![("m2".to_owned(), Err("CANCELLED".to_owned()))]
    );
    assert_eq!(task(&s, "2")["title"], "two");
    assert!(out.changes.written_entities.contains(&"Task:2".to_owned()));
    assert_eq!(status(&s, "m2"), None);

    // A failed one: removed without a second settlement.
    answer(&mut s, &s1, http(400, ""), T0 + 3.0);
    let out = s.discard_mutation("m1", T0 + 4.0).expect("discard");
    assert!(out.settled.is_empty(), "{:?}", out.settled);
    assert!(s.mutation_list().is_empty());
    assert_eq!(task(&s, "1")["title"], "one");
}

#[test]
fn discarding_the_waiting_head_sends_the_next_at_once() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "a" })),
        json!({ "retryDelay": 1000 }),
    );
    let s1 = one_send(&mutate(&mut s, "m1", desc, T0));
    mutate(
        &mut s,
        "m2",
        patch_desc(2, json!({ "title": "b" })),
        T0 + 1.0,
    );
    no_send(&answer(&mut s, &s1, http(503, ""), T0 + 2.0));
    let out = s.discard_mutation("m1", T0 + 3.0).expect("discard");
    assert_eq!(one_send(&out).id, "m2");
}

#[test]
fn server_errors_are_retried_with_backoff_then_fail() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "local" })),
        json!({ "retry": 2, "retryDelay": 100 }),
    );
    let s1 = one_send(&mutate(&mut s, "m1", desc, T0));

    let t1 = T0 + 10.0;
    let out = answer(&mut s, &s1, http(500, "oops"), t1);
    no_send(&out);
    assert!(out.settled.is_empty());
    assert_eq!(status(&s, "m1").as_deref(), Some("queued"));
    assert_eq!(
        task(&s, "1")["title"],
        "local",
        "the layer stays while retrying"
    );
    let due1 = t1 + retry::delay(1, 100.0, R, None);
    assert_eq!(out.wake_at, Some(due1));
    assert_eq!(sync(&s)["lastError"]["status"], 500);
    no_send(&s.tick(due1 - 1.0));
    let s2 = one_send(&s.tick(due1));
    assert!(s2.ticket > s1.ticket);
    assert_eq!(
        s2.header("Idempotency-Key"),
        Some("m1"),
        "the same key on every attempt"
    );
    assert_eq!(s2.body, s1.body);

    // The first attempt's late answer is dropped.
    let late = answer(&mut s, &s1, http(200, ""), due1 + 1.0);
    assert!(late.settled.is_empty());
    assert_eq!(status(&s, "m1").as_deref(), Some("inflight"));

    let t2 = due1 + 5.0;
    let out = answer(&mut s, &s2, http(503, ""), t2);
    let due2 = t2 + retry::delay(2, 100.0, R, None);
    assert_eq!(out.wake_at, Some(due2));
    no_send(&s.tick(due2 - 1.0));
    let s3 = one_send(&s.tick(due2));

    let out = answer(&mut s, &s3, http(500, "still"), due2 + 1.0);
    let e = settled_err(&out, "m1");
    assert_eq!((e.code.as_str(), e.status), ("HTTP", Some(500)));
    assert_eq!(task(&s, "1")["title"], "one");
    let m = listing(&s, "m1");
    assert_eq!(
        (m["status"].clone(), m["attempts"].clone()),
        (json!("failed"), json!(3))
    );
    assert_eq!(out.wake_at, None);
}

#[test]
fn retry_after_is_a_floor_for_the_resend() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "x" })),
        json!({ "retryDelay": 100 }),
    );
    let s1 = one_send(&mutate(&mut s, "m1", desc, T0));
    let out = answer(
        &mut s,
        &s1,
        Settle::Http {
            status: 429,
            body: String::new(),
            retry_after: Some("5".to_owned()),
        },
        T0,
    );
    assert_eq!(out.wake_at, Some(T0 + 5000.0));
    no_send(&s.tick(T0 + 4999.0));
    one_send(&s.tick(T0 + 5000.0));
}

#[test]
fn network_errors_requeue_without_counting_against_retry() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "local" })),
        json!({ "retry": 0, "retryDelay": 100 }),
    );
    let mut sent = one_send(&mutate(&mut s, "m1", desc, T0));
    let mut now = T0;
    for attempt in 1..=3u32 {
        now += 10.0;
        let out = answer(&mut s, &sent, network(), now);
        no_send(&out);
        assert!(
            out.settled.is_empty(),
            "a network error is not final: {:?}",
            out.settled
        );
        assert_eq!(status(&s, "m1").as_deref(), Some("queued"));
        assert_eq!(task(&s, "1")["title"], "local");
        assert_eq!(sync(&s)["lastError"]["code"], "NETWORK");
        let due = now + retry::delay(attempt, 100.0, R, None);
        assert_eq!(out.wake_at, Some(due));
        no_send(&s.tick(due - 1.0));
        let next = one_send(&s.tick(due));
        assert!(next.ticket > sent.ticket);
        assert_eq!(next.header("Idempotency-Key"), Some("m1"));
        sent = next;
        now = due;
    }
    let out = answer(&mut s, &sent, http(200, ""), now + 1.0);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
    assert_eq!(task(&s, "1")["title"], "local");
}

#[test]
fn reconnecting_resends_at_once() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "local" })),
        json!({ "retryDelay": 10_000 }),
    );
    let s1 = one_send(&mutate(&mut s, "m1", desc, T0));
    answer(&mut s, &s1, network(), T0 + 1.0);
    let out = s.set_online(false, T0 + 2.0);
    no_send(&out);
    assert_eq!(sync(&s)["online"], false);
    no_send(&s.tick(T0 + 100_000.0));
    // Back online well before... and long after the backoff: sent at once either way.
    let s2 = one_send(&s.set_online(true, T0 + 100_001.0));
    assert_eq!(s2.id, "m1");
    assert!(s2.ticket > s1.ticket);
    answer(&mut s, &s2, network(), T0 + 100_002.0);
    s.set_online(false, T0 + 100_003.0);
    let s3 = one_send(&s.set_online(true, T0 + 100_004.0));
    assert_eq!(s3.id, "m1");

    // A mutation made offline waits for the network.
    let mut s = seeded();
    s.set_online(false, T0);
    let out = mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "offline" })),
        T0 + 1.0,
    );
    no_send(&out);
    assert_eq!(task(&s, "1")["title"], "offline");
    assert_eq!(status(&s, "m1").as_deref(), Some("queued"));
    no_send(&s.tick(T0 + 50_000.0));
    assert_eq!(one_send(&s.set_online(true, T0 + 50_001.0)).id, "m1");
}

#[test]
fn unauthorized_pauses_the_queue_until_flush() {
    let mut s = seeded();
    let s1 = one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "a" })),
        T0,
    ));
    let out = answer(&mut s, &s1, http(401, "{\"error\":\"expired\"}"), T0 + 1.0);
    no_send(&out);
    assert!(out.settled.is_empty(), "nothing settles: {:?}", out.settled);
    assert_eq!(task(&s, "1")["title"], "a", "nothing is rolled back");
    assert_eq!(status(&s, "m1").as_deref(), Some("queued"));
    let y = sync(&s);
    assert_eq!(y["lastError"]["code"], "AUTH");
    assert_eq!(y["lastError"]["status"], 401);
    assert_eq!(y["pending"], 1);

    no_send(&mutate(
        &mut s,
        "m2",
        patch_desc(2, json!({ "title": "b" })),
        T0 + 2.0,
    ));
    assert_eq!(task(&s, "2")["title"], "b");
    no_send(&s.tick(T0 + 100_000.0));
    no_send(&s.set_online(false, T0 + 100_001.0));
    no_send(&s.set_online(true, T0 + 100_002.0));
    assert_eq!(task(&s, "1")["title"], "a");

    let out = s.flush(T0 + 100_003.0);
    let s1b = one_send(&out);
    assert_eq!(s1b.id, "m1", "the paused head goes first");
    assert!(s1b.ticket > s1.ticket);
    let out = answer(&mut s, &s1b, http(200, ""), T0 + 100_004.0);
    assert_eq!(one_send(&out).id, "m2");
}

#[test]

fn wake_at_is_not_in_the_past_while_offline() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "a" })),
        json!({ "retryDelay": 100 }),
    );
    let s1 = one_send(&mutate(&mut s, "m1", desc, T0));
    answer(&mut s, &s1, network(), T0 + 1.0);
    s.set_online(false, T0 + 2.0);
    let now = T0 + 10_000.0;
    let out = s.tick(now);
    no_send(&out);
    assert!(
        out.wake_at.is_none_or(|w| w > now),
        "tick at {now} asks to be called again at {:?}: the JS timer would spin until online",
        out.wake_at
    );
}

#[test]

fn wake_at_is_not_in_the_past_while_the_head_waits_behind_a_send() {
    let mut s = seeded();
    let manual = with(
        patch_desc(1, json!({ "title": "a" })),
        json!({ "conflict": "manual" }),
    );
    let s0 = one_send(&mutate(&mut s, "m0", manual, T0));
    let desc = with(
        patch_desc(2, json!({ "title": "b" })),
        json!({ "retryDelay": 100 }),
    );
    mutate(&mut s, "m1", desc, T0 + 1.0);
    let conflict = server_task("server", "n1", 2).to_string();
    let s1 = one_send(&answer(&mut s, &s0, http(409, &conflict), T0 + 2.0));
    assert_eq!(s1.id, "m1");
    answer(&mut s, &s1, network(), T0 + 3.0);
    // m0 (ahead of m1 in the queue) is resolved and sent while m1 waits for its backoff.
    let out = s
        .resolve_conflict("m0", "\"local\"", T0 + 4.0)
        .expect("resolve");
    assert_eq!(one_send(&out).id, "m0");
    let now = T0 + 10_000.0;
    let out = s.tick(now);
    no_send(&out);
    assert!(
        out.wake_at.is_none_or(|w| w > now),
        "tick at {now} asks to be called again at {:?}",
        out.wake_at
    );
}

// ---------------------------------------------------------------------------------------------
// versions and conflicts

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
    let sent = one_send(&mutate(
        &mut s,
        "m",
        patch_desc(7, json!({ "title": "y" })),
        T0,
    ));
    assert_eq!(sent.header("If-Match"), Some("\"v7\""));
    assert_eq!(sent.body, Some(json!({ "title": "y", "version": "v7" })));

    // Not cached: no version to guard with.
    let mut s = seeded();
    let sent = one_send(&mutate(
        &mut s,
        "m",
        patch_desc(99, json!({ "title": "y" })),
        T0,
    ));
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
    let sent = one_send(&mutate(
        &mut s,
        "m",
        patch_desc(8, json!({ "title": "y" })),
        T0,
    ));
    assert_eq!(sent.header("If-Match"), None);

    // A type without a version field.
    let mut s = seeded();
    let desc = json!({
        "request": { "method": "PUT", "url": "/users/u1", "body": { "name": "A" } },
        "optimistic": [{ "op": "update", "type": "User", "id": "u1", "patch": { "name": "A" } }]
    });
    let sent = one_send(&mutate(&mut s, "m", desc, T0));
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
    let sent = one_send(&mutate(&mut s, "m", desc, T0));
    assert_eq!(sent.header("If-Match"), Some("\"4\""));
    assert_eq!(sent.body, Some(json!({ "ops": 2, "version": 4 })));

    // A delete without a body: If-Match only.
    let mut s = seeded();
    let sent = one_send(&mutate(&mut s, "m", delete_desc(2), T0));
    assert_eq!(sent.method, "DELETE");
    assert_eq!(sent.header("If-Match"), Some("\"1\""));
    assert_eq!(sent.header("Content-Type"), None);
    assert_eq!(sent.body, None);

    // An insert has no subject.
    let mut s = seeded();
    let sent = one_send(&mutate(
        &mut s,
        "m",
        insert_desc(json!({ "id": "tmp-1", "title": "n" }), json!([])),
        T0,
    ));
    assert_eq!(sent.header("If-Match"), None);
    assert_eq!(sent.body, Some(json!({ "id": "tmp-1", "title": "n" })));

    // The base version, not a pending layer's: layers never carry the server's version.
    let mut s = seeded();
    let s1 = one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "version": 9 })),
        T0,
    ));
    assert_eq!(s1.header("If-Match"), Some("\"1\""));
    mutate(
        &mut s,
        "m2",
        patch_desc(1, json!({ "title": "x" })),
        T0 + 1.0,
    );
    let s2 = one_send(&answer(&mut s, &s1, http(400, ""), T0 + 2.0));
    assert_eq!(s2.header("If-Match"), Some("\"1\""));
}

#[test]

fn a_second_edit_is_sent_with_the_version_the_first_edit_returned() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "a" })),
        json!({ "shape": "Task" }),
    );
    let s1 = one_send(&mutate(&mut s, "m1", desc, T0));
    mutate(
        &mut s,
        "m2",
        patch_desc(1, json!({ "note": "b" })),
        T0 + 1.0,
    );
    let out = answer(&mut s, &s1, ok(server_task("a", "n1", 2)), T0 + 2.0);
    let s2 = one_send(&out);
    assert_eq!(
        s.entity("Task:1").map(|r| r["version"].clone()),
        Some(json!(2))
    );
    assert_eq!(
        s2.header("If-Match"),
        Some("\"2\""),
        "m2 is based on our own committed edit (version 2), not on version 1"
    );
    assert_eq!(s2.body, Some(json!({ "note": "b", "version": 2 })));
}

fn conflict_case(policy: &str, current: &Value) -> (Store, Output) {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "local" })),
        json!({ "conflict": policy }),
    );
    let sent = one_send(&mutate(&mut s, "m1", desc, T0));
    let out = answer(&mut s, &sent, http(409, &current.to_string()), T0 + 1.0);
    (s, out)
}

#[test]
fn conflict_server_wins_drops_the_change_and_shows_the_server_version() {
    let current = server_task("server", "server note", 2);
    for policy in [None, Some("server-wins")] {
        let mut s = seeded();
        let mut desc = patch_desc(1, json!({ "title": "local" }));
        if let Some(p) = policy {
            desc = with(desc, json!({ "conflict": p }));
        }
        let sent = one_send(&mutate(&mut s, "m1", desc, T0));
        let out = answer(&mut s, &sent, http(409, &current.to_string()), T0 + 1.0);
        no_send(&out);
        let e = settled_err(&out, "m1");
        assert_eq!(e.code, "CONFLICT");
        assert_eq!(
            e.body
                .as_deref()
                .map(|b| serde_json::from_str::<Value>(b).expect("JSON")),
            Some(current.clone())
        );
        assert_eq!(task(&s, "1"), current, "{policy:?}");
        assert!(out.changes.written_entities.contains(&"Task:1".to_owned()));
        assert!(!matches!(
            status(&s, "m1").as_deref(),
            Some("queued" | "inflight" | "conflict")
        ));
        assert_eq!(sync(&s)["pending"], 0);
    }
}

#[test]
fn conflict_client_wins_resends_with_the_server_version() {
    let current = server_task("server", "server note", 2);
    let (mut s, out) = conflict_case("client-wins", &current);
    assert!(out.settled.is_empty());
    let sent = one_send(&out);
    assert_eq!(sent.header("If-Match"), Some("\"2\""));
    assert_eq!(sent.body, Some(json!({ "title": "local", "version": 2 })));
    assert_eq!(
        sent.header("Idempotency-Key"),
        Some("m1.1"),
        "a changed request gets a new key revision"
    );
    let t = task(&s, "1");
    assert_eq!(t["title"], "local");
    assert_eq!(
        (t["note"].clone(), t["version"].clone()),
        (json!("server note"), json!(2))
    );
    assert_eq!(listing(&s, "m1")["attempts"], 2);
    // A retry of the resent request keeps its key.
    no_send(&answer(&mut s, &sent, http(502, ""), T0 + 2.0));
    let again = one_send(&s.tick(T0 + 100_000.0));
    assert_eq!(again.header("Idempotency-Key"), Some("m1.1"));
    assert_eq!(again.header("If-Match"), Some("\"2\""));
    let out = answer(&mut s, &again, http(200, ""), T0 + 100_001.0);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
    assert_eq!(task(&s, "1")["title"], "local");
}

#[test]
fn conflict_merge_without_overlap_resends_with_the_server_version() {
    // The server changed `note` only; the local change is to `title`.
    let current = server_task("one", "server note", 2);
    let (s, out) = conflict_case("merge", &current);
    let sent = one_send(&out);
    assert_eq!(sent.header("If-Match"), Some("\"2\""));
    assert_eq!(sent.body, Some(json!({ "title": "local", "version": 2 })));
    let t = task(&s, "1");
    assert_eq!(t["title"], "local");
    assert_eq!(t["note"], "server note");
    assert_eq!(status(&s, "m1").as_deref(), Some("inflight"));
}

#[test]
fn conflict_merge_with_overlap_waits_for_a_resolution() {
    let current = server_task("server", "server note", 2);
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "local" })),
        json!({ "conflict": "merge" }),
    );
    let sent = one_send(&mutate(&mut s, "m1", desc, T0));
    mutate(
        &mut s,
        "m2",
        patch_desc(2, json!({ "title": "b" })),
        T0 + 1.0,
    );
    let out = answer(&mut s, &sent, http(409, &current.to_string()), T0 + 2.0);
    assert!(out.settled.is_empty());
    assert_eq!(
        one_send(&out).id,
        "m2",
        "a conflict does not block the queue"
    );
    let m = listing(&s, "m1");
    assert_eq!(m["status"], "conflict");
    assert_eq!(m["conflict"]["base"]["title"], "one");
    assert_eq!(m["conflict"]["local"]["title"], "local");
    assert_eq!(m["conflict"]["server"], current);
    let t = task(&s, "1");
    assert_eq!(t["title"], "local", "the local change stays visible");
    assert_eq!(t["note"], "server note");
    let y = sync(&s);
    assert_eq!(
        (y["conflicts"].clone(), y["pending"].clone()),
        (json!(1), json!(1))
    );
}

#[test]
fn conflict_manual_waits_for_a_resolution_even_without_overlap() {
    let current = server_task("one", "server note", 2);
    let (s, out) = conflict_case("manual", &current);
    no_send(&out);
    assert!(out.settled.is_empty());
    assert_eq!(status(&s, "m1").as_deref(), Some("conflict"));
    assert_eq!(listing(&s, "m1")["conflict"]["server"], current);
    assert_eq!(task(&s, "1")["title"], "local");
    let mut s = s;
    no_send(&s.tick(T0 + 100_000.0));
    assert_eq!(status(&s, "m1").as_deref(), Some("conflict"));
}

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
    one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "x" })),
        T0,
    ));
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

#[test]
fn a_conflict_answer_may_wrap_the_current_entity() {
    let current = server_task("server", "server note", 2);
    let (s, out) = conflict_case("server-wins", &json!({ "current": current }));
    assert_eq!(settled_err(&out, "m1").code, "CONFLICT");
    assert_eq!(task(&s, "1"), current);
    let (s, out) = conflict_case("client-wins", &json!({ "current": current }));
    assert_eq!(one_send(&out).header("If-Match"), Some("\"2\""));
    assert_eq!(task(&s, "1")["note"], "server note");
}

#[test]
fn a_precondition_failure_is_a_conflict() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "local" })),
        json!({ "conflict": "client-wins" }),
    );
    let sent = one_send(&mutate(&mut s, "m1", desc, T0));
    let current = server_task("server", "n1", 3).to_string();
    let out = answer(&mut s, &sent, http(412, &current), T0 + 1.0);
    assert_eq!(one_send(&out).header("If-Match"), Some("\"3\""));
}

#[test]
fn a_bodyless_conflict_reads_the_current_entity_first() {
    let current = server_task("server", "server note", 2);
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "local" })),
        json!({ "conflict": "client-wins" }),
    );
    let s1 = one_send(&mutate(&mut s, "m1", desc, T0));
    let out = answer(&mut s, &s1, http(409, ""), T0 + 1.0);
    assert!(out.settled.is_empty());
    let get = one_send(&out);
    assert_eq!(get.id, "m1");
    assert_eq!(get.method, "GET");
    assert_eq!(get.url, "/tasks/1");
    assert_eq!(get.body, None);
    assert_eq!(get.header("If-Match"), None);
    assert_eq!(get.header("Idempotency-Key"), Some("m1"));
    assert!(get.ticket > s1.ticket);
    assert_eq!(task(&s, "1")["title"], "local");
    // The GET's answer drives the policy.
    let out = answer(&mut s, &get, ok(current.clone()), T0 + 2.0);
    let resend = one_send(&out);
    assert_eq!(resend.method, "PATCH");
    assert_eq!(resend.header("If-Match"), Some("\"2\""));
    assert_eq!(resend.body, Some(json!({ "title": "local", "version": 2 })));
    assert_eq!(task(&s, "1")["note"], "server note");

    // Server wins after the read.
    let mut s = seeded();
    let s1 = one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "local" })),
        T0,
    ));
    let get = one_send(&answer(&mut s, &s1, http(409, "  "), T0 + 1.0));
    assert_eq!(get.method, "GET");
    let out = answer(&mut s, &get, ok(json!({ "current": current })), T0 + 2.0);
    assert_eq!(settled_err(&out, "m1").code, "CONFLICT");
    assert_eq!(task(&s, "1"), current);

    // The read fails: the mutation fails as a conflict and rolls back.
    let mut s = seeded();
    let s1 = one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "local" })),
        T0,
    ));
    let get = one_send(&answer(&mut s, &s1, http(409, ""), T0 + 1.0));
    let out = answer(&mut s, &get, http(404, ""), T0 + 2.0);
    assert_eq!(settled_err(&out, "m1").code, "CONFLICT");
    assert_eq!(task(&s, "1")["title"], "one");
    assert_eq!(status(&s, "m1").as_deref(), Some("failed"));

    // A network error during the read: the read is retried, then the policy applies.
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "local" })),
        json!({ "retryDelay": 10 }),
    );
    let s1 = one_send(&mutate(&mut s, "m1", desc, T0));
    let get = one_send(&answer(&mut s, &s1, http(409, ""), T0 + 1.0));
    no_send(&answer(&mut s, &get, network(), T0 + 2.0));
    let get2 = one_send(&s.tick(T0 + 1000.0));
    assert_eq!(get2.method, "GET");
    let out = answer(&mut s, &get2, ok(current.clone()), T0 + 1001.0);
    assert_eq!(settled_err(&out, "m1").code, "CONFLICT");
}

// ---------------------------------------------------------------------------------------------
// bad input

#[test]
fn invalid_descriptions_are_refused_without_a_trace() {
    let update = |op: Value| json!({ "request": { "method": "PATCH", "url": "/tasks/1" }, "optimistic": [op] });
    let good_op = json!({ "op": "update", "type": "Task", "id": 1, "patch": { "title": "x" } });
    let cases: Vec<(&str, String)> = vec![
        ("unknown type", update(json!({ "op": "update", "type": "Nope", "id": 1, "patch": {} })).to_string()),
        ("no type", update(json!({ "op": "update", "id": 1, "patch": {} })).to_string()),
        ("missing id", update(json!({ "op": "update", "type": "Task", "patch": { "title": "x" } })).to_string()),
        ("null id", update(json!({ "op": "update", "type": "Task", "id": null, "patch": {} })).to_string()),
        ("object id", update(json!({ "op": "update", "type": "Task", "id": { "a": 1 }, "patch": {} })).to_string()),
        ("bool id", update(json!({ "op": "update", "type": "Task", "id": true, "patch": {} })).to_string()),
        ("delete without id", update(json!({ "op": "delete", "type": "Task" })).to_string()),
        ("patch a string", update(json!({ "op": "update", "type": "Task", "id": 1, "patch": "x" })).to_string()),
        ("patch a list", update(json!({ "op": "update", "type": "Task", "id": 1, "patch": [1] })).to_string()),
        ("patch missing", update(json!({ "op": "update", "type": "Task", "id": 1 })).to_string()),
        ("unknown op", update(json!({ "op": "upsert", "type": "Task", "id": 1, "patch": {} })).to_string()),
        ("no op", update(json!({ "type": "Task", "id": 1, "patch": {} })).to_string()),
        ("op not an object", update(json!("update")).to_string()),
        ("insert without data", update(json!({ "op": "insert", "type": "Task" })).to_string()),
        ("insert data a list", update(json!({ "op": "insert", "type": "Task", "data": [1] })).to_string()),
        ("into not a list", update(json!({ "op": "insert", "type": "Task", "data": { "id": "t" }, "into": { "hash": LIST } })).to_string()),
        ("into without hash", update(json!({ "op": "insert", "type": "Task", "data": { "id": "t" }, "into": [{ "position": "end" }] })).to_string()),
        ("bad position", update(json!({ "op": "insert", "type": "Task", "data": { "id": "t" }, "into": [{ "hash": LIST, "position": "middle" }] })).to_string()),
        ("bad path", update(json!({ "op": "insert", "type": "Task", "data": { "id": "t" }, "into": [{ "hash": LIST, "path": 5 }] })).to_string()),
        ("valid op then a bad one", json!({ "request": { "url": "/tasks/1" }, "optimistic": [good_op, { "op": "bogus" }] }).to_string()),
        ("optimistic not a list", json!({ "request": { "url": "/tasks/1" }, "optimistic": good_op }).to_string()),
        ("unknown option", with(patch_desc(1, json!({ "title": "x" })), json!({ "retries": 3 })).to_string()),
        ("bad conflict", with(patch_desc(1, json!({ "title": "x" })), json!({ "conflict": "theirs" })).to_string()),
        ("bad retry", with(patch_desc(1, json!({ "title": "x" })), json!({ "retry": -1 })).to_string()),
        ("bad retryDelay", with(patch_desc(1, json!({ "title": "x" })), json!({ "retryDelay": "soon" })).to_string()),
        ("bad timeout", with(patch_desc(1, json!({ "title": "x" })), json!({ "timeout": -5 })).to_string()),
        ("invalidate not a list", with(patch_desc(1, json!({ "title": "x" })), json!({ "invalidate": "tasks" })).to_string()),
        ("invalidate entry not a key", with(patch_desc(1, json!({ "title": "x" })), json!({ "invalidate": ["tasks"] })).to_string()),
        ("no request", json!({ "optimistic": [good_op] }).to_string()),
        ("request not an object", json!({ "request": "/tasks/1" }).to_string()),
        ("empty url", json!({ "request": { "url": "" } }).to_string()),
        ("bad method", json!({ "request": { "method": "FETCH", "url": "/x" } }).to_string()),
        ("unknown request field", json!({ "request": { "url": "/x", "query": 1 } }).to_string()),
        ("header not a string", json!({ "request": { "url": "/x", "headers": { "X-A": 1 } } }).to_string()),
        ("not an object", "[1]".to_owned()),
        ("not JSON", "{\"request\":".to_owned()),
    ];
    for (what, desc) in cases {
        let mut s = seeded();
        let before_list = read(&s, LIST);
        let before_count = s.entity_count();
        let e = expect_err(s.mutate("m1", &desc, T0), "INVALID_ARGUMENT");
        assert!(!e.to_string().is_empty(), "{what}");
        assert!(s.mutation_list().is_empty(), "{what}: listed");
        assert_eq!(read(&s, LIST), before_list, "{what}: visible state changed");
        assert_eq!(s.entity_count(), before_count, "{what}: entities added");
        assert_eq!(sync(&s)["pending"], 0, "{what}");
        // The id is free and the store works.
        let out = mutate(
            &mut s,
            "m1",
            patch_desc(1, json!({ "title": "ok" })),
            T0 + 1.0,
        );
        assert_eq!(one_send(&out).id, "m1", "{what}");
        assert_eq!(task(&s, "1")["title"], "ok", "{what}");
    }
}

#[test]
fn a_mutation_id_in_use_is_refused() {
    let mut s = seeded();
    one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "a" })),
        T0,
    ));
    expect_err(
        s.mutate(
            "m1",
            &patch_desc(2, json!({ "title": "b" })).to_string(),
            T0,
        ),
        "INVALID_ARGUMENT",
    );
    assert_eq!(task(&s, "2")["title"], "two");
    assert_eq!(s.mutation_list().len(), 1);
}

#[test]
fn insert_data_without_an_id_is_refused_without_a_trace() {
    let mut s = seeded();
    let before = read(&s, LIST);
    let desc = insert_desc(json!({ "title": "no id" }), json!([{ "hash": LIST }]));
    let r = s.mutate("m1", &desc.to_string(), T0);
    assert!(r.is_err(), "{r:?}");
    assert!(s.mutation_list().is_empty());
    assert_eq!(read(&s, LIST), before);
    // A relation that is not an entity is refused the same way.
    let r = s.mutate(
        "m1",
        &patch_desc(1, json!({ "assignee": 5 })).to_string(),
        T0,
    );
    assert!(r.is_err(), "{r:?}");
    assert!(s.mutation_list().is_empty());
    assert_eq!(read(&s, LIST), before);
}

#[test]
fn a_server_error_page_fails_cleanly_after_retries() {
    let html = "<!doctype html><html><body><h1>500 Internal Server Error</h1></body></html>";
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "local" })),
        json!({ "retry": 1, "retryDelay": 10, "shape": "Task" }),
    );
    let s1 = one_send(&mutate(&mut s, "m1", desc, T0));
    no_send(&answer(&mut s, &s1, http(500, html), T0 + 1.0));
    let s2 = one_send(&s.tick(T0 + 1000.0));
    let out = answer(&mut s, &s2, http(500, html), T0 + 1001.0);
    let e = settled_err(&out, "m1");
    assert_eq!((e.code.as_str(), e.status), ("HTTP", Some(500)));
    assert_eq!(e.body.as_deref(), Some(html));
    assert_eq!(task(&s, "1")["title"], "one");
    assert_eq!(status(&s, "m1").as_deref(), Some("failed"));
    let out = mutate(
        &mut s,
        "m2",
        patch_desc(2, json!({ "title": "b" })),
        T0 + 1002.0,
    );
    assert_eq!(one_send(&out).id, "m2");
}

#[test]
fn a_success_body_that_is_not_json_settles_parse_but_keeps_the_ops() {
    let mut s = seeded();
    let sent = one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "local" })),
        T0,
    ));
    let out = answer(&mut s, &sent, http(200, "<html>saved</html>"), T0 + 1.0);
    assert_eq!(settled_err(&out, "m1").code, "PARSE");
    assert!(s.mutation_list().is_empty());
    assert_eq!(task(&s, "1")["title"], "local");
}

#[test]
fn a_success_that_does_not_fit_the_shape_settles_shape_but_keeps_the_ops() {
    for body in [json!([1, 2]), json!({ "title": "no id" }), json!("ok")] {
        let mut s = seeded();
        let desc = with(
            patch_desc(1, json!({ "title": "local" })),
            json!({ "shape": "Task" }),
        );
        let sent = one_send(&mutate(&mut s, "m1", desc, T0));
        mutate(
            &mut s,
            "m2",
            patch_desc(1, json!({ "note": "later" })),
            T0 + 1.0,
        );
        let out = answer(&mut s, &sent, ok(body.clone()), T0 + 2.0);
        assert_eq!(settled_err(&out, "m1").code, "SHAPE", "{body}");
        assert_eq!(status(&s, "m1"), None, "{body}");
        let s2 = one_send(&out);
        assert_eq!(task(&s, "1")["title"], "local");
        // The ops are committed: m2's rollback keeps them.
        answer(&mut s, &s2, http(400, ""), T0 + 3.0);
        assert_eq!(task(&s, "1")["title"], "local", "{body}");
        assert_eq!(task(&s, "1")["note"], "n1", "{body}");
    }
}

#[test]
fn deleting_an_entity_that_is_not_cached_is_fine() {
    let mut s = seeded();
    let count = s.entity_count();
    let out = mutate(&mut s, "m1", delete_desc(99), T0);
    let sent = one_send(&out);
    assert_eq!(
        (sent.method.as_str(), sent.url.as_str()),
        ("DELETE", "/tasks/99")
    );
    assert_eq!(sent.header("If-Match"), None);
    assert_eq!(s.read_entity("Task", "99"), None);
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(2), json!(3)]);
    let out = answer(&mut s, &sent, http(404, ""), T0 + 1.0);
    assert_eq!(settled_err(&out, "m1").code, "HTTP");
    assert_eq!(
        s.read_entity("Task", "99"),
        None,
        "the rollback creates nothing"
    );
    assert_eq!(s.entity_count(), count);
    let sent = one_send(&mutate(&mut s, "m2", delete_desc(99), T0 + 2.0));
    let out = answer(&mut s, &sent, http(204, ""), T0 + 3.0);
    assert_eq!(settled(&out), vec![("m2".to_owned(), Ok(Value::Null))]);
    assert_eq!(s.read_entity("Task", "99"), None);
    assert_eq!(s.entity_count(), count);
}

// ---------------------------------------------------------------------------------------------
// delete op

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
    let s1 = one_send(&mutate(&mut s, "m1", delete_desc(2), T0));
    mutate(
        &mut s,
        "m2",
        patch_desc(3, json!({ "title": "x" })),
        T0 + 1.0,
    );
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
    let sent = one_send(&mutate(&mut s, "m1", delete_desc(2), T0));
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
    let sent = one_send(&mutate(&mut s, "m1", delete_desc(2), T0));
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

// ---------------------------------------------------------------------------------------------
// insert op

#[test]
fn an_insert_appears_at_the_start_or_end_and_the_rollback_removes_it() {
    let mut s = seeded_with_page();
    let data = json!({ "id": "tmp-1", "title": "new", "done": false,
                       "assignee": { "id": "u9", "name": "Nine" } });
    let into = json!([
        { "hash": LIST, "position": "start" },
        { "hash": PAGE, "path": ["items"], "position": "end" }
    ]);
    let out = mutate(&mut s, "m1", insert_desc(data, into), T0);
    assert_eq!(
        sorted(&out.changes.written_queries),
        vec![PAGE.to_owned(), LIST.to_owned()]
    );
    assert!(out
        .changes
        .written_entities
        .contains(&"Task:tmp-1".to_owned()));
    assert!(out.changes.written_entities.contains(&"User:u9".to_owned()));
    assert_eq!(
        ids(&s, LIST),
        vec![json!("tmp-1"), json!(1), json!(2), json!(3)]
    );
    assert_eq!(
        ids(&s, PAGE),
        vec![json!(1), json!(2), json!(3), json!("tmp-1")]
    );
    assert_eq!(read(&s, LIST)[0]["assignee"]["name"], "Nine");
    assert_eq!(read(&s, PAGE)["total"], 3);
    let sent = one_send(&out);
    assert_eq!(
        (sent.method.as_str(), sent.url.as_str()),
        ("POST", "/tasks")
    );

    let out = answer(&mut s, &sent, http(422, ""), T0 + 1.0);
    assert_eq!(
        sorted(&out.changes.written_queries),
        vec![PAGE.to_owned(), LIST.to_owned()]
    );
    assert_eq!(read(&s, LIST), seed_tasks());
    assert_eq!(ids(&s, PAGE), vec![json!(1), json!(2), json!(3)]);
    assert_eq!(s.read_entity("Task", "tmp-1"), None);
    assert_eq!(s.read_entity("User", "u9"), None);
}

#[test]
fn an_insert_path_may_be_a_field_name_and_defaults_to_the_end() {
    let mut s = seeded_with_page();
    let into = json!([{ "hash": PAGE, "path": "items" }, { "hash": LIST }]);
    let out = mutate(
        &mut s,
        "m1",
        insert_desc(json!({ "id": "tmp-1", "title": "n" }), into),
        T0,
    );
    assert_eq!(
        ids(&s, PAGE),
        vec![json!(1), json!(2), json!(3), json!("tmp-1")]
    );
    assert_eq!(
        ids(&s, LIST),
        vec![json!(1), json!(2), json!(3), json!("tmp-1")]
    );
    // A path that leads nowhere is skipped.
    mutate(
        &mut s,
        "m2",
        insert_desc(
            json!({ "id": "tmp-2", "title": "n" }),
            json!([{ "hash": PAGE, "path": ["nope"] }, { "hash": LIST, "path": ["x"] }]),
        ),
        T0,
    );
    assert_eq!(ids(&s, PAGE).len(), 4);
    assert_eq!(ids(&s, LIST).len(), 4);
    assert_eq!(task(&s, "tmp-2")["title"], "n");
    let sent = one_send(&out);
    answer(&mut s, &sent, http(200, ""), T0 + 1.0);
    assert_eq!(
        ids(&s, PAGE),
        vec![json!(1), json!(2), json!(3), json!("tmp-1")]
    );
}

#[test]
fn inserts_stack_in_queue_order_and_each_rolls_back_alone() {
    let mut s = seeded();
    let ins = |id: &str, pos: &str| {
        insert_desc(
            json!({ "id": id, "title": id }),
            json!([{ "hash": LIST, "position": pos }]),
        )
    };
    let s1 = one_send(&mutate(&mut s, "m1", ins("a", "start"), T0));
    mutate(&mut s, "m2", ins("b", "start"), T0);
    mutate(&mut s, "m3", ins("c", "end"), T0);
    assert_eq!(
        ids(&s, LIST),
        vec![
            json!("b"),
            json!("a"),
            json!(1),
            json!(2),
            json!(3),
            json!("c")
        ]
    );
    // m1 commits, m2 fails, m3 commits.
    let s2 = one_send(&answer(&mut s, &s1, http(201, ""), T0 + 1.0));
    assert_eq!(
        ids(&s, LIST),
        vec![
            json!("b"),
            json!("a"),
            json!(1),
            json!(2),
            json!(3),
            json!("c")
        ]
    );
    let s3 = one_send(&answer(&mut s, &s2, http(400, ""), T0 + 2.0));
    assert_eq!(
        ids(&s, LIST),
        vec![json!("a"), json!(1), json!(2), json!(3), json!("c")]
    );
    answer(&mut s, &s3, http(201, ""), T0 + 3.0);
    assert_eq!(
        ids(&s, LIST),
        vec![json!("a"), json!(1), json!(2), json!(3), json!("c")]
    );
    assert_eq!(s.read_entity("Task", "b"), None);
}

#[test]
fn a_refetch_during_a_pending_insert_keeps_the_item_on_the_new_server_list() {
    let mut s = seeded_with_page();
    let into = json!([
        { "hash": LIST, "position": "start" },
        { "hash": PAGE, "path": ["items"], "position": "end" }
    ]);
    let sent = one_send(&mutate(
        &mut s,
        "m1",
        insert_desc(json!({ "id": "tmp-1", "title": "new" }), into),
        T0,
    ));
    let server = json!([
        { "id": 3, "title": "three (server)", "version": 2 },
        { "id": 4, "title": "four", "version": 1 }
    ]);
    let out = put(&mut s, LIST, server.clone(), list_shape(), T0 + 1.0);
    assert!(out.changes.written_queries.contains(&LIST.to_owned()));
    assert_eq!(ids(&s, LIST), vec![json!("tmp-1"), json!(3), json!(4)]);
    assert_eq!(read(&s, LIST)[1]["title"], "three (server)");
    put(
        &mut s,
        PAGE,
        json!({ "items": server, "total": 2 }),
        page_shape(),
        T0 + 1.0,
    );
    assert_eq!(ids(&s, PAGE), vec![json!(3), json!(4), json!("tmp-1")]);
    assert_eq!(read(&s, PAGE)["total"], 2);

    // Committed: it stays until the server's own list replaces it.
    let out = answer(&mut s, &sent, http(201, ""), T0 + 2.0);
    assert!(out.changes.written_queries.is_empty(), "{:?}", out.changes);
    assert_eq!(ids(&s, LIST), vec![json!("tmp-1"), json!(3), json!(4)]);
    put(
        &mut s,
        LIST,
        json!([{ "id": 3, "title": "three (server)" }, { "id": 5, "title": "new" }]),
        list_shape(),
        T0 + 3.0,
    );
    assert_eq!(ids(&s, LIST), vec![json!(3), json!(5)]);
}

#[test]
fn a_rolled_back_insert_leaves_exactly_the_refetched_lists() {
    let mut s = seeded_with_page();
    let into = json!([
        { "hash": LIST, "position": "start" },
        { "hash": PAGE, "path": ["items"], "position": "start" }
    ]);
    let sent = one_send(&mutate(
        &mut s,
        "m1",
        insert_desc(json!({ "id": "tmp-1", "title": "new" }), into),
        T0,
    ));
    let server = json!([{ "id": 3, "title": "three (server)" }, { "id": 4, "title": "four" }]);
    put(&mut s, LIST, server.clone(), list_shape(), T0 + 1.0);
    put(
        &mut s,
        PAGE,
        json!({ "items": server, "total": 2 }),
        page_shape(),
        T0 + 1.0,
    );
    assert_eq!(ids(&s, PAGE), vec![json!("tmp-1"), json!(3), json!(4)]);
    let out = answer(&mut s, &sent, http(400, ""), T0 + 2.0);
    assert_eq!(
        sorted(&out.changes.written_queries),
        vec![PAGE.to_owned(), LIST.to_owned()]
    );
    assert_eq!(ids(&s, LIST), vec![json!(3), json!(4)]);
    assert_eq!(ids(&s, PAGE), vec![json!(3), json!(4)]);
    assert_eq!(read(&s, PAGE)["total"], 2);
    assert_eq!(s.read_entity("Task", "tmp-1"), None);
}

#[test]

fn an_insert_into_a_list_that_arrives_later_shows_on_it() {
    let mut s = new_store();
    let into = json!([{ "hash": LIST, "position": "start" }]);
    one_send(&mutate(
        &mut s,
        "m1",
        insert_desc(json!({ "id": "tmp-1", "title": "new" }), into),
        T0,
    ));
    put(&mut s, LIST, seed_tasks(), list_shape(), T0 + 1.0);
    assert_eq!(
        ids(&s, LIST),
        vec![json!("tmp-1"), json!(1), json!(2), json!(3)],
        "visible = base + the pending layers"
    );
}

// ---------------------------------------------------------------------------------------------
// temporary ids (the insert's answer names the real id) under layers

fn insert_with_shape(tmp: &str, into: Value) -> Value {
    with(
        insert_desc(json!({ "id": tmp, "title": "new" }), into),
        json!({ "shape": "Task" }),
    )
}

#[test]
fn an_insert_answered_with_the_real_id_keeps_its_place_and_later_edits_follow() {
    let mut s = seeded_with_page();
    let into = json!([
        { "hash": LIST, "position": "start" },
        { "hash": PAGE, "path": ["items"] }
    ]);
    let s1 = one_send(&mutate(&mut s, "m1", insert_with_shape("tmp-a", into), T0));
    let edit = json!({
        "request": { "method": "PATCH", "url": "/tasks/tmp-a", "body": { "title": "edited", "ref": "tmp-a" } },
        "optimistic": [{ "op": "update", "type": "Task", "id": "tmp-a", "patch": { "title": "edited" } }]
    });
    no_send(&mutate(&mut s, "m2", edit, T0 + 1.0));
    let out = answer(
        &mut s,
        &s1,
        ok(json!({ "id": 10, "title": "new", "version": 1 })),
        T0 + 2.0,
    );
    assert!(matches!(out.settled.as_slice(), [(id, Ok(v))] if id == "m1" && v["id"] == 10));
    assert_eq!(s.read_entity("Task", "tmp-a"), None);
    assert_eq!(ids(&s, LIST), vec![json!(10), json!(1), json!(2), json!(3)]);
    assert_eq!(ids(&s, PAGE), vec![json!(1), json!(2), json!(3), json!(10)]);
    let t = task(&s, "10");
    assert_eq!(
        (t["title"].clone(), t["version"].clone()),
        (json!("edited"), json!(1))
    );
    let s2 = one_send(&out);
    assert_eq!(s2.url, "/tasks/10");
    assert_eq!(s2.body, Some(json!({ "title": "edited", "ref": "10" })));
    // The later edit fails: exactly the server's entity under the real id.
    answer(&mut s, &s2, http(400, ""), T0 + 3.0);
    assert_eq!(
        task(&s, "10"),
        json!({ "id": 10, "title": "new", "version": 1 })
    );
    assert_eq!(ids(&s, LIST), vec![json!(10), json!(1), json!(2), json!(3)]);
    assert_eq!(s.read_entity("Task", "tmp-a"), None);
}

#[test]
fn a_failed_insert_fails_the_mutations_that_name_its_temporary_id() {
    let mut s = seeded();
    let s1 = one_send(&mutate(
        &mut s,
        "m1",
        insert_with_shape("tmp-a", json!([{ "hash": LIST }])),
        T0,
    ));
    let edit = json!({
        "request": { "method": "PATCH", "url": "/tasks/tmp-a", "body": { "title": "edited" } },
        "optimistic": [{ "op": "update", "type": "Task", "id": "tmp-a", "patch": { "title": "edited" } }]
    });
    mutate(&mut s, "m2", edit, T0 + 1.0);
    mutate(
        &mut s,
        "m3",
        patch_desc(1, json!({ "title": "other" })),
        T0 + 2.0,
    );
    let out = answer(&mut s, &s1, http(422, ""), T0 + 3.0);
    let mut got = settled(&out);
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        vec![
            ("m1".to_owned(), Err("HTTP".to_owned())),
            ("m2".to_owned(), Err("CONFLICT".to_owned()))
        ]
    );
    assert_eq!(one_send(&out).id, "m3", "an unrelated mutation goes on");
    assert_eq!(s.read_entity("Task", "tmp-a"), None);
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(2), json!(3)]);
    assert_eq!(task(&s, "1")["title"], "other");
}

#[test]

fn a_list_that_already_holds_the_real_entity_shows_it_once_after_the_rename() {
    let mut s = seeded();
    let s1 = one_send(&mutate(
        &mut s,
        "m1",
        insert_with_shape("tmp-a", json!([{ "hash": LIST, "position": "start" }])),
        T0,
    ));
    // The server created it and a refetch lands before the POST's answer.
    let mut server = seed_tasks();
    if let Some(a) = server.as_array_mut() {
        a.push(json!({ "id": 10, "title": "new", "version": 1 }));
    }
    put(&mut s, LIST, server, list_shape(), T0 + 1.0);
    answer(
        &mut s,
        &s1,
        ok(json!({ "id": 10, "title": "new", "version": 1 })),
        T0 + 2.0,
    );
    let tens = ids(&s, LIST).iter().filter(|id| **id == json!(10)).count();
    assert_eq!(tens, 1, "the list shows {:?}", ids(&s, LIST));
}

#[test]

fn a_response_naming_the_updated_entity_does_not_rename_the_inserted_one() {
    let mut s = seeded();
    let desc = json!({
        "request": { "method": "PATCH", "url": "/tasks/1", "body": { "title": "x" } },
        "optimistic": [
            { "op": "update", "type": "Task", "id": 1, "patch": { "title": "x" } },
            { "op": "insert", "type": "Task", "data": { "id": "tmp-a", "title": "new", "extra": "tmp only" },
              "into": [{ "hash": LIST }] }
        ],
        "shape": "Task"
    });
    let sent = one_send(&mutate(&mut s, "m1", desc, T0));
    answer(&mut s, &sent, ok(server_task("x", "n1", 2)), T0 + 1.0);
    assert_eq!(
        ids(&s, LIST),
        vec![json!(1), json!(2), json!(3), json!("tmp-a")]
    );
    assert_eq!(
        s.read_entity("Task", "tmp-a").map(|t| t["title"].clone()),
        Some(json!("new"))
    );
    assert_eq!(
        task(&s, "1").get("extra"),
        None,
        "Task:1 took the new task's fields"
    );
}

#[test]

fn a_401_while_reading_the_current_entity_pauses_the_queue() {
    let mut s = seeded();
    let s1 = one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "local" })),
        T0,
    ));
    let get = one_send(&answer(&mut s, &s1, http(409, ""), T0 + 1.0));
    let out = answer(&mut s, &get, http(401, ""), T0 + 2.0);
    assert!(out.settled.is_empty(), "{:?}", out.settled);
    assert_eq!(task(&s, "1")["title"], "local", "nothing is rolled back");
    assert_eq!(sync(&s)["lastError"]["code"], "AUTH");
    let again = one_send(&s.flush(T0 + 3.0));
    assert_eq!(again.method, "GET");
}

#[test]

fn a_server_error_while_reading_the_current_entity_is_retried() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "local" })),
        json!({ "retry": 2, "retryDelay": 10 }),
    );
    let s1 = one_send(&mutate(&mut s, "m1", desc, T0));
    let get = one_send(&answer(&mut s, &s1, http(409, ""), T0 + 1.0));
    let out = answer(&mut s, &get, http(503, ""), T0 + 2.0);
    assert!(out.settled.is_empty(), "{:?}", out.settled);
    assert_eq!(task(&s, "1")["title"], "local");
    assert_eq!(one_send(&s.tick(T0 + 1000.0)).method, "GET");
}

#[test]

fn merge_of_a_relation_change_the_server_did_not_touch_is_resent() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "assignee": { "id": "u2", "name": "Bob" } })),
        json!({ "conflict": "merge" }),
    );
    let sent = one_send(&mutate(&mut s, "m1", desc, T0));
    // The server changed the note only; the assignee is still u1.
    let out = answer(
        &mut s,
        &sent,
        http(409, &server_task("one", "server note", 2).to_string()),
        T0 + 1.0,
    );
    assert_eq!(
        status(&s, "m1").as_deref(),
        Some("inflight"),
        "{:?}",
        listing(&s, "m1")
    );
    assert_eq!(one_send(&out).header("If-Match"), Some("\"2\""));
    assert_eq!(task(&s, "1")["assignee"]["id"], "u2");
    assert_eq!(task(&s, "1")["note"], "server note");
}

#[test]
fn merge_of_a_relation_change_the_server_also_changed_is_a_conflict() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "assignee": { "id": "u2", "name": "Bob" } })),
        json!({ "conflict": "merge" }),
    );
    let sent = one_send(&mutate(&mut s, "m1", desc, T0));
    let mut current = server_task("one", "n1", 2);
    current["assignee"] = json!({ "id": "u3", "name": "Cy" });
    no_send(&answer(
        &mut s,
        &sent,
        http(409, &current.to_string()),
        T0 + 1.0,
    ));
    assert_eq!(status(&s, "m1").as_deref(), Some("conflict"));
}

#[test]
fn timeouts_count_against_retry() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "title": "x" })),
        json!({ "retry": 1, "retryDelay": 10 }),
    );
    let s1 = one_send(&mutate(&mut s, "m1", desc, T0));
    let timeout = || Settle::Failed(ErrorInfo::new("TIMEOUT", "no answer within 30000 ms"));
    no_send(&answer(&mut s, &s1, timeout(), T0 + 1.0));
    let s2 = one_send(&s.tick(T0 + 1000.0));
    let out = answer(&mut s, &s2, timeout(), T0 + 1001.0);
    assert_eq!(settled_err(&out, "m1").code, "TIMEOUT");
    assert_eq!(task(&s, "1")["title"], "one");
}

#[test]
fn failing_one_mutation_keeps_the_others_and_newer_server_data() {
    let mut s = seeded();
    let s1 = one_send(&mutate(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "a", "note": "a" })),
        T0,
    ));
    mutate(
        &mut s,
        "m2",
        patch_desc(1, json!({ "title": "b" })),
        T0 + 1.0,
    );
    mutate(
        &mut s,
        "m3",
        patch_desc(1, json!({ "done": true })),
        T0 + 2.0,
    );
    put(
        &mut s,
        LIST,
        json!([{ "id": 1, "title": "server", "note": "server", "done": false, "version": 2 }]),
        list_shape(),
        T0 + 3.0,
    );
    let t = task(&s, "1");
    assert_eq!(
        (t["title"].clone(), t["note"].clone(), t["done"].clone()),
        (json!("b"), json!("a"), json!(true))
    );
    assert_eq!(t["version"], 2);
    // m1 fails: its note goes (to the server's), m2's title and m3's done stay.
    let s2 = one_send(&answer(&mut s, &s1, http(400, ""), T0 + 4.0));
    let t = task(&s, "1");
    assert_eq!(
        (t["title"].clone(), t["note"].clone(), t["done"].clone()),
        (json!("b"), json!("server"), json!(true))
    );
    // m3 is discarded before m2 settles: m2's title stays.
    s.discard_mutation("m3", T0 + 5.0).expect("discard");
    assert_eq!(task(&s, "1")["done"], false);
    assert_eq!(task(&s, "1")["title"], "b");
    answer(&mut s, &s2, http(400, ""), T0 + 6.0);
    let t = task(&s, "1");
    assert_eq!(
        (t["title"].clone(), t["note"].clone(), t["done"].clone()),
        (json!("server"), json!("server"), json!(false))
    );
    assert_eq!(t["assignee"]["name"], "Ann");
}

// ---------------------------------------------------------------------------------------------
// the reference model: visible = server base + the pending layers in queue order

type Rec = Map<String, Value>;

const WORDS: [&str; 4] = ["a", "b", "c", "d"];
const USERS: [&str; 3] = ["u1", "u2", "u3"];
const TASK_IDS: [u64; 3] = [1, 2, 3];

fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn task_key(id: &Value) -> String {
    format!("Task:{}", id_text(id))
}

/// A (possibly partial) denormalized task split into normalized records, the user first.
fn norm_task(v: &Value) -> Vec<(String, Rec)> {
    let mut t = v.as_object().cloned().unwrap_or_default();
    let mut out = Vec::new();
    if let Some(Value::Object(u)) = t.get("assignee").cloned() {
        let key = format!("User:{}", id_text(&u["id"]));
        out.push((key.clone(), u));
        t.insert("assignee".into(), Value::String(key));
    }
    out.push((task_key(&t["id"]), t));
    out
}

#[derive(Debug, Clone)]
enum MWrite {
    Merge(String, Rec),
    Delete(String),
}

#[derive(Debug, Clone)]
struct MInsert {
    hash: &'static str,
    start: bool,
    key: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum St {
    Queued,
    Inflight,
    Conflict,
    Failed,
}

impl St {
    fn name(self) -> &'static str {
        match self {
            St::Queued => "queued",
            St::Inflight => "inflight",
            St::Conflict => "conflict",
            St::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone)]
struct MMutation {
    id: String,
    /// The optimistic ops, which the server applies on success.
    ops: Vec<Value>,
    writes: Vec<MWrite>,
    inserts: Vec<MInsert>,
    subject: Option<String>,
    created: Option<String>,
    method: String,
    policy: &'static str,
    retry: u32,
    failures: u32,
    shape: bool,
    status: St,
    reading: bool,
}

/// The server: its tasks in creation order (assignee as a user id) and its users' names.
#[derive(Default)]
struct Server {
    tasks: Vec<(String, Rec)>,
    users: BTreeMap<String, String>,
}

impl Server {
    fn view(&self, key: &str) -> Option<Value> {
        let (_, t) = self.tasks.iter().find(|(k, _)| k == key)?;
        let mut t = t.clone();
        if let Some(Value::String(u)) = t.get("assignee").cloned() {
            let name = self.users.get(&u).cloned().unwrap_or_default();
            t.insert("assignee".into(), json!({ "id": u, "name": name }));
        }
        Some(Value::Object(t))
    }

    fn list(&self) -> Vec<Value> {
        self.tasks
            .iter()
            .filter_map(|(k, _)| self.view(k))
            .collect()
    }

    fn set_fields(&mut self, t: &mut Rec, fields: &Rec) {
        for (f, v) in fields {
            if f == "assignee" {
                match v {
                    Value::Object(u) => {
                        let uid = id_text(&u["id"]);
                        if let Some(Value::String(n)) = u.get("name") {
                            self.users.insert(uid.clone(), n.clone());
                        }
                        t.insert(f.clone(), Value::String(uid));
                    }
                    _ => {
                        t.insert(f.clone(), Value::Null);
                    }
                }
            } else {
                t.insert(f.clone(), v.clone());
            }
        }
    }

    fn apply(&mut self, ops: &[Value]) {
        for op in ops {
            let key = op.get("id").map(task_key).unwrap_or_default();
            match op["op"].as_str() {
                Some("update") => {
                    if let Some(i) = self.tasks.iter().position(|(k, _)| *k == key) {
                        let mut t = self.tasks[i].1.clone();
                        let patch = op["patch"].as_object().cloned().unwrap_or_default();
                        self.set_fields(&mut t, &patch);
                        let v = t["version"].as_u64().unwrap_or(0) + 1;
                        t.insert("version".into(), json!(v));
                        self.tasks[i].1 = t;
                    }
                }
                Some("insert") => {
                    let data = op["data"].as_object().cloned().unwrap_or_default();
                    let key = task_key(&data["id"]);
                    let mut t = Rec::new();
                    t.insert("version".into(), json!(1));
                    self.set_fields(&mut t, &data);
                    self.tasks.push((key, t));
                }
                Some("delete") => self.tasks.retain(|(k, _)| *k != key),
                _ => {}
            }
        }
    }
}

/// The reference: the server base (entities and the two list results) and the queue.
#[derive(Default)]
struct Model {
    base: BTreeMap<String, Rec>,
    list: Vec<String>,
    page: Vec<String>,
    page_total: usize,
    muts: Vec<MMutation>,
}

fn merge_into(rec: &mut Rec, fields: &Rec) {
    for (f, v) in fields {
        rec.insert(f.clone(), v.clone());
    }
}

impl Model {
    fn write_server(&mut self, recs: Vec<(String, Rec)>) {
        for (k, r) in recs {
            merge_into(self.base.entry(k).or_default(), &r);
        }
    }

    /// A successful mutation's ops go into the base.
    fn commit(&mut self, m: &MMutation) {
        for w in &m.writes {
            match w {
                MWrite::Merge(k, f) => merge_into(self.base.entry(k.clone()).or_default(), f),
                MWrite::Delete(k) => {
                    self.base.remove(k);
                }
            }
        }
        for ins in &m.inserts {
            let list = if ins.hash == LIST {
                &mut self.list
            } else {
                &mut self.page
            };
            if ins.start {
                list.insert(0, ins.key.clone());
            } else {
                list.push(ins.key.clone());
            }
        }
    }

    fn active(&self) -> impl Iterator<Item = &MMutation> {
        self.muts.iter().filter(|m| m.status != St::Failed)
    }

    fn visible(&self, key: &str) -> Option<Rec> {
        let mut rec = self.base.get(key).cloned();
        for m in self.active() {
            for w in &m.writes {
                match w {
                    MWrite::Merge(k, f) if k == key => {
                        merge_into(rec.get_or_insert_with(Rec::new), f);
                    }
                    MWrite::Delete(k) if k == key => rec = None,
                    _ => {}
                }
            }
        }
        rec
    }

    fn visible_keys(&self, hash: &str) -> Vec<String> {
        let mut keys = if hash == LIST {
            self.list.clone()
        } else {
            self.page.clone()
        };
        for m in self.active() {
            for ins in m.inserts.iter().filter(|i| i.hash == hash) {
                if ins.start {
                    keys.insert(0, ins.key.clone());
                } else {
                    keys.push(ins.key.clone());
                }
            }
        }
        keys
    }

    /// The denormalized entity (users expanded).
    fn read(&self, key: &str) -> Option<Value> {
        let mut rec = self.visible(key)?;
        if let Some(Value::String(u)) = rec.get("assignee").cloned() {
            let user = self.visible(&u).map_or(Value::Null, Value::Object);
            rec.insert("assignee".into(), user);
        }
        Some(Value::Object(rec))
    }

    fn read_list(&self, hash: &str) -> Value {
        let items: Vec<Value> = self
            .visible_keys(hash)
            .iter()
            .filter_map(|k| self.read(k))
            .collect();
        if hash == LIST {
            Value::Array(items)
        } else {
            json!({ "items": items, "total": self.page_total })
        }
    }
}

struct Sim {
    seed: u64,
    s: Store,
    rng: Rng,
    now: f64,
    model: Model,
    server: Server,
    online: bool,
    paused: bool,
    inflight: Option<(String, u64)>,
    sent: Vec<(String, u64)>,
    next: u32,
    keys: BTreeSet<String>,
    trace: Vec<String>,
}

type Expected = Vec<(String, std::result::Result<(), &'static str>)>;

impl Sim {
    fn new(seed: u64) -> Sim {
        let mut sim = Sim {
            seed,
            s: new_store(),
            rng: Rng::new(seed),
            now: T0,
            model: Model::default(),
            server: Server::default(),
            online: true,
            paused: false,
            inflight: None,
            sent: Vec::new(),
            next: 0,
            keys: BTreeSet::new(),
            trace: Vec::new(),
        };
        for t in seed_tasks().as_array().into_iter().flatten() {
            let mut fields = Rec::new();
            sim.server
                .set_fields(&mut fields, t.as_object().expect("task"));
            sim.server.tasks.push((task_key(&t["id"]), fields));
        }
        for id in TASK_IDS {
            sim.keys.insert(format!("Task:{id}"));
        }
        for u in USERS {
            sim.keys.insert(format!("User:{u}"));
        }
        sim.refetch(LIST);
        sim.refetch(PAGE);
        sim.check("seed");
        sim
    }

    fn fail(&self, msg: &str) -> ! {
        let from = self.trace.len().saturating_sub(40);
        panic!(
            "seed {}: {msg}\nlast steps:\n  {}",
            self.seed,
            self.trace[from..].join("\n  ")
        );
    }

    fn word(&mut self) -> Value {
        json!(*self.rng.pick(&WORDS))
    }

    fn user(&mut self) -> Value {
        if self.rng.chance(30) {
            Value::Null
        } else {
            let u = *self.rng.pick(&USERS);
            json!({ "id": u, "name": self.word() })
        }
    }

    fn patch(&mut self) -> Value {
        let mut p = Map::new();
        while p.is_empty() {
            if self.rng.chance(50) {
                p.insert("title".into(), self.word());
            }
            if self.rng.chance(30) {
                p.insert("done".into(), json!(self.rng.chance(50)));
            }
            if self.rng.chance(30) {
                p.insert("note".into(), self.word());
            }
            if self.rng.chance(25) {
                p.insert("assignee".into(), self.user());
            }
        }
        Value::Object(p)
    }

    fn update_op(&mut self, id: u64) -> Value {
        json!({ "op": "update", "type": "Task", "id": id, "patch": self.patch() })
    }

    fn insert_op(&mut self) -> Value {
        // Fixed width, like the UUIDs of tempId(): no id is a substring of another.
        let tmp = format!("tmp-{:04}", self.next);
        self.keys.insert(format!("Task:{tmp}"));
        let mut data = json!({ "id": tmp, "title": self.word(), "done": false, "note": "" });
        if self.rng.chance(40) {
            data["assignee"] = self.user();
        }
        let mut into = Vec::new();
        if self.rng.chance(70) {
            into.push(json!({ "hash": LIST, "position": if self.rng.chance(50) { "start" } else { "end" } }));
        }
        if self.rng.chance(50) {
            let path = if self.rng.chance(50) {
                json!(["items"])
            } else {
                json!("items")
            };
            let mut target = json!({ "hash": PAGE, "path": path });
            if self.rng.chance(70) {
                target["position"] = json!(if self.rng.chance(50) { "start" } else { "end" });
            }
            into.push(target);
        }
        let mut op = json!({ "op": "insert", "type": "Task", "data": data });
        if !into.is_empty() || self.rng.chance(50) {
            op["into"] = Value::Array(into);
        }
        op
    }

    /// The model's view of a description's ops.
    fn model_mutation(id: &str, ops: &[Value], method: &str) -> MMutation {
        let mut m = MMutation {
            id: id.to_owned(),
            ops: ops.to_vec(),
            writes: Vec::new(),
            inserts: Vec::new(),
            subject: None,
            created: None,
            method: method.to_owned(),
            policy: "server-wins",
            retry: 0,
            failures: 0,
            shape: false,
            status: St::Queued,
            reading: false,
        };
        for op in ops {
            match op["op"].as_str() {
                Some("update") => {
                    let mut obj = json!({ "id": op["id"] });
                    if let (Some(o), Some(p)) = (obj.as_object_mut(), op["patch"].as_object()) {
                        o.extend(p.clone());
                    }
                    for (k, r) in norm_task(&obj) {
                        m.writes.push(MWrite::Merge(k, r));
                    }
                    m.subject.get_or_insert_with(|| task_key(&op["id"]));
                }
                Some("delete") => {
                    m.writes.push(MWrite::Delete(task_key(&op["id"])));
                    m.subject.get_or_insert_with(|| task_key(&op["id"]));
                }
                Some("insert") => {
                    let key = task_key(&op["data"]["id"]);
                    for (k, r) in norm_task(&op["data"]) {
                        m.writes.push(MWrite::Merge(k, r));
                    }
                    for t in op["into"].as_array().into_iter().flatten() {
                        m.inserts.push(MInsert {
                            hash: if t["hash"] == LIST { LIST } else { PAGE },
                            start: t["position"] == "start",
                            key: key.clone(),
                        });
                    }
                    m.created.get_or_insert(key);
                }
                _ => unreachable!(),
            }
        }
        m
    }

    // ---- what the store must do

    fn absorb(&mut self, what: &str, out: &Output, mut expected: Expected) {
        let sent = sends(out);
        if sent.len() > 1 {
            self.fail(&format!("{what}: more than one Send: {:?}", out.actions));
        }
        if let Some(x) = sent.first() {
            if let Some((id, _)) = &self.inflight {
                self.fail(&format!("{what}: sent {} while {id} is in flight", x.id));
            }
            let Some(i) = self.model.muts.iter().position(|m| m.status == St::Queued) else {
                self.fail(&format!("{what}: sent {} but nothing is queued", x.id));
            };
            let m = &self.model.muts[i];
            if m.id != x.id {
                self.fail(&format!(
                    "{what}: sent {} but the queue head is {}",
                    x.id, m.id
                ));
            }
            let method = if m.reading { "GET" } else { m.method.as_str() };
            if x.method != method {
                self.fail(&format!(
                    "{what}: {} sent as {} (expected {method})",
                    x.id, x.method
                ));
            }
            if !x
                .header("Idempotency-Key")
                .is_some_and(|k| k.starts_with(&x.id))
            {
                self.fail(&format!("{what}: bad Idempotency-Key {:?}", x.headers));
            }
            self.model.muts[i].status = St::Inflight;
            self.inflight = Some((x.id.clone(), x.ticket));
            self.sent.push((x.id.clone(), x.ticket));
            self.trace
                .push(format!("    -> sent {} #{} {}", x.id, x.ticket, x.method));
        }
        let mut got: Expected = out
            .settled
            .iter()
            .map(|(id, r)| {
                let r = match r {
                    Ok(_) => Ok(()),
                    Err(e) => Err(match e.code.as_str() {
                        "HTTP" => "HTTP",
                        "CONFLICT" => "CONFLICT",
                        "CANCELLED" => "CANCELLED",
                        _ => "OTHER",
                    }),
                };
                (id.clone(), r)
            })
            .collect();
        got.sort();
        expected.sort();
        if got != expected {
            self.fail(&format!(
                "{what}: settled {got:?}, expected {expected:?} ({:?})",
                out.settled
            ));
        }
    }

    /// Whenever the store could send, it has (after tick past every backoff, reconnect, flush).
    fn live(&self, what: &str) {
        if self.online
            && !self.paused
            && self.inflight.is_none()
            && self.model.muts.iter().any(|m| m.status == St::Queued)
        {
            self.fail(&format!(
                "{what}: a mutation is queued but nothing was sent"
            ));
        }
    }

    fn check(&self, what: &str) {
        for key in &self.keys {
            let got = self.s.entity(key).cloned();
            let want = self.model.visible(key);
            if got != want {
                self.fail(&format!(
                    "{what}: record {key} is {got:?}, expected {want:?}"
                ));
            }
            if let Some(id) = key.strip_prefix("Task:") {
                let got = self.s.read_entity("Task", id);
                let want = self.model.read(key);
                if got != want {
                    self.fail(&format!(
                        "{what}: read_entity {key} is {got:?}, expected {want:?}"
                    ));
                }
            }
        }
        for hash in [LIST, PAGE] {
            let got = self.s.read_query(hash);
            let want = Some(self.model.read_list(hash));
            if got != want {
                self.fail(&format!("{what}: {hash} reads {got:?}, expected {want:?}"));
            }
        }
        let got: Vec<(String, String)> = self
            .s
            .mutation_list()
            .iter()
            .map(|m| (id_text(&m["id"]), id_text(&m["status"])))
            .collect();
        let want: Vec<(String, String)> = self
            .model
            .muts
            .iter()
            .map(|m| (m.id.clone(), m.status.name().to_owned()))
            .collect();
        if got != want {
            self.fail(&format!("{what}: the queue is {got:?}, expected {want:?}"));
        }
    }

    // ---- steps

    fn mutate(&mut self) {
        let id = format!("m{}", self.next);
        let (ops, method, url, body) = match self.rng.below(100) {
            0..=44 => {
                let t = *self.rng.pick(&TASK_IDS);
                let op = self.update_op(t);
                let body = op["patch"].clone();
                (vec![op], "PATCH", format!("/tasks/{t}"), Some(body))
            }
            45..=64 => {
                let op = self.insert_op();
                let body = op["data"].clone();
                (vec![op], "POST", "/tasks".to_owned(), Some(body))
            }
            65..=79 => {
                let t = *self.rng.pick(&TASK_IDS);
                let op = json!({ "op": "delete", "type": "Task", "id": t });
                (vec![op], "DELETE", format!("/tasks/{t}"), None)
            }
            _ => {
                let a = *self.rng.pick(&TASK_IDS);
                let first = self.update_op(a);
                let second = if self.rng.chance(50) {
                    let b = *self.rng.pick(&TASK_IDS);
                    self.update_op(b)
                } else {
                    self.insert_op()
                };
                let ops = vec![first, second];
                (ops, "POST", "/batch".to_owned(), Some(json!({ "n": 2 })))
            }
        };
        self.next += 1;
        let mut m = Self::model_mutation(&id, &ops, method);
        m.policy = *self.rng.pick(&["server-wins", "client-wins", "manual"]);
        m.retry = self.rng.below(3) as u32;
        m.shape = self.rng.chance(50);
        let mut request = json!({ "method": method, "url": url });
        if let Some(b) = body {
            request["body"] = b;
        }
        let mut desc = json!({
            "request": request,
            "optimistic": ops,
            "conflict": m.policy,
            "retry": m.retry,
            "retryDelay": 10,
        });
        if m.shape {
            desc["shape"] = json!("Task");
        }
        self.trace
            .push(format!("{id} = mutate {}", desc["optimistic"]));
        let out = match self.s.mutate(&id, &desc.to_string(), self.now) {
            Ok(out) => out,
            Err(e) => self.fail(&format!("mutate {id} refused: {e}")),
        };
        self.model.muts.push(m);
        self.absorb("mutate", &out, Vec::new());
    }

    fn conflict_outcome(&mut self, i: usize, current: &Value, expected: &mut Expected) {
        self.model.write_server(norm_task(current));
        let m = &mut self.model.muts[i];
        match m.policy {
            "server-wins" => {
                expected.push((m.id.clone(), Err("CONFLICT")));
                self.model.muts.remove(i);
            }
            "client-wins" => m.status = St::Queued,
            _ => m.status = St::Conflict,
        }
    }

    fn settle_inflight(&mut self) {
        let Some((id, ticket)) = self.inflight.take() else {
            return;
        };
        let Some(i) = self.model.muts.iter().position(|m| m.id == id) else {
            self.fail(&format!("{id} is in flight but not in the model"));
        };
        let m = self.model.muts[i].clone();
        self.model.muts[i].status = St::Queued;
        let mut expected = Vec::new();
        let current = m.subject.as_ref().and_then(|k| self.server.view(k));
        let result = if m.reading {
            match (self.rng.below(10), current) {
                (0..=1, _) => {
                    self.trace.push(format!("{id} GET: network error"));
                    network()
                }
                (3..=9, Some(c)) => {
                    self.trace.push(format!("{id} GET: 200 {c}"));
                    self.model.muts[i].reading = false;
                    self.conflict_outcome(i, &c, &mut expected);
                    if self.rng.chance(50) {
                        ok(c)
                    } else {
                        ok(json!({ "current": c }))
                    }
                }
                _ => {
                    self.trace.push(format!("{id} GET: 404"));
                    self.model.muts[i].reading = false;
                    self.model.muts[i].status = St::Failed;
                    expected.push((id.clone(), Err("CONFLICT")));
                    http(404, "")
                }
            }
        } else {
            let roll = self.rng.below(100);
            match roll {
                77..=91 if current.is_some() && m.subject.is_some() => {
                    let c = current.unwrap_or_default();
                    let status = if self.rng.chance(80) { 409 } else { 412 };
                    match self.rng.below(4) {
                        0 => {
                            self.trace.push(format!("{id}: {status} without a body"));
                            self.model.muts[i].reading = true;
                            http(status, "")
                        }
                        1 => {
                            self.trace.push(format!("{id}: {status} {{current: {c}}}"));
                            self.conflict_outcome(i, &c, &mut expected);
                            http(status, &json!({ "current": c }).to_string())
                        }
                        _ => {
                            self.trace.push(format!("{id}: {status} {c}"));
                            self.conflict_outcome(i, &c, &mut expected);
                            http(status, &c.to_string())
                        }
                    }
                }
                40..=51 => {
                    let status = *self.rng.pick(&[400u16, 403, 404, 422]);
                    self.trace.push(format!("{id}: {status}"));
                    self.model.muts[i].status = St::Failed;
                    expected.push((id.clone(), Err("HTTP")));
                    http(status, "{\"error\":\"no\"}")
                }
                52..=64 => {
                    let status = *self.rng.pick(&[500u16, 502, 503]);
                    let mm = &mut self.model.muts[i];
                    if mm.failures < mm.retry {
                        mm.failures += 1;
                        self.trace
                            .push(format!("{id}: {status} (retry {})", mm.failures));
                    } else {
                        mm.status = St::Failed;
                        expected.push((id.clone(), Err("HTTP")));
                        self.trace.push(format!("{id}: {status} (final)"));
                    }
                    http(status, "<html>error</html>")
                }
                65..=76 => {
                    self.trace.push(format!("{id}: network error"));
                    network()
                }
                92..=99 => {
                    self.trace.push(format!("{id}: 401"));
                    self.paused = true;
                    http(401, "")
                }
                _ => {
                    // Success: the server applies the ops; the answer may echo the entity.
                    self.server.apply(&m.ops);
                    let echo_key = m.created.clone().or(m.subject.clone());
                    let echo = echo_key.and_then(|k| self.server.view(&k));
                    let body = match echo {
                        Some(e) if m.shape && self.rng.chance(80) => {
                            self.model.commit(&m);
                            self.model.write_server(norm_task(&e));
                            e.to_string()
                        }
                        _ => {
                            self.model.commit(&m);
                            if m.shape || self.rng.chance(50) {
                                String::new()
                            } else {
                                "{\"ok\":true}".to_owned()
                            }
                        }
                    };
                    self.trace.push(format!("{id}: 200 {body}"));
                    self.model.muts.remove(i);
                    expected.push((id.clone(), Ok(())));
                    http(if self.rng.chance(50) { 200 } else { 201 }, &body)
                }
            }
        };
        let random = self.rng.unit();
        let out = self
            .s
            .settle_mutation(&id, ticket, result, self.now, random);
        self.absorb("settle", &out, expected);
    }

    fn stale_answer(&mut self) {
        let old: Vec<(String, u64)> = self
            .sent
            .iter()
            .filter(|x| Some(*x) != self.inflight.as_ref())
            .cloned()
            .collect();
        if old.is_empty() {
            return;
        }
        let (id, ticket) = self.rng.pick(&old).clone();
        self.trace.push(format!("late answer to {id} #{ticket}"));
        let result = match self.rng.below(3) {
            0 => http(200, ""),
            1 => http(409, ""),
            _ => http(500, ""),
        };
        let out = self.s.settle_mutation(&id, ticket, result, self.now, 0.5);
        if !out.changes.is_empty() {
            self.fail(&format!("a late answer changed data: {:?}", out.changes));
        }
        self.absorb("late answer", &out, Vec::new());
    }

    fn refetch(&mut self, hash: &'static str) {
        let all = self.server.list();
        let (data, shape, keys, total) = if hash == LIST {
            (Value::Array(all.clone()), list_shape(), all.clone(), 0)
        } else {
            let items: Vec<Value> = all.iter().take(2).cloned().collect();
            let total = all.len();
            (
                json!({ "items": items, "total": total }),
                page_shape(),
                items,
                total,
            )
        };
        self.trace.push(format!("refetch {hash}: {data}"));
        for t in &keys {
            self.model.write_server(norm_task(t));
        }
        let keys: Vec<String> = keys.iter().map(|t| task_key(&t["id"])).collect();
        if hash == LIST {
            self.model.list = keys;
        } else {
            self.model.page = keys;
            self.model.page_total = total;
        }
        let out = match self.s.set_query_data(
            hash,
            &key_for(hash),
            &data.to_string(),
            &shape.to_string(),
            self.now,
        ) {
            Ok(out) => out,
            Err(e) => self.fail(&format!("refetch {hash} refused: {e}")),
        };
        self.absorb("refetch", &out, Vec::new());
    }

    fn server_edit(&mut self) {
        if self.rng.chance(30) {
            let u = *self.rng.pick(&USERS);
            let name = self.word();
            if let Value::String(n) = name {
                self.trace.push(format!("server: user {u} renamed {n}"));
                self.server.users.insert(u.to_owned(), n);
            }
            return;
        }
        if self.server.tasks.is_empty() {
            return;
        }
        let i = self.rng.below(self.server.tasks.len());
        let field = *self.rng.pick(&["title", "note"]);
        let value = self.word();
        let t = &mut self.server.tasks[i].1;
        t.insert(field.to_owned(), value);
        let v = t["version"].as_u64().unwrap_or(0) + 1;
        t.insert("version".into(), json!(v));
        self.trace.push(format!(
            "server: {} {field} changed",
            self.server.tasks[i].0
        ));
    }

    fn tick(&mut self) {
        self.now += 31_000.0;
        self.trace.push("tick".to_owned());
        let out = self.s.tick(self.now);
        self.absorb("tick", &out, Vec::new());
        self.live("tick");
    }

    fn toggle_online(&mut self) {
        self.online = !self.online;
        self.trace.push(format!("online = {}", self.online));
        let out = self.s.set_online(self.online, self.now);
        self.absorb("set_online", &out, Vec::new());
        if self.online {
            self.live("set_online(true)");
        }
    }

    fn flush(&mut self) {
        self.paused = false;
        self.trace.push("flush".to_owned());
        let out = self.s.flush(self.now);
        self.absorb("flush", &out, Vec::new());
        self.live("flush");
    }

    fn retry_failed(&mut self) {
        let failed: Vec<usize> = (0..self.model.muts.len())
            .filter(|&i| self.model.muts[i].status == St::Failed)
            .collect();
        if failed.is_empty() {
            return;
        }
        let i = *self.rng.pick(&failed);
        let mut m = self.model.muts.remove(i);
        m.status = St::Queued;
        m.failures = 0;
        m.reading = false;
        let id = m.id.clone();
        self.model.muts.push(m);
        self.trace.push(format!("retry {id}"));
        match self.s.retry_mutation(&id, self.now) {
            Ok(out) => self.absorb("retry", &out, Vec::new()),
            Err(e) => self.fail(&format!("retry {id} refused: {e}")),
        }
    }

    fn discard(&mut self) {
        if self.model.muts.is_empty() {
            return;
        }
        let i = self.rng.below(self.model.muts.len());
        let id = self.model.muts[i].id.clone();
        self.trace.push(format!("discard {id}"));
        if self.model.muts[i].status == St::Inflight {
            if self.s.discard_mutation(&id, self.now).is_ok() {
                self.fail(&format!("discarding {id} in flight was accepted"));
            }
            return;
        }
        let m = self.model.muts.remove(i);
        let expected = if m.status == St::Failed {
            Vec::new()
        } else {
            vec![(id.clone(), Err("CANCELLED"))]
        };
        match self.s.discard_mutation(&id, self.now) {
            Ok(out) => self.absorb("discard", &out, expected),
            Err(e) => self.fail(&format!("discard {id} refused: {e}")),
        }
    }

    fn resolve(&mut self) {
        let open: Vec<usize> = (0..self.model.muts.len())
            .filter(|&i| self.model.muts[i].status == St::Conflict)
            .collect();
        if open.is_empty() {
            return;
        }
        let i = *self.rng.pick(&open);
        let id = self.model.muts[i].id.clone();
        let mut expected = Vec::new();
        let choice = match self.rng.below(3) {
            0 => {
                self.model.muts[i].status = St::Queued;
                json!("local")
            }
            1 => {
                self.model.muts.remove(i);
                expected.push((id.clone(), Err("CONFLICT")));
                json!("server")
            }
            _ => {
                let value = json!({ "title": self.word() });
                let m = &mut self.model.muts[i];
                let subject = m.subject.clone().unwrap_or_default();
                for w in &mut m.writes {
                    if let MWrite::Merge(k, f) = w {
                        if *k == subject {
                            f.insert("title".into(), value["title"].clone());
                        }
                    }
                }
                m.status = St::Queued;
                value
            }
        };
        self.trace.push(format!("resolve {id} {choice}"));
        match self.s.resolve_conflict(&id, &choice.to_string(), self.now) {
            Ok(out) => self.absorb("resolve", &out, expected),
            Err(e) => self.fail(&format!("resolve {id} refused: {e}")),
        }
    }

    fn step(&mut self) {
        self.now += 1.0 + self.rng.below(50) as f64;
        let active = self
            .model
            .muts
            .iter()
            .filter(|m| m.status != St::Failed)
            .count();
        match self.rng.below(100) {
            0..=21 if active < 6 => self.mutate(),
            0..=49 => self.settle_inflight(),
            50..=57 => self.refetch(LIST),
            58..=62 => self.refetch(PAGE),
            63..=68 => self.server_edit(),
            69..=75 => self.tick(),
            76..=79 => self.toggle_online(),
            80..=83 => self.flush(),
            84..=87 => self.retry_failed(),
            88..=91 => self.discard(),
            92..=96 => self.resolve(),
            _ => self.stale_answer(),
        }
        let last = self.trace.last().cloned().unwrap_or_default();
        self.check(&last);
    }
}

fn run_model(seed: u64, steps: usize) {
    let mut sim = Sim::new(seed);
    for _ in 0..steps {
        sim.step();
    }
    // Drain: answer everything successfully; the end state is the server's.
    if !sim.online {
        sim.toggle_online();
    }
    sim.flush();
    for m in &mut sim.model.muts {
        if m.status == St::Conflict {
            m.status = St::Queued;
        }
    }
    let open: Vec<String> = sim
        .s
        .mutation_list()
        .iter()
        .filter(|m| m["status"] == "conflict")
        .map(|m| id_text(&m["id"]))
        .collect();
    for id in open {
        sim.trace.push(format!("resolve {id} local"));
        let out = sim
            .s
            .resolve_conflict(&id, "\"local\"", sim.now)
            .expect("resolve");
        sim.absorb("drain resolve", &out, Vec::new());
    }
    sim.check("drain");
}

#[test]
fn random_interleavings_match_the_reference_model() {
    for seed in 1..=300 {
        run_model(seed, 150);
    }
}

#[test]
fn long_random_runs_match_the_reference_model() {
    for seed in 10_001..=10_010 {
        run_model(seed, 1_500);
    }
}

#[test]
fn removing_the_list_keeps_an_entity_a_pending_insert_shows() {
    let mut s = seeded();
    let out = mutate(
        &mut s,
        "m1",
        insert_desc(
            json!({ "id": "tmp-1", "title": "new" }),
            json!([{ "hash": LIST }]),
        ),
        T0 + 1.0,
    );
    let sent = one_send(&out);
    let removed = s.remove(r#"["tasks"]"#, T0 + 2.0).expect("remove");
    assert!(
        !removed.removed_entities.contains(&"Task:tmp-1".to_owned()),
        "the layered entity is not collected: {:?}",
        removed.removed_entities
    );
    assert!(s.read_entity("Task", "tmp-1").is_some());
    let done = answer(
        &mut s,
        &sent,
        http(201, r#"{"id":"t9","title":"new"}"#),
        T0 + 3.0,
    );
    assert!(
        settled(&done).iter().all(|(_, r)| r.is_ok()),
        "{:?}",
        settled(&done)
    );
}
