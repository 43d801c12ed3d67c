//! A seeded soak of the whole core (issue 13, "keep them fixed"): random steps over every entry
//! point, hostile inputs, storage failures, a follower tab and reloads, with the invariants
//! checked after every step:
//! - no panic, and every output renders as valid JSON (the batch the wrapper parses);
//! - a mirror rebuilt from the batches alone (what the JS side keeps) equals the core;
//! - a call that fails changes nothing visible (records, results, the queue);
//! - a reload from storage, and a follower tab fed the deltas and the outbox, show what the tab
//!   shows;
//! - at the end, discarding every mutation leaves exactly the server base, and a refetch the
//!   server's state.
//!
//! A few seconds in CI; `STRATA_FUZZ_SECS=300 cargo test soak -- --nocapture` runs seeds for
//! five minutes.

use std::collections::BTreeMap;

use crate::core::batch::output_json;
use crate::core::mutation::description::MStatus;
use crate::core::tests::support::persist::*;

/// What the JS side holds, rebuilt from batches only.
#[derive(Default)]
struct Mirror {
    entities: BTreeMap<String, Value>,
    queries: BTreeMap<String, Value>,
}

impl Mirror {
    fn apply(&mut self, s: &Store, out: &Output, now: f64, context: &dyn Fn() -> String) {
        let text = output_json(s, out, 0, now);
        let b: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("the batch is not JSON ({e}): {text}\n{}", context()));
        for pair in b["e"].as_array().into_iter().flatten() {
            let key = pair[0].as_str().unwrap_or_default().to_owned();
            self.entities.insert(key, pair[1].clone());
        }
        for k in ["g", "re"] {
            for key in b[k].as_array().into_iter().flatten() {
                self.entities.remove(key.as_str().unwrap_or_default());
            }
        }
        for q in b["q"].as_array().into_iter().flatten() {
            let hash = q[0].as_str().unwrap_or_default().to_owned();
            self.queries.insert(hash, q[2].clone());
        }
        for h in b["rq"].as_array().into_iter().flatten() {
            self.queries.remove(h.as_str().unwrap_or_default());
        }
    }

    fn check(&self, s: &Store, context: &dyn Fn() -> String) {
        let core: BTreeMap<String, Value> = s
            .cache()
            .entity_keys()
            .into_iter()
            .map(|k| {
                let rec = record(s, &k);
                (k, rec)
            })
            .collect();
        assert_eq!(self.entities, core, "entities: {}", context());
        let results: BTreeMap<String, Value> = s
            .cache()
            .query_hashes()
            .filter_map(|h| Some((h.clone(), s.query(h)?.result.clone())))
            .collect();
        assert_eq!(self.queries, results, "queries: {}", context());
    }
}

/// Everything a failed call must leave as it was.
fn state(s: &Store) -> (Value, Value, Vec<Value>, Value) {
    (visible(s), bases(s), s.mutation_list(), sync(s))
}

/// A call the core must refuse, with its arguments picked at random.
fn hostile(rng: &mut Rng, s: &mut Store, now: f64) -> (String, Result<Output>) {
    let garbage = *rng.pick(&["{", "[", "", "nul", "\"x", "{\"a\":}", "[1,]", "1e999x"]);
    match rng.below(12) {
        0 => (
            "setQueryData bad data".into(),
            s.set_query_data("h", "[\"h\"]", garbage, "null", now),
        ),
        1 => (
            "setQueryData bad shape".into(),
            s.set_query_data("h", "[\"h\"]", "{}", "\"Nope\"", now),
        ),
        2 => (
            "setQueryData bad key".into(),
            s.set_query_data("h", "[]", "{}", "null", now),
        ),
        3 => (
            "updateEntity bad type".into(),
            s.update_entity("Nope", "1", "{}", now),
        ),
        4 => (
            "updateEntity bad patch".into(),
            s.update_entity("Task", "1", garbage, now),
        ),
        5 => ("mutate bad".into(), s.mutate("bad", garbage, now)),
        6 => {
            let desc = json!({ "request": { "url": "/x" }, "optimistic": [{ "op": "insert", "type": "Task", "data": { "id": "" } }] });
            (
                "mutate empty id".into(),
                s.mutate("bad", &desc.to_string(), now),
            )
        }
        7 => (
            "observe bad".into(),
            s.observe("h", "[\"h\"]", garbage, now),
        ),
        8 => ("invalidate bad".into(), s.invalidate(r#"{"nope":1}"#, now)),
        9 => ("resolve bad".into(), s.resolve_conflict("nope", "42", now)),
        10 => ("reconcile bad".into(), s.reconcile_outbox(garbage, now)),
        _ => ("apply_cache bad".into(), s.apply_cache(garbage, false, now)),
    }
}

fn soak(seed: u64, steps: usize) {
    let mut rng = Rng::new(seed);
    let mut idb = Idb::default();
    let mut server = Server::new();
    let mut s = seeded();
    let mut mirror = Mirror::default();
    let first = pending_cache();
    idb.save(&mut s, &first);
    let mut follower = reload(&idb, true, T0);
    let mut inflight: Option<Sent> = None;
    let mut now = T0;
    let mut trace: Vec<String> = Vec::new();
    let mut retried: Vec<String> = Vec::new();
    // Failed before their record was ever stored: this tab lists them, storage never had them.
    let mut unsaved: Vec<String> = Vec::new();
    // The mirror starts from what the store holds: one batch of every record and result.
    for k in s.cache().entity_keys() {
        mirror.entities.insert(k.clone(), record(&s, &k));
    }
    for h in s.cache().query_hashes() {
        if let Some(q) = s.query(h) {
            mirror.queries.insert(h.clone(), q.result.clone());
        }
    }
    for step in 0..steps {
        now += 1.0;
        let context = |t: &Vec<String>| format!("seed {seed} step {step}:\n{}", t.join("\n"));
        let out = match rng.below(14) {
            0 | 1 => {
                let id = format!("s{step}");
                let desc = if rng.chance(50) {
                    patch_title(1 + rng.below(3) as u64, format!("t{step}"))
                } else {
                    insert_desc(
                        new_task(&format!("tmp-{step}"), "new"),
                        json!([{ "hash": LIST }]),
                    )
                };
                trace.push(format!("mutate {id} {desc}"));
                mutate(&mut s, &id, desc, now)
            }
            2 => {
                let saving: Vec<String> = s
                    .queue()
                    .list()
                    .iter()
                    .filter(|m| m.status == MStatus::Saving)
                    .map(|m| m.id.clone())
                    .collect();
                if saving.is_empty() {
                    continue;
                }
                let ids = json!(saving).to_string();
                // A failed write of records that were never stored before (a retried one's
                // older record would stay in storage, which this stand-in does not model).
                let fresh = saving.iter().all(|id| !retried.contains(id));
                if fresh && rng.chance(20) {
                    trace.push(format!("persist_failed {ids}"));
                    for id in &saving {
                        idb.outbox.remove(id); // the write did not happen
                        unsaved.push(id.clone());
                    }
                    s.persist_failed(&ids, "QUOTA", "full", now)
                        .expect("persist_failed")
                } else {
                    trace.push(format!("persisted {ids}"));
                    s.persisted(&ids, now).expect("persisted")
                }
            }
            3..=5 => {
                let Some(sent) = inflight.take() else {
                    continue;
                };
                let result = match rng.below(6) {
                    0 => network(),
                    1 => http(503, ""),
                    2 => http(400, "{}"),
                    _ => server.handle(&sent),
                };
                trace.push(format!("answer {} {}", sent.key(), sent.url));
                answer(&mut s, &sent, result, now)
            }
            6 => {
                let list: Vec<Value> = server.tasks.values().cloned().collect();
                trace.push("refetch".to_owned());
                put(&mut s, LIST, Value::Array(list), json!(["Task"]), now)
            }
            7 => {
                let id = 1 + rng.below(3);
                trace.push(format!("updateEntity Task {id}"));
                let patch = json!({ "note": format!("u{step}") }).to_string();
                s.update_entity("Task", &id.to_string(), &patch, now)
                    .expect("update")
            }
            8 => {
                now += 40_000.0;
                trace.push("tick".to_owned());
                tick(&mut s, now)
            }
            9 => {
                let on = rng.chance(70);
                trace.push(format!("online {on}"));
                online(&mut s, on, now)
            }
            10 => {
                let failed: Vec<String> = s
                    .queue()
                    .list()
                    .iter()
                    .filter(|m| m.status == MStatus::Failed)
                    .map(|m| m.id.clone())
                    .collect();
                let Some(id) = failed.first().cloned() else {
                    continue;
                };
                if rng.chance(50) {
                    retried.push(id.clone());
                    unsaved.retain(|u| *u != id); // its record is written now
                    trace.push(format!("retry {id}"));
                    s.retry_mutation(&id, now).expect("retry")
                } else {
                    trace.push(format!("discard {id}"));
                    s.discard_mutation(&id, now).expect("discard")
                }
            }
            11 => {
                trace.push("flush".to_owned());
                s.flush(now)
            }
            _ => {
                let before = state(&s);
                let (what, r) = hostile(&mut rng, &mut s, now);
                trace.push(format!("hostile {what}"));
                assert!(r.is_err(), "{what} was accepted: {}", context(&trace));
                assert_eq!(
                    state(&s),
                    before,
                    "{what} changed something: {}",
                    context(&trace)
                );
                continue;
            }
        };
        mirror.apply(&s, &out, now, &|| context(&trace));
        mirror.check(&s, &|| context(&trace));
        if let Some(sent) = sends(&out).pop() {
            inflight = Some(sent);
        }
        idb.save(&mut s, &out);
        // A follower tab: the cache delta the tab posts, then the outbox as stored.
        let delta = idb.cache_json();
        follower
            .apply_cache(&delta, false, now)
            .unwrap_or_else(|e| panic!("follower apply_cache: {e}: {}", context(&trace)));
        reconcile(&mut follower, &idb.outbox_json(), now);
        if step % 5 == 0 {
            let b = reload(&idb, true, now);
            assert_eq!(visible(&b), visible(&s), "reload: {}", context(&trace));
            // Every mutation the tab lists is stored, but those whose write failed before they
            // were ever stored (listed failed here only, never sent).
            let (stored, not): (Vec<_>, Vec<_>) = queue_after_reload(&s)
                .into_iter()
                .partition(|(id, _)| idb.outbox.contains_key(id));
            assert_eq!(queue(&b), stored, "reload: {}", context(&trace));
            for (id, st) in not {
                assert!(
                    unsaved.contains(&id) && st == "failed",
                    "{id} {st} is not stored: {}",
                    context(&trace)
                );
            }
        }
        assert_eq!(
            visible(&follower),
            visible(&s),
            "follower: {}",
            context(&trace)
        );
    }
    // Discarding every mutation leaves exactly the server base; a refetch, the server's state.
    // (Offline first, so nothing more is sent; the one in flight comes back unanswered.)
    online(&mut s, false, now);
    if let Some(sent) = inflight.take() {
        answer(&mut s, &sent, network(), now);
    }
    for m in s.mutation_list() {
        let id = m["id"].as_str().unwrap_or_default().to_owned();
        s.discard_mutation(&id, now)
            .unwrap_or_else(|e| panic!("seed {seed}: discard {id}: {e}"));
    }
    assert_eq!(
        visible(&s)["entities"],
        bases(&s)["entities"],
        "seed {seed}: no layer is left"
    );
    let list: Vec<Value> = server.tasks.values().cloned().collect();
    put(
        &mut s,
        LIST,
        Value::Array(list.clone()),
        json!(["Task"]),
        now + 1.0,
    );
    let shown = read(&s, LIST);
    let title = |v: &Value| (v["id"].to_string(), v["title"].clone());
    let mut want: Vec<_> = list.iter().map(title).collect();
    let mut got: Vec<_> = shown.as_array().into_iter().flatten().map(title).collect();
    want.sort_by(|a, b| a.0.cmp(&b.0));
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got, want, "seed {seed}: the server's state");
}

#[test]
fn soak_every_entry_point_with_faults_a_follower_and_reloads() {
    let secs: f64 = std::env::var("STRATA_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    let start = std::time::Instant::now();
    let mut seed = 1;
    loop {
        soak(seed, 150);
        seed += 1;
        let done = if secs > 0.0 {
            start.elapsed().as_secs_f64() >= secs
        } else {
            seed > 8
        };
        if done {
            break;
        }
    }
    eprintln!("soak: {} seeds of 150 steps", seed - 1);
}
