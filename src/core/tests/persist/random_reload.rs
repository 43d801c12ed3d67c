//! Random runs: after every step, a reload shows exactly what the tab shows (the queue, the visible
//! state and the server base), and the server applies each key at most once.

use crate::core::mutation::description::MStatus;
use crate::core::tests::support::persist::*;

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

/// The ids of the mutations whose record is being written.
fn saving(s: &Store) -> Vec<String> {
    s.queue()
        .list()
        .iter()
        .filter(|m| m.status == MStatus::Saving)
        .map(|m| m.id.clone())
        .collect()
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
                let mut saving = saving(&s);
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
        let saving = saving(&s);
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
