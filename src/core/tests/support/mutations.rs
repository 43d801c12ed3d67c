//! Mutation helpers: the Task/User schema and its seeded stores, descriptions, the calls as the
//! bindings make them, and readers of what came out (Send actions, settlements, the listing).

pub use super::*;

/// The task list query (`['tasks']`, shape `['Task']`).
pub const LIST: &str = "tasks";
/// A page query with the list at a nested path (`{ items: ['Task'], total }`).
pub const PAGE: &str = "page";

pub fn schema() -> Value {
    json!({
        "Task": { "version": "version", "relations": { "assignee": "User" } },
        "User": {}
    })
}

pub fn list_shape() -> Value {
    json!(["Task"])
}

pub fn page_shape() -> Value {
    json!({ "items": ["Task"], "total": null })
}

pub fn seed_tasks() -> Value {
    json!([
        { "id": 1, "title": "one", "done": false, "note": "n1", "version": 1,
          "assignee": { "id": "u1", "name": "Ann" } },
        { "id": 2, "title": "two", "done": false, "note": "n2", "version": 1, "assignee": null },
        { "id": 3, "title": "three", "done": true, "note": "n3", "version": 1,
          "assignee": { "id": "u2", "name": "Bob" } }
    ])
}

/// An empty store with the Task/User schema (queries are never collected, so long random runs
/// keep their lists). Memory only: the persisted outbox has its own helpers (persist.rs).
pub fn new_store() -> Store {
    store_from(
        json!({ "entities": schema(), "defaults": { "gcTime": "Infinity" }, "persist": false }),
    )
}

/// `s` with the task list written (`LIST`).
pub fn with_tasks(mut s: Store) -> Store {
    put(&mut s, LIST, seed_tasks(), list_shape(), T0);
    s
}

/// `s` with the page written too (`PAGE`, the same tasks).
pub fn with_page(mut s: Store) -> Store {
    put(
        &mut s,
        PAGE,
        json!({ "items": seed_tasks(), "total": 3 }),
        page_shape(),
        T0,
    );
    s
}

/// A store holding the task list.
pub fn seeded() -> Store {
    with_tasks(new_store())
}

/// A store holding the task list and the page.
pub fn seeded_with_page() -> Store {
    with_page(seeded())
}

#[track_caller]
pub fn mutate(s: &mut Store, id: &str, desc: Value, now: f64) -> Output {
    must(
        s.mutate(id, &desc.to_string(), now),
        format_args!("mutate({id})"),
    )
}

/// `mutate`, which sends the mutation at once: its one Send.
#[track_caller]
pub fn mutate_sent(s: &mut Store, id: &str, desc: Value, now: f64) -> Sent {
    one_send(&mutate(s, id, desc, now))
}

/// The text of an id as it appears in a url.
pub fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// PATCH /tasks/<id> with `patch` as body and as the optimistic update.
pub fn patch_desc(id: impl Into<Value>, patch: Value) -> Value {
    let id = id.into();
    json!({
        "request": { "method": "PATCH", "url": format!("/tasks/{}", id_text(&id)), "body": patch },
        "optimistic": [{ "op": "update", "type": "Task", "id": id, "patch": patch }]
    })
}

/// `patch_desc` setting the title.
pub fn patch_title(id: impl Into<Value>, title: impl Into<Value>) -> Value {
    let title: Value = title.into();
    patch_desc(id, json!({ "title": title }))
}

/// DELETE /tasks/<id> with the optimistic delete.
pub fn delete_desc(id: u64) -> Value {
    json!({
        "request": { "method": "DELETE", "url": format!("/tasks/{id}") },
        "optimistic": [{ "op": "delete", "type": "Task", "id": id }]
    })
}

/// POST /tasks with an optimistic insert of `data` into the `into` targets.
pub fn insert_desc(data: Value, into: Value) -> Value {
    json!({
        "request": { "method": "POST", "url": "/tasks", "body": data },
        "optimistic": [{ "op": "insert", "type": "Task", "data": data, "into": into }]
    })
}

/// Task 1 as the server holds it.
pub fn server_task(title: &str, note: &str, version: u64) -> Value {
    json!({ "id": 1, "title": title, "done": false, "note": note, "version": version,
            "assignee": { "id": "u1", "name": "Ann" } })
}

/// Mutation `m1` (a PATCH of task 1's title, conflict policy `policy`) sent and answered with a
/// 409 carrying `current`.
pub fn conflict_case(policy: &str, current: &Value) -> (Store, Output) {
    let mut s = seeded();
    let desc = with(patch_title(1, "local"), json!({ "conflict": policy }));
    let sent = mutate_sent(&mut s, "m1", desc, T0);
    let out = answer(&mut s, &sent, http(409, &current.to_string()), T0 + 1.0);
    (s, out)
}

/// A Send action, its body parsed.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: String,
    pub ticket: u64,
    pub method: String,
    pub url: String,
    pub headers: Map<String, Value>,
    pub body: Option<Value>,
    pub timeout: f64,
}

impl Sent {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(Value::as_str)
    }

    /// The `Idempotency-Key` header.
    pub fn key(&self) -> &str {
        self.header("Idempotency-Key").unwrap_or_default()
    }
}

pub fn sends(out: &Output) -> Vec<Sent> {
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
pub fn one_send(out: &Output) -> Sent {
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
pub fn no_send(out: &Output) {
    assert!(
        sends(out).is_empty(),
        "unexpected Send actions: {:?}",
        out.actions
    );
}

/// `settle_mutation` for a Send.
pub fn answer(s: &mut Store, sent: &Sent, result: Settle, now: f64) -> Output {
    s.settle_mutation(&sent.id, sent.ticket, result, now, R)
}

/// The settled mutations as `(id, Ok(result) | Err(code))`.
pub fn settled(out: &Output) -> Vec<(String, std::result::Result<Value, String>)> {
    out.settled
        .iter()
        .map(|(id, r)| (id.clone(), r.clone().map_err(|e| e.code)))
        .collect()
}

/// The one settled entry's error.
#[track_caller]
pub fn settled_err(out: &Output, id: &str) -> ErrorInfo {
    match out.settled.as_slice() {
        [(i, Err(e))] if i == id => e.clone(),
        other => panic!("expected `{id}` to settle with an error, got {other:?}"),
    }
}

/// The `mutations()` entry of `id`.
#[track_caller]
pub fn listing(s: &Store, id: &str) -> Value {
    s.mutation_list()
        .into_iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("mutation `{id}` is not listed: {:?}", s.mutation_list()))
}

pub fn status(s: &Store, id: &str) -> Option<String> {
    s.mutation_list()
        .into_iter()
        .find(|m| m["id"] == id)
        .and_then(|m| m["status"].as_str().map(str::to_owned))
}

pub fn sync(s: &Store) -> Value {
    serde_json::to_value(s.sync_state()).expect("sync state serializes")
}

#[track_caller]
pub fn task(s: &Store, id: &str) -> Value {
    s.read_entity("Task", id)
        .unwrap_or_else(|| panic!("Task {id} is not visible"))
}

/// The `id`s of the visible list (`LIST`), or of the page's items (`PAGE`).
pub fn ids(s: &Store, hash: &str) -> Vec<Value> {
    let v = read(s, hash);
    let items = if hash == PAGE { &v["items"] } else { &v };
    items
        .as_array()
        .unwrap_or_else(|| panic!("{hash} holds no list: {v}"))
        .iter()
        .map(|t| t["id"].clone())
        .collect()
}
