//! The outbox state machine with persistence on (the default): records written before a
//! mutation counts as queued (records.rs), which records each transition writes or deletes,
//! reload and multi-tab reconciliation, cache deltas and hydration, leader-only sending and
//! the storage faults of issue 5 (persist.rs).
//!
//! Every call goes through `done`, which does what the bindings do after each call
//! (`collect_persist`); `Idb` stands in for IndexedDB (the outbox by id, the cache by key) and
//! `Server` for a server that honours `Idempotency-Key` and `If-Match`, so "each mutation is
//! applied once, in order" is checked on the server's own log.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

use super::mutations::{
    delete_desc, http, ids, listing, network, no_send, one_send, schema, seed_tasks, sends,
    settled, status, sync, task, with, Sent, LIST, PAGE, R, T0,
};
use super::*;
use crate::core::mutation::description::{MStatus, Mutation};
use crate::core::retry;
use crate::core::sync::records::{self, FORMAT};
use crate::core::{Action, Output, Settle};

// ---------------------------------------------------------------------------------------------
// helpers: stores and calls

/// An empty store with the Task/User schema and the default `persist` (on).
fn persisting_store() -> Store {
    let s = Store::from_options_json(
        &json!({ "entities": schema(), "defaults": { "gcTime": "Infinity" } }).to_string(),
    )
    .unwrap_or_else(|e| panic!("store creation failed: {e}"));
    assert!(s.persisting(), "persist is on by default");
    s
}

/// A persisting store holding the task list (the cache delta of the write is still waiting).
fn seeded() -> Store {
    let mut s = persisting_store();
    put(&mut s, LIST, seed_tasks(), json!(["Task"]), T0);
    s
}

/// A persisting store holding the task list and the page.
fn seeded_with_page() -> Store {
    let mut s = seeded();
    put(
        &mut s,
        PAGE,
        json!({ "items": seed_tasks(), "total": 3 }),
        json!({ "items": ["Task"], "total": null }),
        T0,
    );
    s
}

/// Every call's output already notes what must be persisted (the store's finish step).
fn done(_: &mut Store, out: Output) -> Output {
    out
}

fn put(s: &mut Store, hash: &str, data: Value, shape: Value, now: f64) -> Output {
    let out = s
        .set_query_data(
            hash,
            &key_for(hash),
            &data.to_string(),
            &shape.to_string(),
            now,
        )
        .unwrap_or_else(|e| panic!("set_query_data({hash}) failed: {e}"));
    done(s, out)
}

#[track_caller]
fn mutate(s: &mut Store, id: &str, desc: Value, now: f64) -> Output {
    let out = s
        .mutate(id, &desc.to_string(), now)
        .unwrap_or_else(|e| panic!("mutate({id}) failed: {e}"));
    done(s, out)
}

#[track_caller]
fn persisted(s: &mut Store, ids: &[&str], now: f64) -> Output {
    let out = s
        .persisted(&json!(ids).to_string(), now)
        .unwrap_or_else(|e| panic!("persisted({ids:?}) failed: {e}"));
    done(s, out)
}

/// `mutate`, then its record is durable (the usual path). Returns the two batches as one:
/// the records of both in order, the actions of `persisted`.
#[track_caller]
fn mutate_durable(s: &mut Store, id: &str, desc: Value, now: f64) -> Output {
    let first = mutate(s, id, desc, now);
    assert_eq!(ob(&first), vec![id.to_owned()], "mutate writes its record");
    no_send(&first);
    let mut out = persisted(s, &[id], now);
    let mut records = first.outbox;
    records.append(&mut out.outbox);
    out.outbox = records;
    out.persist |= first.persist;
    out
}

fn answer(s: &mut Store, sent: &Sent, result: Settle, now: f64) -> Output {
    let out = s.settle_mutation(&sent.id, sent.ticket, result, now, R);
    done(s, out)
}

#[track_caller]
fn reconcile(s: &mut Store, records: &str, now: f64) -> Output {
    let out = s
        .reconcile_outbox(records, now)
        .unwrap_or_else(|e| panic!("reconcile_outbox failed: {e}"));
    done(s, out)
}

fn tick(s: &mut Store, now: f64) -> Output {
    let out = s.tick(now);
    done(s, out)
}

fn online(s: &mut Store, on: bool, now: f64) -> Output {
    let out = s.set_online(on, now);
    done(s, out)
}

fn leader(s: &mut Store, on: bool, now: f64) -> Output {
    let out = s.set_leader(on, now);
    done(s, out)
}

/// PATCH /tasks/<id> with `patch` as body and as the optimistic update.
fn patch_desc(id: Value, patch: Value) -> Value {
    let text = match &id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    json!({
        "request": { "method": "PATCH", "url": format!("/tasks/{text}"), "body": patch },
        "optimistic": [{ "op": "update", "type": "Task", "id": id, "patch": patch }]
    })
}

/// POST /tasks with an optimistic insert of `data` into the `into` targets; the response is
/// read as a `Task` (so the temporary id is renamed to the real one).
fn insert_desc(data: Value, into: Value) -> Value {
    json!({
        "request": { "method": "POST", "url": "/tasks", "body": data },
        "optimistic": [{ "op": "insert", "type": "Task", "data": data, "into": into }],
        "shape": "Task"
    })
}

fn new_task(temp_id: &str, title: &str) -> Value {
    json!({ "id": temp_id, "title": title, "done": false, "note": "", "assignee": null })
}

// ---------------------------------------------------------------------------------------------
// helpers: what came out

/// The outbox records of a batch, in order: `id` for a write, `-id` for a delete.
fn ob(out: &Output) -> Vec<String> {
    out.outbox
        .iter()
        .map(|(id, r)| match r {
            Some(_) => id.clone(),
            None => format!("-{id}"),
        })
        .collect()
}

/// The record a batch writes for `id`.
#[track_caller]
fn rec(out: &Output, id: &str) -> Value {
    out.outbox
        .iter()
        .rev()
        .find(|(i, _)| i == id)
        .and_then(|(_, r)| r.clone())
        .unwrap_or_else(|| panic!("no record of `{id}` written: {:?}", ob(out)))
}

impl Sent {
    fn key(&self) -> &str {
        self.header("Idempotency-Key").unwrap_or_default()
    }
}

/// The queue as `[id, status]` pairs, in order.
fn queue(s: &Store) -> Vec<(String, String)> {
    s.mutation_list()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap_or_default().to_owned(),
                m["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The queue as a reload sees it: nothing is in flight or being saved after a reload.
fn queue_after_reload(s: &Store) -> Vec<(String, String)> {
    queue(s)
        .into_iter()
        .map(|(id, st)| match st.as_str() {
            "inflight" | "saving" => (id, "queued".to_owned()),
            _ => (id, st),
        })
        .collect()
}

/// Everything a user can see: every cached record and every query (normalized and read).
fn visible(s: &Store) -> Value {
    let mut keys = s.cache().entity_keys();
    keys.sort();
    let entities: Map<String, Value> = keys.iter().map(|k| (k.clone(), record(s, k))).collect();
    let mut hashes: Vec<&String> = s.cache().query_hashes().collect();
    hashes.sort();
    let queries: Map<String, Value> = hashes
        .iter()
        .map(|h| {
            let q = s.query(h).expect("listed query");
            (
                (*h).clone(),
                json!({ "key": q.key, "result": q.result, "read": read(s, h) }),
            )
        })
        .collect();
    json!({ "entities": entities, "queries": queries })
}

/// The server base under the layers: every base record and base query result.
fn bases(s: &Store) -> Value {
    let mut keys = s.cache().entity_keys();
    keys.extend(s.cache().layered_keys().cloned());
    keys.sort();
    keys.dedup();
    let entities: Map<String, Value> = keys
        .iter()
        .map(|k| {
            let base = s
                .cache()
                .base_record(k)
                .map_or(Value::Null, |r| Value::Object(r.clone()));
            (k.clone(), base)
        })
        .collect();
    let queries: Map<String, Value> = s
        .cache()
        .query_hashes()
        .filter_map(|h| Some((h.clone(), s.cache().base_result(h)?.clone())))
        .collect();
    json!({ "entities": entities, "queries": queries })
}

// ---------------------------------------------------------------------------------------------
// helpers: IndexedDB and the server

/// A batch that only says "a cache delta is waiting" (to save what a store holds so far).
fn pending_cache() -> Output {
    Output {
        persist: true,
        ..Output::default()
    }
}

/// IndexedDB as the browser side keeps it: the outbox by id (as `getAll` returns it: sorted
/// by key, not by time) and the persisted cache.
#[derive(Debug, Default, Clone)]
struct Idb {
    outbox: BTreeMap<String, Value>,
    entities: BTreeMap<String, Value>,
    queries: BTreeMap<String, Value>,
}

impl Idb {
    /// Writes one batch's outbox records (one strict transaction) and, when the batch says
    /// so, the cache delta (the 1 s timer, here at once).
    fn save(&mut self, s: &mut Store, out: &Output) {
        self.write_outbox(out);
        if out.persist {
            self.write_cache(s);
        }
    }

    fn write_outbox(&mut self, out: &Output) {
        for (id, r) in &out.outbox {
            match r {
                Some(r) => self.outbox.insert(id.clone(), r.clone()),
                None => self.outbox.remove(id),
            };
        }
    }

    /// Takes the store's cache delta and writes it; returns the delta (what another tab gets).
    fn write_cache(&mut self, s: &mut Store) -> String {
        let text = s.take_cache_delta();
        let d: Value = serde_json::from_str(&text).expect("the delta is JSON");
        for (part, into) in [("e", &mut self.entities), ("q", &mut self.queries)] {
            for pair in d[part].as_array().expect("a delta list") {
                let k = pair[0].as_str().expect("a key").to_owned();
                if pair[1].is_null() {
                    into.remove(&k);
                } else {
                    into.insert(k, pair[1].clone());
                }
            }
        }
        text
    }

    fn outbox_json(&self) -> String {
        Value::Array(self.outbox.values().cloned().collect()).to_string()
    }

    fn cache_json(&self) -> String {
        let pairs = |m: &BTreeMap<String, Value>| -> Vec<Value> {
            m.iter().map(|(k, v)| json!([k, v])).collect()
        };
        json!({ "e": pairs(&self.entities), "q": pairs(&self.queries) }).to_string()
    }
}

/// A fresh tab on the same IndexedDB, as `createStore` starts it: not the sender yet, the
/// cache hydrated, the outbox reconciled (layers re-applied). Nothing is sent.
fn reload(idb: &Idb, on: bool, now: f64) -> Store {
    let mut b = persisting_store();
    online(&mut b, on, now);
    no_send(&leader(&mut b, false, now));
    let out = b
        .apply_cache(&idb.cache_json(), true, now)
        .expect("apply_cache");
    no_send(&out);
    no_send(&reconcile(&mut b, &idb.outbox_json(), now));
    b
}

/// The tab wins the flusher lock: it reads the outbox again, then sends.
fn elect(b: &mut Store, idb: &Idb, now: f64) -> Output {
    let out = reconcile(b, &idb.outbox_json(), now);
    assert!(ob(&out).is_empty(), "a reconcile writes no record");
    leader(b, true, now)
}

/// A server that keeps tasks with versions, honours `If-Match` (409 with the current task)
/// and `Idempotency-Key` (a repeated key gets the first answer again, nothing is re-applied).
struct Server {
    tasks: BTreeMap<String, Value>,
    answers: HashMap<String, (u16, String)>,
    /// The keys of the requests that changed something, in the order they were applied.
    applied: Vec<String>,
    /// Every request's key, repeats included.
    received: Vec<String>,
    next_id: u64,
}

impl Server {
    fn new() -> Server {
        let tasks = seed_tasks()
            .as_array()
            .expect("seed list")
            .iter()
            .map(|t| (t["id"].to_string(), t.clone()))
            .collect();
        Server {
            tasks,
            answers: HashMap::new(),
            applied: Vec::new(),
            received: Vec::new(),
            next_id: 4,
        }
    }

    fn handle(&mut self, sent: &Sent) -> Settle {
        let key = sent.key().to_owned();
        assert!(!key.is_empty(), "every request carries an Idempotency-Key");
        self.received.push(key.clone());
        if let Some((st, body)) = self.answers.get(&key) {
            return http(*st, body);
        }
        let (st, body) = self.apply(sent);
        if (200..300).contains(&st) {
            self.applied.push(key.clone());
        }
        self.answers.insert(key, (st, body.clone()));
        http(st, &body)
    }

    fn apply(&mut self, sent: &Sent) -> (u16, String) {
        let id = sent
            .url
            .trim_start_matches("/tasks")
            .trim_start_matches('/');
        match sent.method.as_str() {
            "POST" => {
                let mut t = sent.body.clone().unwrap_or_else(|| json!({}));
                t["id"] = json!(self.next_id);
                t["version"] = json!(1);
                self.tasks.insert(self.next_id.to_string(), t.clone());
                self.next_id += 1;
                (201, t.to_string())
            }
            "PATCH" | "DELETE" => {
                let Some(current) = self.tasks.get(id).cloned() else {
                    return (404, "{\"error\":\"no such task\"}".to_owned());
                };
                let version = current["version"].as_u64().unwrap_or(0);
                if let Some(m) = sent.header("If-Match") {
                    if m != format!("\"{version}\"") {
                        return (409, json!({ "current": current }).to_string());
                    }
                }
                if sent.method == "DELETE" {
                    self.tasks.remove(id);
                    return (204, String::new());
                }
                let mut t = current;
                if let Some(Value::Object(b)) = &sent.body {
                    for (k, v) in b {
                        if k != "version" && k != "id" {
                            t[k] = v.clone();
                        }
                    }
                }
                t["version"] = json!(version + 1);
                self.tasks.insert(id.to_owned(), t.clone());
                (200, t.to_string())
            }
            other => panic!("unexpected method {other}"),
        }
    }
}

/// Answers every send of `out` through the server until nothing more is sent; returns the
/// keys sent, in order, and saves every batch into `idb`.
fn drain(s: &mut Store, server: &mut Server, idb: &mut Idb, out: Output, now: f64) -> Vec<String> {
    let mut out = out;
    let mut keys = Vec::new();
    idb.save(s, &out);
    while let Some(sent) = sends(&out).into_iter().next() {
        keys.push(sent.key().to_owned());
        let result = server.handle(&sent);
        out = answer(s, &sent, result, now);
        idb.save(s, &out);
    }
    keys
}

// ---------------------------------------------------------------------------------------------
// ordering: nothing is sent before its record is durable

#[test]
fn a_new_mutation_is_saving_until_its_record_is_durable() {
    let mut s = seeded();
    let out = mutate(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "local" })),
        T0,
    );
    no_send(&out);
    assert_eq!(ob(&out), vec!["m1"]);
    assert!(out.sync);
    let r = rec(&out, "m1");
    assert_eq!(r["f"], FORMAT);
    assert_eq!(r["id"], "m1");
    assert_eq!(r["v"], 1, "the first write of the record");
    assert_eq!(
        r["status"], "queued",
        "a record is only ever read back queued"
    );
    assert_eq!(r["at"], T0);
    assert_eq!(
        (r["method"].clone(), r["url"].clone(), r["body"].clone()),
        (
            json!("PATCH"),
            json!("/tasks/1"),
            json!({ "title": "local" })
        )
    );
    assert_eq!(
        r["writes"],
        json!([["Task:1", { "id": 1, "title": "local" }]])
    );
    assert_eq!(
        r["snapshot"],
        json!({ "Task:1": { "id": 1, "title": "one" } })
    );
    assert_eq!(r["baseVersion"], 1);
    assert_eq!(r["revision"], 0);
    assert_eq!(
        r["subject"],
        json!({ "key": "Task:1", "type": "Task", "versionField": "version",
                "patch": { "id": 1, "title": "local" } })
    );

    // Visible at once, counted as pending, but not sent.
    assert_eq!(status(&s, "m1").as_deref(), Some("saving"));
    assert_eq!(task(&s, "1")["title"], "local");
    let y = sync(&s);
    assert_eq!(
        (y["pending"].clone(), y["inflight"].clone()),
        (json!(1), json!(0))
    );
    no_send(&tick(&mut s, T0 + 100_000.0));
    no_send(&{
        let out = s.flush(T0 + 100_001.0);
        done(&mut s, out)
    });
    assert_eq!(
        s.next_wake(T0 + 100_002.0),
        None,
        "no timer spins for a saving mutation"
    );

    let out = persisted(&mut s, &["m1"], T0 + 1.0);
    assert!(
        ob(&out).is_empty(),
        "being sent does not rewrite the record"
    );
    let sent = one_send(&out);
    assert_eq!((sent.id.as_str(), sent.key()), ("m1", "m1"));
    assert_eq!(sent.header("If-Match"), Some("\"1\""));
    assert_eq!(sent.body, Some(json!({ "title": "local", "version": 1 })));
    assert_eq!(status(&s, "m1").as_deref(), Some("inflight"));
}

#[test]
fn a_store_without_persistence_writes_nothing() {
    let mut s =
        Store::from_options_json(&json!({ "entities": schema(), "persist": false }).to_string())
            .expect("store");
    assert!(!s.persisting());
    let out = put(&mut s, LIST, seed_tasks(), json!(["Task"]), T0);
    assert!(!out.persist);
    let out = mutate(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "x" })),
        T0,
    );
    assert!(out.outbox.is_empty());
    assert!(!out.persist);
    assert_eq!(
        one_send(&out).id,
        "m1",
        "memory only: queued and sent at once"
    );
    assert_eq!(
        s.take_cache_delta(),
        json!({ "e": [], "q": [] }).to_string()
    );
}

#[test]
fn records_are_emitted_in_order_and_only_durable_mutations_are_sent() {
    let mut s = seeded();
    let mut written = Vec::new();
    for (i, id) in ["m1", "m2", "m3"].iter().enumerate() {
        let out = mutate(
            &mut s,
            id,
            patch_desc(json!(i + 1), json!({ "title": format!("t{i}") })),
            T0 + i as f64,
        );
        no_send(&out);
        written.extend(ob(&out));
    }
    assert_eq!(written, vec!["m1", "m2", "m3"]);
    assert_eq!(
        queue(&s),
        vec![
            ("m1".to_owned(), "saving".to_owned()),
            ("m2".to_owned(), "saving".to_owned()),
            ("m3".to_owned(), "saving".to_owned())
        ]
    );
    // One transaction made all three durable: the head goes, the rest wait their turn.
    let out = persisted(&mut s, &["m1", "m2", "m3"], T0 + 5.0);
    let s1 = one_send(&out);
    assert_eq!(s1.id, "m1");
    assert_eq!(sync(&s)["pending"], 3);
    let out = answer(&mut s, &s1, http(204, ""), T0 + 6.0);
    assert_eq!(ob(&out), vec!["-m1"]);
    let s2 = one_send(&out);
    assert_eq!(s2.id, "m2");
    let out = answer(&mut s, &s2, http(204, ""), T0 + 7.0);
    assert_eq!(ob(&out), vec!["-m2"]);
    assert_eq!(one_send(&out).id, "m3");
}

#[test]
fn a_saving_head_blocks_the_mutations_behind_it() {
    let mut s = seeded();
    mutate(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "a" })),
        T0,
    );
    mutate(
        &mut s,
        "m2",
        patch_desc(json!(2), json!({ "title": "b" })),
        T0 + 1.0,
    );
    // m2's record landed first: it is queued, but m1 (still being written) goes first.
    let out = persisted(&mut s, &["m2"], T0 + 2.0);
    no_send(&out);
    assert_eq!(
        queue(&s),
        vec![
            ("m1".to_owned(), "saving".to_owned()),
            ("m2".to_owned(), "queued".to_owned())
        ]
    );
    assert_eq!(s.next_wake(T0 + 2.0), None);
    no_send(&tick(&mut s, T0 + 60_000.0));
    let out = persisted(&mut s, &["m1"], T0 + 3.0);
    let s1 = one_send(&out);
    assert_eq!(s1.id, "m1");
    let out = answer(&mut s, &s1, http(204, ""), T0 + 4.0);
    assert_eq!(one_send(&out).id, "m2");

    // Unknown ids and ids that are no longer being saved change nothing.
    let out = persisted(&mut s, &["nope", "m2"], T0 + 5.0);
    no_send(&out);
    assert!(ob(&out).is_empty());
    assert_eq!(status(&s, "m2").as_deref(), Some("inflight"));
    expect_err(s.persisted("not json", T0), "INVALID_ARGUMENT");
}

// ---------------------------------------------------------------------------------------------
// exactly the right records

#[test]
fn success_deletes_the_record_and_puts_the_committed_base_in_the_cache_delta() {
    let mut s = seeded();
    s.take_cache_delta();
    let out = mutate_durable(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "local" })),
        T0,
    );
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
    let sent = one_send(&mutate_durable(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "local" })),
        T0,
    ));
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
    mutate_durable(
        &mut s,
        "m2",
        patch_desc(json!(2), json!({ "title": "x" })),
        T0 + 3.0,
    );
    mutate_durable(
        &mut s,
        "m3",
        patch_desc(json!(3), json!({ "title": "y" })),
        T0 + 4.0,
    );
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
    let s1 = one_send(&mutate_durable(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "local" })),
        T0,
    ));
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
    let desc = with(
        patch_desc(json!(1), json!({ "title": "local" })),
        json!({ "conflict": "manual" }),
    );
    let sent = one_send(&mutate_durable(&mut s, "m1", desc, T0));
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
        patch_desc(json!(1), json!({ "title": "local" })),
        json!({ "conflict": "client-wins" }),
    );
    let sent = one_send(&mutate_durable(&mut s, "m1", desc, T0));
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
    let sent = one_send(&mutate_durable(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "local" })),
        T0,
    ));
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
fn a_temp_id_rename_rewrites_exactly_the_records_that_name_it() {
    let mut s = seeded();
    let sent = one_send(&mutate_durable(
        &mut s,
        "m1",
        insert_desc(new_task("tmp-1", "new"), json!([{ "hash": LIST }])),
        T0,
    ));
    assert_eq!(
        (sent.method.as_str(), sent.url.as_str()),
        ("POST", "/tasks")
    );
    mutate_durable(
        &mut s,
        "m2",
        patch_desc(json!("tmp-1"), json!({ "done": true })),
        T0 + 1.0,
    );
    mutate_durable(
        &mut s,
        "m3",
        patch_desc(json!(2), json!({ "title": "b" })),
        T0 + 2.0,
    );
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
    let desc = with(
        patch_desc(json!(1), json!({ "title": "a" })),
        json!({ "shape": "Task" }),
    );
    let s1 = one_send(&mutate_durable(&mut s, "m1", desc, T0));
    mutate_durable(
        &mut s,
        "m2",
        patch_desc(json!(1), json!({ "note": "b" })),
        T0 + 1.0,
    );
    mutate_durable(
        &mut s,
        "m3",
        patch_desc(json!(2), json!({ "title": "c" })),
        T0 + 2.0,
    );
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

// ---------------------------------------------------------------------------------------------
// round trip and reload

/// A store whose queue holds every kind of mutation state: failed, conflict, resent after a
/// conflict (revision 1, in flight), and queued ones with updates, relations, list inserts at
/// both ends, a delete, options and an infinite timeout.
fn busy_store(idb: &mut Idb) -> Store {
    let mut s = seeded_with_page();
    put(
        &mut s,
        "extra",
        json!([{ "id": 9, "title": "nine", "version": null }]),
        json!(["Task"]),
        T0,
    );
    idb.save(&mut s, &pending_cache());
    let mut step = |s: &mut Store, out: Output| {
        idb.save(s, &out);
        out
    };
    let current = |title: &str, note: &str| {
        json!({ "current": { "id": 1, "title": title, "done": false, "note": note, "version": 2,
                             "assignee": { "id": "u1", "name": "Ann" } } })
        .to_string()
    };

    let out = mutate_durable(
        &mut s,
        "f0",
        patch_desc(json!(2), json!({ "note": "x" })),
        T0,
    );
    let sent = one_send(&step(&mut s, out));
    let out = answer(&mut s, &sent, http(422, "{\"error\":\"no\"}"), T0 + 1.0);
    step(&mut s, out);

    let desc = with(
        patch_desc(json!(2), json!({ "title": "mine" })),
        json!({ "conflict": "manual" }),
    );
    let out = mutate_durable(&mut s, "c1", desc, T0 + 2.0);
    let sent = one_send(&step(&mut s, out));
    let server2 = json!({ "current": { "id": 2, "title": "theirs", "done": false, "note": "n2",
                                        "version": 3, "assignee": null } });
    let out = answer(&mut s, &sent, http(409, &server2.to_string()), T0 + 3.0);
    step(&mut s, out);
    assert_eq!(status(&s, "c1").as_deref(), Some("conflict"));

    let desc = with(
        patch_desc(json!(1), json!({ "title": "merged title" })),
        json!({ "conflict": "merge", "shape": "Task", "invalidate": [["tasks"], ["page", 1]],
                "retry": 5, "retryDelay": 250, "timeout": "Infinity",
                "request": { "method": "PATCH", "url": "/tasks/1",
                             "body": { "title": "merged title" },
                             "headers": { "Authorization": "Bearer t" } } }),
    );
    let out = mutate_durable(&mut s, "p1", desc, T0 + 4.0);
    let sent = one_send(&step(&mut s, out));
    // The server changed another field: merged and resent (revision 1), in flight now.
    let out = answer(
        &mut s,
        &sent,
        http(409, &current("one", "server note")),
        T0 + 5.0,
    );
    let resent = one_send(&step(&mut s, out));
    assert_eq!(resent.key(), "p1.1");

    for (id, desc, at) in [
        (
            "i1",
            with(
                insert_desc(new_task("tmp-1", "first new"), json!([{ "hash": LIST }])),
                json!({ "optimistic": [{ "op": "insert", "type": "Task",
                    "data": new_task("tmp-1", "first new"),
                    "into": [{ "hash": LIST }, { "hash": PAGE, "path": "items", "position": "start" }] }] }),
            ),
            T0 + 6.0,
        ),
        ("d1", delete_desc(3), T0 + 7.0),
        (
            "u1",
            patch_desc(
                json!(2),
                json!({ "assignee": { "id": "u9", "name": "Zed" }, "done": true }),
            ),
            T0 + 8.0,
        ),
        (
            "u2",
            patch_desc(json!("tmp-1"), json!({ "note": "on the new one" })),
            T0 + 9.0,
        ),
        // Based on a `null` version: sent as If-Match "null", and so again after a reload.
        (
            "v1",
            patch_desc(json!(9), json!({ "title": "ninth" })),
            T0 + 9.5,
        ),
        (
            "n1",
            json!({ "request": { "method": "POST", "url": "/ping", "body": null } }),
            T0 + 10.0,
        ),
    ] {
        let out = mutate_durable(&mut s, id, desc, at);
        no_send(&step(&mut s, out));
    }
    s
}

/// What a reload keeps of a mutation: everything but runtime state and headers.
fn as_reloaded(m: &Mutation) -> Mutation {
    let mut m = m.clone();
    m.request.headers = Map::new();
    m.layered = false;
    m.attempts = 0;
    m.failures = 0;
    m.retry_at = None;
    m.ticket = 0;
    m.reading_current = false;
    if matches!(m.status, MStatus::Saving | MStatus::Inflight) {
        m.status = MStatus::Queued;
    }
    m
}

#[test]
fn every_record_reads_back_as_the_mutation_it_was_written_from() {
    let mut idb = Idb::default();
    let s = busy_store(&mut idb);
    assert_eq!(s.queue().list().len(), 9);
    let n1 = s.queue().list().iter().find(|m| m.id == "n1").expect("n1");
    assert_eq!(n1.request.body, Some(Value::Null), "`body: null` is a body");
    assert!(!records::write(n1)
        .as_object()
        .expect("record")
        .contains_key("baseVersion"));
    let v1 = s.queue().list().iter().find(|m| m.id == "v1").expect("v1");
    assert_eq!(v1.base_version, Some(Value::Null));
    for m in s.queue().list() {
        let r = records::write(m);
        assert_eq!(r["v"], m.stamp, "{}: the stamp is in the record", m.id);
        let back =
            records::read(&r, &s.config().schema).unwrap_or_else(|e| panic!("{}: {e}\n{r}", m.id));
        assert_eq!(back, as_reloaded(m), "{}: read back differs\n{r}", m.id);
        assert_eq!(records::write(&back), r, "{}: written again differs", m.id);
        // What is in IndexedDB is the latest record.
        assert_eq!(idb.outbox.get(&m.id), Some(&r), "{}: stored record", m.id);
    }
}

#[test]
fn a_reload_reproduces_the_visible_optimistic_state_exactly() {
    let mut idb = Idb::default();
    let a = busy_store(&mut idb);
    let before = visible(&a);
    // The layers really are on.
    assert_eq!(read(&a, LIST)[0]["title"], "merged title");
    assert_eq!(ids(&a, LIST), vec![json!(1), json!(2), json!("tmp-1")]);
    assert_eq!(ids(&a, PAGE), vec![json!("tmp-1"), json!(1), json!(2)]);
    assert_eq!(task(&a, "2")["assignee"]["name"], "Zed");
    assert_eq!(task(&a, "tmp-1")["note"], "on the new one");

    let b = reload(&idb, true, T0 + 100.0);
    assert_eq!(visible(&b), before);
    assert_eq!(queue(&b), queue_after_reload(&a));
    let y = sync(&b);
    assert_eq!(
        (
            y["pending"].clone(),
            y["failed"].clone(),
            y["conflicts"].clone()
        ),
        (json!(7), json!(1), json!(1))
    );
    assert_eq!(listing(&b, "f0")["error"]["status"], 422);
    assert_eq!(listing(&b, "c1")["conflict"], listing(&a, "c1")["conflict"]);
    for m in a.queue().list() {
        let theirs = b
            .queue()
            .list()
            .iter()
            .find(|x| x.id == m.id)
            .expect("reloaded");
        let mut expect = as_reloaded(m);
        expect.layered = m.status != MStatus::Failed;
        assert_eq!(theirs, &expect, "{}", m.id);
    }
    // Rolling back after the reload returns to the same base as before it.
    let mut a = a;
    let mut b = b;
    for s in [&mut a, &mut b] {
        for id in ["u2", "u1", "d1", "i1", "c1"] {
            let out = s.discard_mutation(id, T0 + 200.0).expect("discard");
            done(s, out);
        }
    }
    assert_eq!(visible(&b), visible(&a));
    assert_eq!(ids(&b, LIST), vec![json!(1), json!(2), json!(3)]);
}

#[test]
fn a_failed_and_a_conflicting_mutation_can_be_retried_and_resolved_after_a_reload() {
    let mut idb = Idb::default();
    let a = busy_store(&mut idb);
    drop(a);
    let mut b = reload(&idb, false, T0 + 100.0);
    let out = b.retry_mutation("f0", T0 + 101.0).expect("retry");
    let out = done(&mut b, out);
    assert_eq!(ob(&out), vec!["f0"]);
    assert_eq!(task(&b, "2")["note"], "x", "the retried layer is back");
    let out = b
        .resolve_conflict("c1", "\"server\"", T0 + 102.0)
        .expect("resolve");
    let out = done(&mut b, out);
    assert_eq!(ob(&out), vec!["-c1"]);
    assert_eq!(
        settled(&out),
        vec![("c1".to_owned(), Err("CONFLICT".to_owned()))]
    );
    assert_eq!(
        task(&b, "2")["title"],
        "theirs",
        "the server's version shows"
    );
}

#[test]
fn offline_mutations_survive_a_reload_and_replay_in_order_exactly_once() {
    let mut idb = Idb::default();
    let mut server = Server::new();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    no_send(&online(&mut a, false, T0));
    // Ids that sort differently from the order they were made in (IndexedDB lists by id).
    let shaped = |d: Value| with(d, json!({ "shape": "Task" }));
    for (i, (id, desc)) in [
        (
            "z1",
            shaped(patch_desc(json!(1), json!({ "title": "first" }))),
        ),
        (
            "a2",
            shaped(patch_desc(json!(1), json!({ "title": "second" }))),
        ),
        (
            "m3",
            insert_desc(new_task("tmp-1", "new"), json!([{ "hash": LIST }])),
        ),
        (
            "b4",
            shaped(patch_desc(json!("tmp-1"), json!({ "done": true }))),
        ),
        ("k5", delete_desc(2)),
    ]
    .into_iter()
    .enumerate()
    {
        let out = mutate(&mut a, id, desc, T0 + 1.0 + i as f64);
        idb.save(&mut a, &out);
        let out = persisted(&mut a, &[id], T0 + 1.0 + i as f64);
        no_send(&out);
        idb.save(&mut a, &out);
    }
    assert_eq!(sync(&a)["pending"], 5);
    let before = visible(&a);
    // The page closes. A new one opens, still offline.
    drop(a);
    let mut b = reload(&idb, false, T0 + 50.0);
    assert_eq!(visible(&b), before, "the same data, the layers re-applied");
    assert_eq!(
        queue(&b).into_iter().map(|(id, _)| id).collect::<Vec<_>>(),
        vec!["z1", "a2", "m3", "b4", "k5"],
        "the queue order is the order they were made in"
    );
    assert_eq!(task(&b, "1")["title"], "second");
    assert_eq!(ids(&b, LIST), vec![json!(1), json!(3), json!("tmp-1")]);
    no_send(&elect(&mut b, &idb, T0 + 51.0));
    assert_eq!(sync(&b)["pending"], 5);

    // Online: the queue flushes in order, each request once, with its own key.
    let out = online(&mut b, true, T0 + 60.0);
    let keys = drain(&mut b, &mut server, &mut idb, out, T0 + 61.0);
    assert_eq!(keys, vec!["z1", "a2", "m3", "b4", "k5"]);
    assert_eq!(server.applied, keys);
    assert_eq!(server.received, keys, "nothing was sent twice");
    assert!(b.mutation_list().is_empty());
    assert!(
        idb.outbox.is_empty(),
        "every record was deleted after its success"
    );
    assert_eq!(server.tasks["1"]["title"], "second");
    assert_eq!(
        server.tasks["1"]["version"], 3,
        "a2 was based on the version z1 produced"
    );
    assert_eq!(server.tasks["4"]["done"], true, "b4 went to the real id");
    assert!(!server.tasks.contains_key("2"));
    assert_eq!(ids(&b, LIST), vec![json!(1), json!(3), json!(4)]);
    assert_eq!(task(&b, "4")["done"], true);

    // And a third page load shows the server's data from the persisted cache alone.
    let c = reload(&idb, false, T0 + 100.0);
    assert_eq!(visible(&c), visible(&b));
    assert!(c.mutation_list().is_empty());
}

#[test]
fn a_flush_interrupted_by_a_reload_is_applied_once() {
    let mut idb = Idb::default();
    let mut server = Server::new();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    let out = mutate(
        &mut a,
        "m1",
        patch_desc(json!(1), json!({ "title": "x" })),
        T0,
    );
    idb.save(&mut a, &out);
    let out = persisted(&mut a, &["m1"], T0);
    idb.save(&mut a, &out);
    let sent = one_send(&out);
    // The server applies it; the answer is lost with the page.
    server.handle(&sent);
    // m2's record write never completed; m2b's did, but the page closed before it was
    // reported.
    mutate(
        &mut a,
        "m2",
        patch_desc(json!(1), json!({ "note": "y" })),
        T0 + 1.0,
    );
    let out = mutate(
        &mut a,
        "m2b",
        patch_desc(json!(3), json!({ "note": "z" })),
        T0 + 2.0,
    );
    idb.save(&mut a, &out);
    drop(a);

    let mut b = reload(&idb, true, T0 + 10.0);
    assert_eq!(task(&b, "1")["title"], "x");
    let out = elect(&mut b, &idb, T0 + 11.0);
    let keys = drain(&mut b, &mut server, &mut idb, out, T0 + 12.0);
    // m2 never reached storage: it was never reported as queued, and is never half-sent.
    // m2b's record was written, so it replays.
    assert_eq!(keys, vec!["m1", "m2b"]);
    assert_eq!(server.received, vec!["m1", "m1", "m2b"]);
    assert_eq!(
        server.applied,
        vec!["m1", "m2b"],
        "the replay of m1 was not applied again"
    );
    assert_eq!(server.tasks["1"]["version"], 2);
    assert!(idb.outbox.is_empty());
}

#[test]
fn hydrated_queries_show_at_once_and_refetch_when_first_observed() {
    let mut idb = Idb::default();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    let mut b = reload(&idb, true, T0 + 10.0);
    assert_eq!(read(&b, LIST), read(&a, LIST));
    assert_eq!(
        b.take_cache_delta(),
        json!({ "e": [], "q": [] }).to_string(),
        "not written back"
    );
    let opts = json!({ "url": "/tasks", "shape": ["Task"], "staleTime": 1e9 }).to_string();
    let out = b
        .observe(LIST, &key_for(LIST), &opts, T0 + 20.0)
        .expect("observe");
    assert!(
        out.actions
            .iter()
            .any(|a| matches!(a, Action::Fetch { hash, .. } if hash == LIST)),
        "hydrated data is stale: {:?}",
        out.actions
    );
    let m = b.meta(LIST).expect("meta");
    assert!(m.invalidated());
    assert_eq!(m.data_updated_at(), T0, "the data keeps its age");
    assert_eq!(read(&b, LIST)[1]["title"], "two", "shown while refetching");

    // The same data from another tab (not a reload) is fresh.
    let mut c = persisting_store();
    let delta = idb.cache_json();
    c.apply_cache(&delta, false, T0 + 10.0).expect("apply");
    let out = c
        .observe(LIST, &key_for(LIST), &opts, T0 + 20.0)
        .expect("observe");
    assert!(
        !out.actions
            .iter()
            .any(|a| matches!(a, Action::Fetch { .. })),
        "{:?}",
        out.actions
    );
    assert!(!c.meta(LIST).expect("meta").invalidated());
    assert_eq!(
        c.take_cache_delta(),
        json!({ "e": [], "q": [] }).to_string()
    );
    // A later remote delta updates an observed query's state.
    let newer = json!({ "e": [["Task:2", { "id": 2, "title": "remote", "done": false,
                                            "note": "n2", "version": 2, "assignee": null }]],
                        "q": [[LIST, { "k": [LIST], "s": ["Task"], "r": ["Task:2"], "t": T0 + 30.0 }]] });
    let out = c
        .apply_cache(&newer.to_string(), false, T0 + 31.0)
        .expect("apply");
    assert!(out.states.contains(&LIST.to_owned()));
    assert_eq!(
        read(&c, LIST),
        json!([{ "id": 2, "title": "remote", "done": false, "note": "n2",
                                        "version": 2, "assignee": null }])
    );
    assert_eq!(c.meta(LIST).expect("meta").data_updated_at(), T0 + 30.0);
    // Types this version no longer declares and malformed pairs are skipped; bad JSON is refused.
    let odd =
        json!({ "e": [["Ghost:1", { "id": 1 }], [5], "x"], "q": [[7], ["nope", { "k": 1 }]] });
    c.apply_cache(&odd.to_string(), false, T0 + 32.0)
        .expect("apply");
    assert!(c.entity("Ghost:1").is_none());
    assert!(c.query("nope").is_none());
    expect_err(c.apply_cache("{", false, T0), "PARSE");
}

#[test]
fn a_server_write_under_a_layer_reaches_the_cache_delta() {
    // The server changes only a field a pending layer covers: nothing visible moves, but the
    // base did, and a reload (then a rollback) must show the server's value.
    let mut idb = Idb::default();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    no_send(&online(&mut a, false, T0));
    let out = mutate_durable(
        &mut a,
        "m1",
        patch_desc(json!(1), json!({ "title": "local" })),
        T0,
    );
    idb.save(&mut a, &out);
    let mut refetched = seed_tasks();
    refetched[0]["title"] = json!("server title");
    let out = put(&mut a, LIST, refetched, json!(["Task"]), T0 + 1.0);
    assert_eq!(task(&a, "1")["title"], "local");
    idb.save(&mut a, &out);
    assert_eq!(
        idb.entities["Task:1"]["title"], "server title",
        "the new base is persisted"
    );
    let mut b = reload(&idb, false, T0 + 2.0);
    assert_eq!(visible(&b), visible(&a));
    for s in [&mut a, &mut b] {
        let out = s.discard_mutation("m1", T0 + 3.0).expect("discard");
        done(s, out);
        assert_eq!(task(s, "1")["title"], "server title");
    }
}

// ---------------------------------------------------------------------------------------------
// unreadable records

#[test]
fn unreadable_and_unknown_format_records_are_listed_failed_with_storage() {
    let good = {
        let mut s = seeded();
        let out = mutate(
            &mut s,
            "ok1",
            patch_desc(json!(2), json!({ "title": "ok" })),
            T0,
        );
        rec(&out, "ok1")
    };
    let variant = |id: &str, f: &dyn Fn(&mut Value)| {
        let mut r = good.clone();
        r["id"] = json!(id);
        r["at"] = json!(T0 - 10.0);
        f(&mut r);
        r
    };
    let bad = vec![
        variant("u-format2", &|r| r["f"] = json!(2)),
        variant("u-noformat", &|r| {
            r.as_object_mut().map(|o| o.remove("f"));
        }),
        variant("u-textformat", &|r| r["f"] = json!("1")),
        variant("u-writes", &|r| r["writes"] = json!("nope")),
        variant("u-status", &|r| r["status"] = json!("sending")),
        variant("u-policy", &|r| r["policy"] = json!("whatever")),
        variant("u-url", &|r| r["url"] = json!("")),
        variant("u-shape", &|r| r["shape"] = json!("Ghost")),
        variant("u-insert", &|r| {
            r["inserts"] = json!([["tasks", [], false]])
        }),
        variant("u-snapshot", &|r| r["snapshot"] = json!([1, 2])),
    ];
    let mut records: Vec<Value> = bad.clone();
    records.push(good.clone());
    let text = Value::Array(records).to_string();

    let mut s = seeded();
    let before = visible(&s);
    let out = reconcile(&mut s, &text, T0 + 1.0);
    assert!(ob(&out).is_empty(), "nothing is written back");
    assert_eq!(one_send(&out).id, "ok1", "the readable record is replayed");
    assert_eq!(task(&s, "2")["title"], "ok");
    assert_eq!(
        visible(&s)["entities"]["Task:1"],
        before["entities"]["Task:1"]
    );
    let y = sync(&s);
    assert_eq!(
        (y["failed"].clone(), y["pending"].clone()),
        (json!(bad.len()), json!(1))
    );
    for r in &bad {
        let id = r["id"].as_str().expect("id");
        let m = listing(&s, id);
        assert_eq!(m["status"], "failed", "{id}");
        assert_eq!(m["error"]["code"], "STORAGE", "{id}");
        assert!(
            m["error"]["message"]
                .as_str()
                .is_some_and(|t| t.contains("could not be read back")),
            "{id}: {m}"
        );
        assert_eq!(m["createdAt"], T0 - 10.0, "{id}");
        assert_eq!(m["request"]["method"], "PATCH", "{id}");
    }
    assert!(listing(&s, "u-format2")["error"]["message"]
        .as_str()
        .is_some_and(|t| t.contains("unknown record format 2")));
    // Listed before ok1 (they are older), never sent, never blocking it.
    assert_eq!(queue(&s).last().map(|(id, _)| id.as_str()), Some("ok1"));

    // They cannot be retried, only discarded (which deletes the record).
    let e = expect_err(s.retry_mutation("u-format2", T0 + 2.0), "INVALID_ARGUMENT");
    assert!(e.to_string().contains("only be discarded"), "{e}");
    let out = s.discard_mutation("u-format2", T0 + 3.0).expect("discard");
    let out = done(&mut s, out);
    assert_eq!(ob(&out), vec!["-u-format2"]);
    assert!(out.settled.is_empty());
    assert_eq!(status(&s, "u-format2"), None);

    // Their record is never overwritten, whatever marks them.
    s.mark_record("u-writes");
    let out = s.tick(T0 + 3.0);
    assert!(ob(&out).is_empty(), "{:?}", ob(&out));

    // Reading the outbox again lists them once (the discarded one is gone from storage).
    let again: Vec<Value> = bad.iter().skip(1).cloned().chain([good.clone()]).collect();
    let out = reconcile(&mut s, &Value::Array(again).to_string(), T0 + 4.0);
    no_send(&out);
    assert_eq!(s.mutation_list().len(), bad.len());
    assert_eq!(sync(&s)["failed"], bad.len() - 1);

    // Not a list at all: the whole read is refused.
    expect_err(s.reconcile_outbox("{\"id\":\"x\"}", T0), "STORAGE");
    expect_err(s.reconcile_outbox("[", T0), "PARSE");
}

#[test]
fn a_newer_unreadable_copy_of_a_queued_mutation_fails_it_and_rolls_it_back() {
    let mut s = seeded();
    no_send(&online(&mut s, false, T0));
    let out = mutate(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "local" })),
        T0,
    );
    let mut r = rec(&out, "m1");
    persisted(&mut s, &["m1"], T0);
    r["v"] = json!(9);
    r["f"] = json!(99);
    let out = reconcile(&mut s, &Value::Array(vec![r]).to_string(), T0 + 1.0);
    assert_eq!(listing(&s, "m1")["error"]["code"], "STORAGE");
    assert_eq!(task(&s, "1")["title"], "one");
    assert!(out.changes.written_entities.contains(&"Task:1".to_owned()));
    no_send(&online(&mut s, true, T0 + 2.0));
}

// ---------------------------------------------------------------------------------------------
// leader gating and tabs

#[test]
fn a_follower_never_sends_and_sends_once_it_leads() {
    let mut s = seeded();
    let mut outs = vec![leader(&mut s, false, T0)];
    outs.push(mutate(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "a" })),
        T0,
    ));
    outs.push(persisted(&mut s, &["m1"], T0 + 1.0));
    outs.push(mutate_durable(
        &mut s,
        "m2",
        patch_desc(json!(2), json!({ "title": "b" })),
        T0 + 2.0,
    ));
    outs.push(online(&mut s, false, T0 + 3.0));
    outs.push(online(&mut s, true, T0 + 4.0));
    outs.push(tick(&mut s, T0 + 100_000.0));
    let out = s.flush(T0 + 100_001.0);
    outs.push(done(&mut s, out));
    for out in &outs {
        no_send(out);
    }
    assert_eq!(
        s.next_wake(T0 + 100_002.0),
        None,
        "no timer for a queue it does not send"
    );
    assert_eq!(
        queue(&s),
        vec![
            ("m1".to_owned(), "queued".to_owned()),
            ("m2".to_owned(), "queued".to_owned())
        ]
    );
    assert_eq!(task(&s, "1")["title"], "a", "layers show in every tab");

    let out = leader(&mut s, true, T0 + 100_003.0);
    let s1 = one_send(&out);
    assert_eq!(s1.id, "m1");
    // Losing the lock mid-flight: the answer still lands, nothing more is sent.
    no_send(&leader(&mut s, false, T0 + 100_004.0));
    let out = answer(&mut s, &s1, http(204, ""), T0 + 100_005.0);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
    assert_eq!(ob(&out), vec!["-m1"]);
    no_send(&out);
    assert_eq!(one_send(&leader(&mut s, true, T0 + 100_006.0)).id, "m2");
}

#[test]
fn two_tabs_share_one_outbox_and_one_sender() {
    let mut idb = Idb::default();
    let mut server = Server::new();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    let mut b = reload(&idb, true, T0); // B stays a follower
    let mut b_outs = Vec::new();

    // A's own mutation goes out at once; B sees it through the outbox.
    let out = mutate(
        &mut a,
        "ma",
        patch_desc(json!(2), json!({ "title": "from A" })),
        T0 + 1.0,
    );
    idb.save(&mut a, &out);
    let out = persisted(&mut a, &["ma"], T0 + 1.0);
    idb.save(&mut a, &out);
    let sent_ma = one_send(&out);
    b_outs.push(reconcile(&mut b, &idb.outbox_json(), T0 + 1.0));
    assert_eq!(task(&b, "2")["title"], "from A");
    assert_eq!(status(&b, "ma").as_deref(), Some("queued"));

    // B's insert: saved by B, queued behind ma in A.
    let out = mutate(
        &mut b,
        "mb",
        insert_desc(new_task("tmp-b", "from B"), json!([{ "hash": LIST }])),
        T0 + 2.0,
    );
    idb.save(&mut b, &out);
    b_outs.push(out);
    let out = persisted(&mut b, &["mb"], T0 + 2.0);
    idb.save(&mut b, &out);
    b_outs.push(out);
    let out = reconcile(&mut a, &idb.outbox_json(), T0 + 2.0);
    no_send(&out);
    assert_eq!(
        queue(&a),
        vec![
            ("ma".to_owned(), "inflight".to_owned()),
            ("mb".to_owned(), "queued".to_owned())
        ]
    );
    assert_eq!(
        ids(&a, LIST),
        vec![json!(1), json!(2), json!(3), json!("tmp-b")]
    );
    assert_eq!(visible(&a), visible(&b), "both tabs show both layers");

    // A settles ma: the record goes; B gets the cache delta and the news.
    let result = server.handle(&sent_ma);
    let out = answer(&mut a, &sent_ma, result, T0 + 3.0);
    idb.write_outbox(&out);
    let delta = idb.write_cache(&mut a);
    let sent_mb = one_send(&out);
    assert_eq!((sent_mb.id.as_str(), sent_mb.key()), ("mb", "mb"));
    b_outs.push(b.apply_cache(&delta, false, T0 + 3.0).expect("apply"));
    b_outs.push({
        let o = b.forget_mutation("ma", T0 + 3.0);
        done(&mut b, o)
    });
    assert_eq!(task(&b, "2")["title"], "from A");
    assert_eq!(status(&b, "ma"), None);

    // A settles mb (the temp id becomes 4); B reads the outbox again and the delta.
    let result = server.handle(&sent_mb);
    let out = answer(&mut a, &sent_mb, result, T0 + 4.0);
    assert_eq!(ob(&out), vec!["-mb"]);
    idb.write_outbox(&out);
    let delta = idb.write_cache(&mut a);
    b_outs.push(b.apply_cache(&delta, false, T0 + 4.0).expect("apply"));
    b_outs.push(reconcile(&mut b, &idb.outbox_json(), T0 + 4.0));
    for out in &b_outs {
        no_send(out);
        assert!(
            out.outbox.iter().all(|(id, _)| id == "mb"),
            "B only writes its own record: {:?}",
            ob(out)
        );
    }
    assert!(b.mutation_list().is_empty());
    assert_eq!(ids(&b, LIST), vec![json!(1), json!(2), json!(3), json!(4)]);
    assert_eq!(task(&b, "4")["title"], "from B");
    assert!(b.entity("Task:tmp-b").is_none());
    assert_eq!(visible(&b), visible(&a), "B ends with the server's data");
    assert_eq!(server.applied, vec!["ma", "mb"]);
    assert_eq!(server.received, vec!["ma", "mb"]);
}

#[test]
fn reconcile_keeps_the_newest_copy_and_drops_what_left_storage() {
    let current = json!({ "current": { "id": 1, "title": "srv", "done": false, "note": "n1",
                                         "version": 2, "assignee": { "id": "u1", "name": "Ann" } } });
    let mut idb = Idb::default();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    let mut b = reload(&idb, true, T0);
    let desc = with(
        patch_desc(json!(1), json!({ "title": "local" })),
        json!({ "conflict": "manual" }),
    );
    let out = mutate(&mut a, "m1", desc, T0);
    idb.save(&mut a, &out);
    let v1 = idb.outbox_json();
    let out = persisted(&mut a, &["m1"], T0);
    let sent = one_send(&out);
    reconcile(&mut b, &v1, T0);
    assert_eq!(status(&b, "m1").as_deref(), Some("queued"));

    // In flight in A: A's copy ignores storage, newer or missing.
    let out = reconcile(&mut a, "[]", T0 + 1.0);
    assert_eq!(status(&a, "m1").as_deref(), Some("inflight"));
    no_send(&out);

    // A's conflict rewrites the record (v2): B takes it; an older copy changes nothing.
    let out = answer(&mut a, &sent, http(409, &current.to_string()), T0 + 2.0);
    idb.save(&mut a, &out);
    reconcile(&mut b, &idb.outbox_json(), T0 + 2.0);
    assert_eq!(status(&b, "m1").as_deref(), Some("conflict"));
    assert_eq!(listing(&b, "m1")["conflict"], listing(&a, "m1")["conflict"]);
    reconcile(&mut b, &v1, T0 + 3.0);
    assert_eq!(status(&b, "m1").as_deref(), Some("conflict"), "v1 is older");
    assert_eq!(visible(&b)["entities"]["Task:1"]["title"], "local");

    // B resolves it (B's record v3); A takes B's resolution and sends it.
    let out = b
        .resolve_conflict("m1", "{\"title\":\"both\"}", T0 + 4.0)
        .expect("resolve");
    let out = done(&mut b, out);
    no_send(&out);
    assert_eq!(rec(&out, "m1")["v"], 3);
    idb.save(&mut b, &out);
    let out = reconcile(&mut a, &idb.outbox_json(), T0 + 4.0);
    let sent = one_send(&out);
    assert_eq!(sent.key(), "m1.1");
    assert_eq!(sent.body, Some(json!({ "title": "both", "version": 2 })));
    assert_eq!(task(&a, "1")["title"], "both");

    // A settles; the record leaves storage, so m1 leaves B.
    let out = answer(&mut a, &sent, http(204, ""), T0 + 5.0);
    idb.save(&mut a, &out);
    assert!(idb.outbox.is_empty());
    let delta = idb.cache_json();
    b.apply_cache(&delta, false, T0 + 5.0).expect("apply");
    reconcile(&mut b, &idb.outbox_json(), T0 + 5.0);
    assert!(b.mutation_list().is_empty());
    assert_eq!(task(&b, "1")["title"], "both");

    // A mutation still being saved stays even though storage does not have it yet; once
    // durable, its record missing means another tab discarded it.
    let out = mutate(
        &mut b,
        "m2",
        patch_desc(json!(3), json!({ "title": "b" })),
        T0 + 6.0,
    );
    assert_eq!(ob(&out), vec!["m2"]);
    reconcile(&mut b, "[]", T0 + 6.0);
    assert_eq!(status(&b, "m2").as_deref(), Some("saving"));
    persisted(&mut b, &["m2"], T0 + 7.0);
    reconcile(&mut b, "[]", T0 + 8.0);
    assert_eq!(status(&b, "m2"), None);
    assert_eq!(task(&b, "3")["title"], "three", "its layer went with it");
}

// ---------------------------------------------------------------------------------------------
// storage faults and clear

#[test]
fn a_quota_error_rolls_back_and_rejects_the_mutation() {
    let mut s = seeded();
    let out = mutate(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "local" })),
        T0,
    );
    assert_eq!(ob(&out), vec!["m1"]);
    assert_eq!(task(&s, "1")["title"], "local");
    let out = s
        .persist_failed(
            "[\"m1\"]",
            "QUOTA",
            "the storage quota is exceeded",
            T0 + 1.0,
        )
        .expect("persist_failed");
    let out = done(&mut s, out);
    no_send(&out);
    assert!(
        ob(&out).is_empty(),
        "its record never reached storage: nothing to write"
    );
    assert_eq!(
        settled(&out),
        vec![("m1".to_owned(), Err("QUOTA".to_owned()))]
    );
    assert_eq!(
        out.settled[0].1.clone().err().map(|e| e.message),
        Some("the storage quota is exceeded".to_owned())
    );
    assert_eq!(task(&s, "1")["title"], "one", "rolled back");
    assert!(out.changes.written_entities.contains(&"Task:1".to_owned()));
    let m = listing(&s, "m1");
    assert_eq!(
        (m["status"].clone(), m["error"]["code"].clone()),
        (json!("failed"), json!("QUOTA"))
    );
    let y = sync(&s);
    assert_eq!(
        (y["pending"].clone(), y["failed"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(y["lastError"]["code"], "QUOTA");
    // A late `persisted` for it changes nothing; later mutations are not blocked.
    no_send(&persisted(&mut s, &["m1"], T0 + 2.0));
    assert_eq!(status(&s, "m1").as_deref(), Some("failed"));
    let sent = one_send(&mutate_durable(
        &mut s,
        "m2",
        patch_desc(json!(2), json!({ "title": "b" })),
        T0 + 3.0,
    ));
    assert_eq!(sent.id, "m2");
    // A failure report for a mutation that is not being saved changes nothing.
    let out = s
        .persist_failed("[\"m2\"]", "QUOTA", "late", T0 + 4.0)
        .expect("persist_failed");
    assert!(out.settled.is_empty());
    assert_eq!(status(&s, "m2").as_deref(), Some("inflight"));
    // Reading the outbox (another tab wrote to it) does not make m1 vanish from `failed`:
    // storage never had it, so nothing elsewhere settled or discarded it.
    let stored = Value::Array(vec![records::write(&s.queue().list()[1])]).to_string();
    assert_eq!(s.queue().list()[1].id, "m2");
    reconcile(&mut s, &stored, T0 + 4.5);
    assert_eq!(listing(&s, "m1")["error"]["code"], "QUOTA");
    // Once there is room, retry writes it again.
    let out = s.retry_mutation("m1", T0 + 5.0).expect("retry");
    let out = done(&mut s, out);
    assert_eq!(ob(&out), vec!["m1"]);
    assert_eq!(rec(&out, "m1")["v"], 1, "its first record");
    assert_eq!(task(&s, "1")["title"], "local");
}

#[test]
fn a_quota_error_on_a_retry_keeps_the_stored_failure_in_step() {
    let mut idb = Idb::default();
    let mut s = seeded();
    let out = mutate_durable(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "local" })),
        T0,
    );
    idb.save(&mut s, &out);
    let sent = one_send(&out);
    let out = answer(&mut s, &sent, http(422, ""), T0 + 1.0);
    idb.save(&mut s, &out);
    assert_eq!(idb.outbox["m1"]["v"], 2);
    let out = s.retry_mutation("m1", T0 + 2.0).expect("retry");
    let out = done(&mut s, out);
    assert_eq!(rec(&out, "m1")["v"], 3);
    // That write fails: storage still holds the failed record (v2).
    let out = s
        .persist_failed("[\"m1\"]", "QUOTA", "full", T0 + 3.0)
        .expect("persist_failed");
    let out = done(&mut s, out);
    assert!(ob(&out).is_empty());
    assert_eq!(
        settled(&out),
        vec![("m1".to_owned(), Err("QUOTA".to_owned()))]
    );
    assert_eq!(task(&s, "1")["title"], "one");
    // Reconciling with it keeps m1 failed and listed; a later discard deletes the record.
    reconcile(&mut s, &idb.outbox_json(), T0 + 4.0);
    assert_eq!(status(&s, "m1").as_deref(), Some("failed"));
    assert_eq!(task(&s, "1")["title"], "one");
    let out = s.discard_mutation("m1", T0 + 5.0).expect("discard");
    let out = done(&mut s, out);
    assert_eq!(ob(&out), vec!["-m1"]);
}

#[test]
fn a_quota_error_on_an_insert_fails_its_dependents_and_writes_their_records() {
    let mut s = seeded();
    mutate(
        &mut s,
        "m1",
        insert_desc(new_task("tmp-1", "new"), json!([{ "hash": LIST }])),
        T0,
    );
    let out = mutate(
        &mut s,
        "m2",
        patch_desc(json!("tmp-1"), json!({ "done": true })),
        T0 + 1.0,
    );
    assert_eq!(ob(&out), vec!["m2"]);
    // m1's write fails; m2's write (a later transaction) may already have landed.
    let out = s
        .persist_failed("[\"m1\"]", "QUOTA", "full", T0 + 2.0)
        .expect("persist_failed");
    let out = done(&mut s, out);
    assert_eq!(
        settled(&out),
        vec![
            ("m1".to_owned(), Err("QUOTA".to_owned())),
            ("m2".to_owned(), Err("CONFLICT".to_owned()))
        ]
    );
    // m2's record must say failed, or a reload would replay it with the temporary id.
    assert_eq!(ob(&out), vec!["m2"]);
    assert_eq!(rec(&out, "m2")["status"], "failed");
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(2), json!(3)]);
    // m2's own write then lands: it stays failed.
    no_send(&persisted(&mut s, &["m2"], T0 + 3.0));
    assert_eq!(status(&s, "m2").as_deref(), Some("failed"));
}

#[test]
fn clear_settles_everything_pending_with_cleared_and_leaves_nothing() {
    let mut s = seeded_with_page();
    let s1 = one_send(&mutate_durable(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "a" })),
        T0,
    ));
    // m1 fails (its promise rejects now), m2 goes out, m3 waits, m4 is being saved.
    let out = answer(&mut s, &s1, http(422, ""), T0 + 1.0);
    assert_eq!(
        settled(&out),
        vec![("m1".to_owned(), Err("HTTP".to_owned()))]
    );
    let s2 = one_send(&mutate_durable(
        &mut s,
        "m2",
        patch_desc(json!(2), json!({ "title": "b" })),
        T0 + 1.0,
    ));
    no_send(&mutate_durable(&mut s, "m3", delete_desc(3), T0 + 2.0));
    mutate(
        &mut s,
        "m4",
        patch_desc(json!(1), json!({ "note": "d" })),
        T0 + 2.0,
    );
    assert_eq!(
        queue(&s).into_iter().map(|(_, st)| st).collect::<Vec<_>>(),
        vec!["failed", "inflight", "queued", "saving"]
    );
    let out = s.clear(T0 + 3.0);
    assert_eq!(
        settled(&out),
        vec![
            ("m2".to_owned(), Err("CLEARED".to_owned())),
            ("m3".to_owned(), Err("CLEARED".to_owned())),
            ("m4".to_owned(), Err("CLEARED".to_owned()))
        ]
    );
    assert!(s.mutation_list().is_empty());
    assert_eq!(s.entity_count(), 0);
    assert!(s.query(LIST).is_none() && s.query(PAGE).is_none());
    assert!(s.meta(LIST).is_none());
    let mut rq = out.removed_queries.clone();
    rq.sort();
    assert_eq!(rq, vec![PAGE.to_owned(), LIST.to_owned()]);
    let mut re = out.removed_entities.clone();
    re.sort();
    // (Task:3 is not visible: m3's layer deletes it.)
    assert_eq!(re, vec!["Task:1", "Task:2", "User:u1", "User:u2"]);
    assert!(out.outbox.is_empty());
    assert_eq!(
        s.take_cache_delta(),
        json!({ "e": [], "q": [] }).to_string()
    );
    let y = sync(&s);
    assert_eq!(
        (
            y["pending"].clone(),
            y["failed"].clone(),
            y["lastError"].clone()
        ),
        (json!(0), json!(0), Value::Null)
    );
    assert!(!s.cache().has_layered_state());

    // A late answer of the cleared request lands nowhere.
    let out = answer(&mut s, &s2, http(204, ""), T0 + 4.0);
    assert!(out.settled.is_empty() && out.outbox.is_empty());
    assert_eq!(s.entity_count(), 0);
    // The store works afterwards; tickets are never reused.
    put(&mut s, LIST, seed_tasks(), json!(["Task"]), T0 + 5.0);
    let sent = one_send(&mutate_durable(
        &mut s,
        "m4",
        patch_desc(json!(1), json!({ "title": "d" })),
        T0 + 6.0,
    ));
    assert!(sent.ticket > s2.ticket);
}

// ---------------------------------------------------------------------------------------------
// retry and backoff with persistence on

#[test]
fn network_errors_keep_the_mutation_queued_and_retry_with_backoff() {
    let mut s = seeded();
    let desc = with(
        patch_desc(json!(1), json!({ "title": "local" })),
        json!({ "retry": 0 }),
    );
    let s1 = one_send(&mutate_durable(&mut s, "m1", desc, T0));
    let out = answer(&mut s, &s1, network(), T0 + 10.0);
    no_send(&out);
    assert_eq!(ob(&out), vec!["m1"]);
    assert_eq!(rec(&out, "m1")["status"], "queued");
    assert!(
        out.settled.is_empty(),
        "a network error never fails a mutation"
    );
    let due = T0 + 10.0 + retry::delay(1, 1000.0, R, None);
    assert_eq!(out.wake_at, Some(due));
    assert_eq!(status(&s, "m1").as_deref(), Some("queued"));
    assert_eq!(
        task(&s, "1")["title"],
        "local",
        "the layer stays while offline"
    );
    assert_eq!(sync(&s)["lastError"]["code"], "NETWORK");
    no_send(&tick(&mut s, due - 1.0));
    let s2 = one_send(&tick(&mut s, due));
    assert_eq!((s2.key(), s2.header("If-Match")), ("m1", Some("\"1\"")));
    assert!(s2.ticket > s1.ticket);

    // Again: a longer wait; coming back online sends at once.
    let out = answer(&mut s, &s2, network(), T0 + 2_000.0);
    assert_eq!(
        out.wake_at,
        Some(T0 + 2_000.0 + retry::delay(2, 1000.0, R, None))
    );
    no_send(&online(&mut s, false, T0 + 2_001.0));
    assert_eq!(s.next_wake(T0 + 2_002.0), None);
    let s3 = one_send(&online(&mut s, true, T0 + 2_003.0));
    assert_eq!(s3.key(), "m1");
    assert_eq!(listing(&s, "m1")["attempts"], 3);
    let out = answer(&mut s, &s3, http(200, ""), T0 + 2_004.0);
    assert_eq!(ob(&out), vec!["-m1"]);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
}

#[test]
fn server_errors_retry_up_to_retry_then_fail() {
    let mut s = seeded();
    let desc = with(
        patch_desc(json!(1), json!({ "title": "local" })),
        json!({ "retry": 2, "retryDelay": 100 }),
    );
    let mut sent = one_send(&mutate_durable(&mut s, "m1", desc, T0));
    let mut now = T0;
    for (n, code) in [(1, 503), (2, 500)] {
        now += 10.0;
        let out = answer(&mut s, &sent, http(code, "busy"), now);
        assert!(out.settled.is_empty());
        assert_eq!(ob(&out), vec!["m1"]);
        assert_eq!(rec(&out, "m1")["status"], "queued");
        let due = now + retry::delay(n, 100.0, R, None);
        assert_eq!(out.wake_at, Some(due));
        no_send(&tick(&mut s, due - 1.0));
        let next = one_send(&tick(&mut s, due));
        assert_eq!(next.key(), "m1", "retries keep the key");
        sent = next;
        now = due;
    }
    let out = answer(&mut s, &sent, http(502, "down"), now + 1.0);
    no_send(&out);
    assert_eq!(
        settled(&out),
        vec![("m1".to_owned(), Err("HTTP".to_owned()))]
    );
    let r = rec(&out, "m1");
    assert_eq!(
        (r["status"].clone(), r["error"]["status"].clone()),
        (json!("failed"), json!(502))
    );
    assert_eq!(task(&s, "1")["title"], "one");
    assert_eq!(listing(&s, "m1")["attempts"], 3);

    // Retry-After is a floor for the wait.
    let desc = with(
        patch_desc(json!(2), json!({ "title": "b" })),
        json!({ "retry": 1, "retryDelay": 100 }),
    );
    let sent = one_send(&mutate_durable(&mut s, "m2", desc, T0 + 10_000.0));
    let out = s.settle_mutation(
        &sent.id,
        sent.ticket,
        Settle::Http {
            status: 429,
            body: String::new(),
            retry_after: Some("5".to_owned()),
        },
        T0 + 10_001.0,
        R,
    );
    let out = done(&mut s, out);
    assert_eq!(out.wake_at, Some(T0 + 15_001.0));
    no_send(&tick(&mut s, T0 + 15_000.0));
    assert_eq!(one_send(&tick(&mut s, T0 + 15_001.0)).key(), "m2");
}

// ---------------------------------------------------------------------------------------------
// dependencies

#[test]
fn a_dependent_mutation_waits_for_its_insert_and_fails_with_it() {
    let mut s = seeded();
    mutate(
        &mut s,
        "m1",
        insert_desc(new_task("tmp-1", "new"), json!([{ "hash": LIST }])),
        T0,
    );
    mutate(
        &mut s,
        "m2",
        patch_desc(json!("tmp-1"), json!({ "done": true })),
        T0 + 1.0,
    );
    mutate(
        &mut s,
        "m3",
        patch_desc(json!(2), json!({ "title": "b" })),
        T0 + 2.0,
    );
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

#[test]
fn a_retried_mutation_keeps_its_place_at_the_back_after_a_reload() {
    let mut idb = Idb::default();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    let out = mutate_durable(
        &mut a,
        "m1",
        patch_desc(json!(1), json!({ "title": "a" })),
        T0,
    );
    idb.save(&mut a, &out);
    let s1 = one_send(&out);
    let out = mutate_durable(
        &mut a,
        "m2",
        patch_desc(json!(1), json!({ "title": "b" })),
        T0 + 1.0,
    );
    idb.save(&mut a, &out);
    // Another tab, open all along.
    let mut tab = reload(&idb, true, T0 + 1.5);
    assert_eq!(
        queue(&tab),
        vec![
            ("m1".to_owned(), "queued".to_owned()),
            ("m2".to_owned(), "queued".to_owned())
        ]
    );
    let out = answer(&mut a, &s1, http(400, ""), T0 + 2.0);
    idb.save(&mut a, &out);
    assert_eq!(one_send(&out).id, "m2");
    no_send(&online(&mut a, false, T0 + 2.5));
    let out = a.retry_mutation("m1", T0 + 3.0).expect("retry");
    let out = done(&mut a, out);
    idb.save(&mut a, &out);
    let out = persisted(&mut a, &["m1"], T0 + 3.0);
    idb.save(&mut a, &out);
    assert_eq!(
        queue(&a),
        vec![
            ("m2".to_owned(), "inflight".to_owned()),
            ("m1".to_owned(), "queued".to_owned())
        ]
    );
    assert_eq!(task(&a, "1")["title"], "a", "the retried layer is on top");
    assert_eq!(
        listing(&a, "m1")["createdAt"],
        T0 + 3.0,
        "its place in the queue"
    );
    reconcile(&mut tab, &idb.outbox_json(), T0 + 4.0);
    assert_eq!(queue(&tab), queue_after_reload(&a));
    assert_eq!(visible(&tab), visible(&a));
    let b = reload(&idb, false, T0 + 10.0);
    assert_eq!(queue(&b), queue_after_reload(&a));
    assert_eq!(visible(&b), visible(&a));
}

// ---------------------------------------------------------------------------------------------
// more transitions with persistence on

#[test]
fn a_tab_that_reads_the_outbox_before_the_cache_ends_the_same() {
    let mut idb = Idb::default();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    no_send(&online(&mut a, false, T0));
    for (id, desc) in [
        ("m1", patch_desc(json!(1), json!({ "title": "a" }))),
        (
            "m2",
            insert_desc(new_task("tmp-1", "new"), json!([{ "hash": LIST }])),
        ),
        ("m3", delete_desc(2)),
    ] {
        let out = mutate_durable(&mut a, id, desc, T0 + 1.0);
        idb.save(&mut a, &out);
    }
    // The usual order: the cache, then the outbox.
    let b = reload(&idb, false, T0 + 2.0);
    // The other order (a tab gets the outbox news before the cache delta).
    let mut c = persisting_store();
    no_send(&leader(&mut c, false, T0));
    reconcile(&mut c, &idb.outbox_json(), T0 + 2.0);
    assert_eq!(
        task(&c, "1"),
        json!({ "id": 1, "title": "a" }),
        "only the layer so far"
    );
    c.apply_cache(&idb.cache_json(), true, T0 + 2.0)
        .expect("apply");
    assert_eq!(visible(&c), visible(&a));
    assert_eq!(visible(&b), visible(&a));
    assert_eq!(ids(&c, LIST), vec![json!(1), json!(3), json!("tmp-1")]);
}

#[test]
fn a_401_pauses_the_persisted_queue_until_flush() {
    let mut s = seeded();
    let s1 = one_send(&mutate_durable(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "local" })),
        T0,
    ));
    mutate_durable(
        &mut s,
        "m2",
        patch_desc(json!(2), json!({ "title": "b" })),
        T0 + 1.0,
    );
    let out = answer(&mut s, &s1, http(401, "expired"), T0 + 2.0);
    no_send(&out);
    assert!(out.settled.is_empty(), "nothing is rolled back");
    assert_eq!(ob(&out), vec!["m1"]);
    assert_eq!(rec(&out, "m1")["status"], "queued");
    assert_eq!(sync(&s)["lastError"]["code"], "AUTH");
    assert_eq!(task(&s, "1")["title"], "local");
    assert_eq!(s.next_wake(T0 + 3.0), None);
    no_send(&tick(&mut s, T0 + 100_000.0));
    let out = s.flush(T0 + 100_001.0);
    let out = done(&mut s, out);
    let s2 = one_send(&out);
    assert_eq!((s2.id.as_str(), s2.key()), ("m1", "m1"));
}

#[test]
fn forget_mutation_drops_a_mutation_settled_elsewhere_but_not_one_in_flight() {
    let mut s = seeded();
    let sent = one_send(&mutate_durable(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "a" })),
        T0,
    ));
    mutate_durable(
        &mut s,
        "m2",
        patch_desc(json!(2), json!({ "title": "b" })),
        T0 + 1.0,
    );
    let out = s.forget_mutation("m1", T0 + 2.0);
    let out = done(&mut s, out);
    assert_eq!(status(&s, "m1").as_deref(), Some("inflight"));
    assert!(ob(&out).is_empty());
    let out = s.forget_mutation("m2", T0 + 3.0);
    let out = done(&mut s, out);
    assert_eq!(status(&s, "m2"), None);
    assert!(
        ob(&out).is_empty(),
        "the other tab deleted the record already"
    );
    assert!(out.settled.is_empty(), "the other tab settles the promise");
    assert_eq!(task(&s, "2")["title"], "two", "the layer went");
    let out = s.forget_mutation("nope", T0 + 4.0);
    assert!(out.changes.is_empty() && out.outbox.is_empty());
    // The in-flight one still settles normally here.
    let out = answer(&mut s, &sent, http(204, ""), T0 + 5.0);
    assert_eq!(ob(&out), vec!["-m1"]);
}

#[test]
fn clear_keeps_this_tab_a_follower() {
    let mut s = seeded();
    leader(&mut s, false, T0);
    mutate_durable(
        &mut s,
        "m1",
        patch_desc(json!(1), json!({ "title": "a" })),
        T0,
    );
    let out = s.clear(T0 + 1.0);
    assert_eq!(
        settled(&out),
        vec![("m1".to_owned(), Err("CLEARED".to_owned()))]
    );
    put(&mut s, LIST, seed_tasks(), json!(["Task"]), T0 + 2.0);
    no_send(&mutate_durable(
        &mut s,
        "m2",
        patch_desc(json!(1), json!({ "title": "b" })),
        T0 + 3.0,
    ));
    assert_eq!(one_send(&leader(&mut s, true, T0 + 4.0)).id, "m2");
}

// ---------------------------------------------------------------------------------------------
// random runs: after every step, a reload shows exactly what the tab shows

/// A random mutation description over what the server and the tab hold.
fn random_desc(rng: &mut Rng, s: &Store, server: &Server, temp: &mut u32) -> Value {
    let mut ids: Vec<Value> = server
        .tasks
        .keys()
        .filter_map(|k| k.parse::<u64>().ok())
        .map(Value::from)
        .collect();
    for k in s.cache().entity_keys() {
        if let Some(t) = k.strip_prefix("Task:tmp-") {
            ids.push(json!(format!("tmp-{t}")));
        }
    }
    let policy = *rng.pick(&["server-wins", "client-wins", "merge", "manual"]);
    match rng.below(6) {
        0 => {
            *temp += 1;
            insert_desc(
                new_task(&format!("tmp-{temp}"), &format!("new {temp}")),
                json!([{ "hash": LIST, "position": if rng.chance(50) { "start" } else { "end" } }]),
            )
        }
        1 if !ids.is_empty() => {
            let id = rng.pick(&ids).clone();
            match id.as_u64() {
                Some(n) => with(delete_desc(n), json!({ "conflict": policy })),
                None => patch_desc(id, json!({ "done": true })),
            }
        }
        _ if !ids.is_empty() => {
            let id = rng.pick(&ids).clone();
            let field = *rng.pick(&["title", "note", "done"]);
            let value = if field == "done" {
                json!(rng.chance(50))
            } else {
                json!(format!("{field} {}", rng.below(100)))
            };
            let mut desc = with(
                patch_desc(id, json!({ field: value })),
                json!({ "conflict": policy }),
            );
            if rng.chance(50) {
                desc = with(desc, json!({ "shape": "Task" }));
            }
            desc
        }
        _ => json!({ "request": { "method": "POST", "url": "/tasks", "body": { "title": "x" } } }),
    }
}

fn run_random(seed: u64, steps: usize) {
    let mut rng = Rng::new(seed);
    let mut idb = Idb::default();
    let mut server = Server::new();
    let mut s = seeded();
    idb.save(&mut s, &pending_cache());
    let mut inflight: Option<Sent> = None;
    let mut now = T0;
    let mut temp = 0;
    let mut trace = Vec::new();
    for step in 0..steps {
        now += 1.0;
        let op = rng.below(12);
        let out = match op {
            0 | 1 => {
                let id = format!("r{step}");
                let desc = random_desc(&mut rng, &s, &server, &mut temp);
                trace.push(format!("mutate {id} {desc}"));
                mutate(&mut s, &id, desc, now)
            }
            2 | 3 => {
                // The oldest write lands, or all of them.
                let mut saving: Vec<String> = s
                    .queue()
                    .list()
                    .iter()
                    .filter(|m| m.status == MStatus::Saving)
                    .map(|m| m.id.clone())
                    .collect();
                if saving.is_empty() {
                    continue;
                }
                if rng.chance(50) {
                    saving.truncate(1);
                }
                trace.push(format!("persisted {saving:?}"));
                let ids: Vec<&str> = saving.iter().map(String::as_str).collect();
                persisted(&mut s, &ids, now)
            }
            4..=7 => {
                let Some(sent) = inflight.take() else {
                    continue;
                };
                let k = rng.below(8);
                trace.push(format!(
                    "answer {} {} {} ({k})",
                    sent.key(),
                    sent.method,
                    sent.url
                ));
                let result = match k {
                    0 => network(),
                    1 => {
                        // Applied, but the answer is lost.
                        server.handle(&sent);
                        network()
                    }
                    2 => http(503, ""),
                    3 => http(422, "{}"),
                    _ => server.handle(&sent),
                };
                answer(&mut s, &sent, result, now)
            }
            8 => {
                // Someone else edits a task on the server.
                let keys: Vec<String> = server.tasks.keys().cloned().collect();
                if keys.is_empty() {
                    continue;
                }
                let k = rng.pick(&keys).clone();
                let t = server.tasks.get_mut(&k).expect("task");
                let v = t["version"].as_u64().unwrap_or(0);
                t["version"] = json!(v + 1);
                t["note"] = json!(format!("edited elsewhere {step}"));
                trace.push(format!("server edit {k}"));
                continue;
            }
            9 => {
                let list: Vec<Value> = server.tasks.values().cloned().collect();
                trace.push("refetch".to_owned());
                put(&mut s, LIST, Value::Array(list), json!(["Task"]), now)
            }
            10 => {
                now += 40_000.0;
                trace.push("tick".to_owned());
                tick(&mut s, now)
            }
            _ => {
                // Mostly a failed or conflicting one (the user acts on what is listed).
                let open = rng.chance(70);
                let listed: Vec<(String, MStatus)> = s
                    .queue()
                    .list()
                    .iter()
                    .filter(|m| !open || matches!(m.status, MStatus::Failed | MStatus::Conflict))
                    .map(|m| (m.id.clone(), m.status))
                    .collect();
                let Some((id, st)) = listed.get(rng.below(listed.len().max(1))).cloned() else {
                    continue;
                };
                let r = match st {
                    MStatus::Failed if rng.chance(60) => {
                        trace.push(format!("retry {id}"));
                        s.retry_mutation(&id, now)
                    }
                    MStatus::Conflict if rng.chance(80) => {
                        let choice =
                            *rng.pick(&["\"local\"", "\"server\"", "{\"title\":\"chosen\"}"]);
                        trace.push(format!("resolve {id} {choice}"));
                        s.resolve_conflict(&id, choice, now)
                    }
                    MStatus::Inflight => continue,
                    _ if rng.chance(70) => continue,
                    _ => {
                        trace.push(format!("discard {id}"));
                        s.discard_mutation(&id, now)
                    }
                };
                let out = r.unwrap_or_else(|e| panic!("seed {seed}: {e}\n{}", trace.join("\n")));
                done(&mut s, out)
            }
        };
        if let Some(sent) = sends(&out).pop() {
            inflight = Some(sent);
        }
        idb.save(&mut s, &out);
        let b = reload(&idb, true, now);
        let context = || format!("seed {seed} step {step}:\n{}", trace.join("\n"));
        assert_eq!(queue(&b), queue_after_reload(&s), "{}", context());
        assert_eq!(visible(&b), visible(&s), "{}", context());
        assert_eq!(bases(&b), bases(&s), "{}", context());
        let (ys, yb) = (sync(&s), sync(&b));
        for k in ["pending", "failed", "conflicts"] {
            assert_eq!(ys[k], yb[k], "{k}: {}", context());
        }
    }
    // Finally every write lands and the queue drains: only failures and conflicts stay.
    for _ in 0..500 {
        now += 40_000.0;
        let saving: Vec<String> = s
            .queue()
            .list()
            .iter()
            .filter(|m| m.status == MStatus::Saving)
            .map(|m| m.id.clone())
            .collect();
        let ids: Vec<&str> = saving.iter().map(String::as_str).collect();
        let out = match inflight.take() {
            Some(sent) => {
                let result = server.handle(&sent);
                answer(&mut s, &sent, result, now)
            }
            None if !ids.is_empty() => persisted(&mut s, &ids, now),
            None => tick(&mut s, now),
        };
        if let Some(sent) = sends(&out).pop() {
            inflight = Some(sent);
        }
        idb.save(&mut s, &out);
        if inflight.is_none()
            && s.queue()
                .list()
                .iter()
                .all(|m| matches!(m.status, MStatus::Failed | MStatus::Conflict))
        {
            break;
        }
    }
    assert!(
        s.queue()
            .list()
            .iter()
            .all(|m| matches!(m.status, MStatus::Failed | MStatus::Conflict)),
        "seed {seed}: the queue did not drain: {:?}",
        queue(&s)
    );
    let b = reload(&idb, true, now);
    assert_eq!(queue(&b), queue(&s), "seed {seed}");
    assert_eq!(visible(&b), visible(&s), "seed {seed}");
    assert_eq!(bases(&b), bases(&s), "seed {seed}");
    // Whatever a request carried, the server applied each key at most once.
    let mut applied = server.applied.clone();
    applied.sort();
    applied.dedup();
    assert_eq!(
        applied.len(),
        server.applied.len(),
        "seed {seed}: {:?}",
        server.applied
    );
}

#[test]
fn random_runs_reload_to_the_same_visible_state_and_queue() {
    for seed in 1..=40 {
        run_random(seed, 120);
    }
}

#[test]
fn an_unobserved_hydrated_query_is_collected_after_gc_time() {
    let mut idb = Idb::default();
    let mut a = seeded();
    idb.save(&mut a, &pending_cache());
    let mut b = Store::from_options_json(
        &json!({ "entities": schema(), "defaults": { "gcTime": 1000 } }).to_string(),
    )
    .expect("store");
    let out = b
        .apply_cache(&idb.cache_json(), true, T0 + 10.0)
        .expect("hydrate");
    assert!(out.states.iter().any(|h| h == LIST), "its state reaches JS");
    assert!(b.meta(LIST).expect("meta").invalidated(), "stale");
    assert_eq!(out.wake_at, Some(T0 + 1010.0), "gc is scheduled");
    let out = b.tick(T0 + 1010.0);
    assert!(out.removed_queries.iter().any(|h| h == LIST), "{out:?}");
    assert!(b.query(LIST).is_none());
    assert_eq!(b.entity_count(), 0, "its entities went with it");
}
