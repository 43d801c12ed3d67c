//! Persistence helpers. Every call goes through `done`, which does what the bindings do after
//! each call (`collect_persist`); `Idb` stands in for IndexedDB (the outbox by id, the cache by
//! key) and `Server` for a server that honours `Idempotency-Key` and `If-Match`, so "each
//! mutation is applied once, in order" is checked on the server's own log.

use std::collections::{BTreeMap, HashMap};

pub use super::mutations::*;

/// An empty store with the Task/User schema and the default `persist` (on).
pub fn persisting_store() -> Store {
    let s = store_from(json!({ "entities": schema(), "defaults": { "gcTime": "Infinity" } }));
    assert!(s.persisting(), "persist is on by default");
    s
}

/// A persisting store holding the task list (the cache delta of the write is still waiting).
pub fn seeded() -> Store {
    with_tasks(persisting_store())
}

/// A persisting store holding the task list and the page.
pub fn seeded_with_page() -> Store {
    with_page(seeded())
}

/// Every call's output already notes what must be persisted (the store's finish step).
pub fn done(_: &mut Store, out: Output) -> Output {
    out
}

#[track_caller]
pub fn persisted(s: &mut Store, ids: &[&str], now: f64) -> Output {
    let r = s.persisted(&json!(ids).to_string(), now);
    let out = must(r, format_args!("persisted({ids:?})"));
    done(s, out)
}

/// `mutate`, then its record is durable (the usual path). Returns the two batches as one:
/// the records of both in order, the actions of `persisted`.
#[track_caller]
pub fn mutate_durable(s: &mut Store, id: &str, desc: Value, now: f64) -> Output {
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

/// `mutate_durable`, which sends the mutation at once: its one Send.
#[track_caller]
pub fn durable_sent(s: &mut Store, id: &str, desc: Value, now: f64) -> Sent {
    one_send(&mutate_durable(s, id, desc, now))
}

#[track_caller]
pub fn reconcile(s: &mut Store, records: &str, now: f64) -> Output {
    let out = must(s.reconcile_outbox(records, now), "reconcile_outbox");
    done(s, out)
}

pub fn tick(s: &mut Store, now: f64) -> Output {
    let out = s.tick(now);
    done(s, out)
}

pub fn online(s: &mut Store, on: bool, now: f64) -> Output {
    let out = s.set_online(on, now);
    done(s, out)
}

pub fn leader(s: &mut Store, on: bool, now: f64) -> Output {
    let out = s.set_leader(on, now);
    done(s, out)
}

/// POST /tasks with an optimistic insert of `data` into the `into` targets; the response is
/// read as a `Task` (so the temporary id is renamed to the real one).
pub fn insert_desc(data: Value, into: Value) -> Value {
    with(
        super::mutations::insert_desc(data, into),
        json!({ "shape": "Task" }),
    )
}

/// POST /tasks inserting the new task `tmp-1` at the end of the list.
pub fn insert_new_task() -> Value {
    insert_desc(new_task("tmp-1", "new"), json!([{ "hash": LIST }]))
}

pub fn new_task(temp_id: &str, title: &str) -> Value {
    json!({ "id": temp_id, "title": title, "done": false, "note": "", "assignee": null })
}

/// The outbox records of a batch, in order: `id` for a write, `-id` for a delete.
pub fn ob(out: &Output) -> Vec<String> {
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
pub fn rec(out: &Output, id: &str) -> Value {
    out.outbox
        .iter()
        .rev()
        .find(|(i, _)| i == id)
        .and_then(|(_, r)| r.clone())
        .unwrap_or_else(|| panic!("no record of `{id}` written: {:?}", ob(out)))
}

/// The queue as `[id, status]` pairs, in order.
pub fn queue(s: &Store) -> Vec<(String, String)> {
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
pub fn queue_after_reload(s: &Store) -> Vec<(String, String)> {
    queue(s)
        .into_iter()
        .map(|(id, st)| match st.as_str() {
            "inflight" | "saving" => (id, "queued".to_owned()),
            _ => (id, st),
        })
        .collect()
}

/// Everything a user can see: every cached record and every query (normalized and read).
pub fn visible(s: &Store) -> Value {
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
pub fn bases(s: &Store) -> Value {
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
                .map_or(Value::Null, |r| Value::Object(r.to_map()));
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

/// A batch that only says "a cache delta is waiting" (to save what a store holds so far).
pub fn pending_cache() -> Output {
    Output {
        persist: true,
        ..Output::default()
    }
}

/// IndexedDB as the browser side keeps it: the outbox by id (as `getAll` returns it: sorted
/// by key, not by time) and the persisted cache.
#[derive(Debug, Default, Clone)]
pub struct Idb {
    pub outbox: BTreeMap<String, Value>,
    pub entities: BTreeMap<String, Value>,
    pub queries: BTreeMap<String, Value>,
}

impl Idb {
    /// Writes one batch's outbox records (one strict transaction) and, when the batch says
    /// so, the cache delta (the 1 s timer, here at once).
    pub fn save(&mut self, s: &mut Store, out: &Output) {
        self.write_outbox(out);
        if out.persist {
            self.write_cache(s);
        }
    }

    pub fn write_outbox(&mut self, out: &Output) {
        for (id, r) in &out.outbox {
            match r {
                Some(r) => self.outbox.insert(id.clone(), r.clone()),
                None => self.outbox.remove(id),
            };
        }
    }

    /// Takes the store's cache delta and writes it; returns the delta (what another tab gets).
    pub fn write_cache(&mut self, s: &mut Store) -> String {
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

    pub fn outbox_json(&self) -> String {
        Value::Array(self.outbox.values().cloned().collect()).to_string()
    }

    pub fn cache_json(&self) -> String {
        let pairs = |m: &BTreeMap<String, Value>| -> Vec<Value> {
            m.iter().map(|(k, v)| json!([k, v])).collect()
        };
        json!({ "e": pairs(&self.entities), "q": pairs(&self.queries) }).to_string()
    }
}

/// A fresh tab on the same IndexedDB, as `createStore` starts it: not the sender yet, the
/// cache hydrated, the outbox reconciled (layers re-applied). Nothing is sent.
pub fn reload(idb: &Idb, on: bool, now: f64) -> Store {
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
pub fn elect(b: &mut Store, idb: &Idb, now: f64) -> Output {
    let out = reconcile(b, &idb.outbox_json(), now);
    assert!(ob(&out).is_empty(), "a reconcile writes no record");
    leader(b, true, now)
}

/// A server that keeps tasks with versions, honours `If-Match` (409 with the current task)
/// and `Idempotency-Key` (a repeated key gets the first answer again, nothing is re-applied).
pub struct Server {
    pub tasks: BTreeMap<String, Value>,
    answers: HashMap<String, (u16, String)>,
    /// The keys of the requests that changed something, in the order they were applied.
    pub applied: Vec<String>,
    /// Every request's key, repeats included.
    pub received: Vec<String>,
    next_id: u64,
}

impl Server {
    pub fn new() -> Server {
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

    pub fn handle(&mut self, sent: &Sent) -> Settle {
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
pub fn drain(
    s: &mut Store,
    server: &mut Server,
    idb: &mut Idb,
    out: Output,
    now: f64,
) -> Vec<String> {
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
