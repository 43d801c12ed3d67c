//! Live queries (src/core/live/): the model test (random entities, definitions and a stream of
//! changes from every source; the live result always equals filtering and sorting the visible
//! entities from scratch, and a query is reported changed exactly when its result moved), the
//! rules one by one, and bad definitions.

use std::cmp::Ordering;

use super::support::mutations::*;
use crate::core::Output;

fn live_schema() -> Value {
    json!({
        "Task": { "relations": { "assignee": "User" } },
        "User": { "relations": { "team": "Team" } },
        "Team": {}
    })
}

fn live_store() -> Store {
    store_from(
        json!({ "entities": live_schema(), "defaults": { "gcTime": "Infinity" }, "persist": false }),
    )
}

fn observe_live(s: &mut Store, hash: &str, live: Value) -> Result<Output> {
    s.observe(
        hash,
        &key_for(hash),
        &json!({ "live": live }).to_string(),
        T0,
    )
}

/// The live result as entity keys.
fn keys(s: &Store, hash: &str) -> Vec<String> {
    let q = s
        .query(hash)
        .unwrap_or_else(|| panic!("no result for {hash}"));
    q.result
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

// ---- the model: the where language and ordering over denormalized JSON -------------------

/// The value at a dotted path of a denormalized entity; a relation at the end reads as its id.
fn at<'v>(e: &'v Value, path: &str) -> Option<&'v Value> {
    let mut v = e;
    for seg in path.split('.') {
        v = v.get(seg)?;
    }
    match v {
        Value::Object(m) if m.contains_key("id") => m.get("id"),
        other => Some(other),
    }
}

fn eq(a: Option<&Value>, b: &Value) -> bool {
    match (a, b) {
        (None | Some(Value::Null), Value::Null) => true,
        (Some(Value::Number(x)), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Some(x), y) => x == y,
        _ => false,
    }
}

fn model_match(w: &Value, e: &Value) -> bool {
    w.as_object()
        .unwrap()
        .iter()
        .all(|(k, x)| match k.as_str() {
            "$and" => x.as_array().unwrap().iter().all(|p| model_match(p, e)),
            "$or" => x.as_array().unwrap().iter().any(|p| model_match(p, e)),
            "$not" => !model_match(x, e),
            field => {
                let v = at(e, field);
                match x {
                    Value::Object(ops) => ops.iter().all(|(op, o)| match op.as_str() {
                        "$eq" => eq(v, o),
                        "$ne" => !eq(v, o),
                        "$in" => o.as_array().unwrap().iter().any(|i| eq(v, i)),
                        "$nin" => !o.as_array().unwrap().iter().any(|i| eq(v, i)),
                        "$exists" => v.is_some_and(|v| !v.is_null()) == o.as_bool().unwrap(),
                        "$contains" => match (v, o) {
                            (Some(Value::Array(a)), o) => a.iter().any(|i| eq(Some(i), o)),
                            (Some(Value::String(s)), Value::String(sub)) => {
                                s.contains(sub.as_str())
                            }
                            _ => false,
                        },
                        cmp => {
                            let c = match (v, o) {
                                (Some(Value::Number(a)), Value::Number(b)) => {
                                    a.as_f64().unwrap().partial_cmp(&b.as_f64().unwrap())
                                }
                                (Some(Value::String(a)), Value::String(b)) => Some(a.cmp(b)),
                                _ => None,
                            };
                            match (cmp, c) {
                                (_, None) => false,
                                ("$lt", Some(c)) => c == Ordering::Less,
                                ("$lte", Some(c)) => c != Ordering::Greater,
                                ("$gt", Some(c)) => c == Ordering::Greater,
                                ("$gte", Some(c)) => c != Ordering::Less,
                                _ => unreachable!(),
                            }
                        }
                    }),
                    scalar => eq(v, scalar),
                }
            }
        })
}

fn rank(v: Option<&Value>) -> u8 {
    match v {
        None | Some(Value::Null) => 0,
        Some(Value::Bool(_)) => 1,
        Some(Value::Number(_)) => 2,
        Some(Value::String(_)) => 3,
        Some(Value::Array(_)) => 4,
        Some(Value::Object(_)) => 5,
    }
}

fn model_cmp(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .unwrap()
            .partial_cmp(&y.as_f64().unwrap())
            .unwrap(),
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (Some(x), Some(y)) if rank(a) == rank(b) && rank(a) >= 4 => {
            x.to_string().cmp(&y.to_string())
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Filter + sort + window from scratch over every visible Task.
fn model(s: &Store, live: &Value) -> (Vec<String>, usize) {
    let w = live.get("where");
    let mut rows: Vec<(String, Value)> = s
        .cache()
        .entity_keys()
        .into_iter()
        .filter(|k| k.starts_with("Task:"))
        .filter_map(|k| {
            let id = k["Task:".len()..].to_owned();
            s.read_entity("Task", &id).map(|e| (k, e))
        })
        .filter(|(_, e)| w.map_or(true, |w| model_match(w, e)))
        .collect();
    let order: Vec<(String, bool)> = live
        .get("orderBy")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|p| (p[0].as_str().unwrap().to_owned(), p[1] == "desc"))
                .collect()
        })
        .unwrap_or_default();
    rows.sort_by(|(ka, a), (kb, b)| {
        for (f, desc) in &order {
            let c = model_cmp(at(a, f), at(b, f));
            if c != Ordering::Equal {
                return if *desc { c.reverse() } else { c };
            }
        }
        model_cmp(a.get("id"), b.get("id")).then_with(|| ka.cmp(kb))
    });
    let total = rows.len();
    let offset = live.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
    let limit = live
        .get("limit")
        .and_then(Value::as_u64)
        .map(|l| l as usize);
    let keys = rows
        .into_iter()
        .map(|(k, _)| k)
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .collect();
    (keys, total)
}

// ---- random data --------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

fn rand_due(g: &mut Rng) -> Value {
    match g.below(10) {
        0 => Value::Null,
        1 => json!("soon"),
        2 => json!(g.below(5) as f64 + 0.5),
        _ => json!(g.below(8)),
    }
}

/// A random Task (some fields missing), with or without an assignee.
fn rand_task(g: &mut Rng, id: u64) -> Value {
    let mut t = json!({ "id": id });
    let m = t.as_object_mut().unwrap();
    if g.chance(90) {
        m.insert("project".into(), json!(*g.pick(&["p0", "p1", "p2"])));
    }
    m.insert("done".into(), json!(g.chance(40)));
    if g.chance(85) {
        m.insert("due".into(), rand_due(g));
    }
    m.insert(
        "title".into(),
        json!(*g.pick(&["alpha", "beta", "gamma", "delta", "alphabet"])),
    );
    let tags: Vec<&str> = ["a", "b", "c"]
        .into_iter()
        .filter(|_| g.chance(40))
        .collect();
    m.insert("tags".into(), json!(tags));
    m.insert(
        "assignee".into(),
        if g.chance(20) {
            Value::Null
        } else {
            json!({ "id": format!("u{}", g.below(3)), "team": { "id": format!("t{}", g.below(2)) } })
        },
    );
    t
}

fn rand_where(g: &mut Rng, depth: u32) -> Value {
    let leaf = |g: &mut Rng| -> Value {
        match g.below(12) {
            0 => json!({ "project": *g.pick(&["p0", "p1", "p2"]) }),
            1 => json!({ "done": g.chance(50) }),
            2 => json!({ "due": { "$lt": g.below(8) } }),
            3 => json!({ "due": { "$gte": g.below(8), "$lte": 6 } }),
            4 => json!({ "project": { "$in": ["p0", "p2"] } }),
            5 => json!({ "project": { "$nin": ["p1"] } }),
            6 => json!({ "due": { "$exists": g.chance(50) } }),
            7 => json!({ "tags": { "$contains": *g.pick(&["a", "b", "c"]) } }),
            8 => json!({ "title": { "$contains": "lph" } }),
            9 => json!({ "assignee.team": *g.pick(&["t0", "t1"]) }),
            10 => json!({ "assignee": *g.pick(&["u0", "u1", "u2"]) }),
            _ => json!({ "title": { "$gt": "beta" } }),
        }
    };
    if depth == 0 || g.chance(50) {
        return leaf(g);
    }
    match g.below(4) {
        0 => json!({ "$or": [rand_where(g, depth - 1), rand_where(g, depth - 1)] }),
        1 => json!({ "$not": rand_where(g, depth - 1) }),
        2 => json!({ "$and": [rand_where(g, depth - 1), rand_where(g, depth - 1)] }),
        // A top-level equality and more: the indexed case.
        _ => json!({ "project": *g.pick(&["p0", "p1"]), "done": g.chance(50) }),
    }
}

fn rand_live(g: &mut Rng) -> Value {
    let mut live = json!({ "from": "Task" });
    let m = live.as_object_mut().unwrap();
    if g.chance(85) {
        m.insert("where".into(), rand_where(g, 2));
    }
    let fields = ["due", "title", "project", "assignee.team", "done"];
    let n = g.below(3);
    let order: Vec<Value> = (0..n)
        .map(|_| json!([*g.pick(&fields), *g.pick(&["asc", "desc"])]))
        .collect();
    if !order.is_empty() {
        m.insert("orderBy".into(), json!(order));
    }
    if g.chance(50) {
        m.insert("limit".into(), json!(g.below(6)));
    }
    if g.chance(30) {
        m.insert("offset".into(), json!(g.below(3)));
    }
    live
}

fn rand_patch(g: &mut Rng) -> Value {
    match g.below(6) {
        0 => json!({ "project": *g.pick(&["p0", "p1", "p2"]) }),
        1 => json!({ "done": g.chance(50) }),
        2 => json!({ "due": rand_due(g) }),
        3 => json!({ "title": *g.pick(&["alpha", "beta", "omega"]) }),
        4 => json!({ "tags": ["b"] }),
        _ => json!({ "project": null }),
    }
}

/// One random change from one of the sources; returns its output.
fn rand_change(g: &mut Rng, s: &mut Store, n: &mut u64, now: f64) -> Output {
    let id = g.below(14);
    match g.below(9) {
        // A response (setQueryData through a shape) with new and changed tasks.
        0 => {
            let tasks: Vec<Value> = (0..3)
                .map(|_| {
                    let id = g.below(16);
                    rand_task(g, id)
                })
                .collect();
            put(
                s,
                &format!("resp{}", g.below(3)),
                json!(tasks),
                json!(["Task"]),
                now,
            )
        }
        1 => s
            .update_entity("Task", &id.to_string(), &rand_patch(g).to_string(), now)
            .unwrap_or_default(),
        // A User's team changes: Tasks reach it through `assignee`.
        2 => {
            let team = json!([{ "id": format!("u{}", g.below(3)), "team": { "id": format!("t{}", g.below(2)) } }]);
            put(s, "users", team, json!(["User"]), now)
        }
        // Optimistic update / insert / delete, sent and left pending.
        3 => {
            *n += 1;
            s.mutate(
                &format!("m{n}"),
                &patch_desc(id, rand_patch(g)).to_string(),
                now,
            )
            .unwrap_or_default()
        }
        4 => {
            *n += 1;
            let data = rand_task(g, 100 + *n);
            s.mutate(
                &format!("m{n}"),
                &insert_desc(data, json!([])).to_string(),
                now,
            )
            .unwrap_or_default()
        }
        5 => {
            *n += 1;
            s.mutate(&format!("m{n}"), &delete_desc(id).to_string(), now)
                .unwrap_or_default()
        }
        // A rollback: the mutation in flight fails.
        6 => {
            let inflight = s
                .mutation_list()
                .into_iter()
                .find(|m| m["status"] == "inflight")
                .and_then(|m| m["id"].as_str().map(str::to_owned));
            match inflight {
                Some(mid) => {
                    let ticket = s.queue().get(&mid).map(|m| m.ticket).unwrap_or(0);
                    s.settle_mutation(&mid, ticket, http(400, ""), now, R)
                }
                None => Output::default(),
            }
        }
        // A push upsert or delete into the base.
        7 => {
            let msg = json!({ "type": "upsert", "entity": "Task", "data": rand_task(g, id) });
            s.apply_pushes(&[&msg.to_string()], now)
        }
        _ => {
            let msg = json!({ "type": "delete", "entity": "Task", "id": id });
            s.apply_pushes(&[&msg.to_string()], now)
        }
    }
}

#[test]
fn random_live_queries_equal_filter_and_sort_from_scratch() {
    let (mut moves, mut layered) = (0, 0);
    for seed in 1..=40u64 {
        let mut g = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut s = live_store();
        let seed_tasks: Vec<Value> = (0..12).map(|i| rand_task(&mut g, i)).collect();
        put(&mut s, "all", json!(seed_tasks), json!(["Task"]), T0);
        let defs: Vec<(String, Value)> = (0..6)
            .map(|i| (format!("live{i}"), rand_live(&mut g)))
            .collect();
        for (h, d) in &defs {
            must(
                observe_live(&mut s, h, d.clone()),
                format_args!("observe {d}"),
            );
        }
        let mut last: Vec<Vec<String>> = defs.iter().map(|(h, _)| keys(&s, h)).collect();
        let mut n = 0;
        for step in 0..120 {
            let out = rand_change(&mut g, &mut s, &mut n, T0 + step as f64);
            layered += usize::from(s.cache().has_layered_state());
            for (i, (h, d)) in defs.iter().enumerate() {
                let (want, total) = model(&s, d);
                let got = keys(&s, h);
                assert_eq!(got, want, "seed {seed} step {step}: {d}");
                let reported = out.changes.written_queries.contains(h);
                moves += usize::from(reported);
                assert_eq!(
                    reported,
                    got != last[i],
                    "seed {seed} step {step}: reported {reported} for {d}"
                );
                if let Some((_, t)) = out.live_totals.iter().find(|(x, _)| x == h) {
                    assert_eq!(*t, total, "seed {seed} step {step}: total of {d}");
                }
                last[i] = got;
            }
        }
    }
    // The stream moved rows often and ran under optimistic layers (the test is not vacuous).
    assert!(
        moves > 1000 && layered > 1000,
        "moves {moves}, steps under layers {layered}"
    );
}

// ---- the rules one by one -----------------------------------------------------------------

fn tasks(s: &mut Store, data: Value) {
    put(s, "src", data, json!(["Task"]), T0);
}

fn total_of(out: &Output, hash: &str) -> Option<usize> {
    out.live_totals
        .iter()
        .find(|(h, _)| h == hash)
        .map(|(_, t)| *t)
}

#[test]
fn where_relation_paths_follow_a_change_of_the_related_entity() {
    let mut s = live_store();
    tasks(
        &mut s,
        json!([
            { "id": 1, "assignee": { "id": "u1", "team": { "id": "red" } } },
            { "id": 2, "assignee": { "id": "u2", "team": { "id": "blue" } } }
        ]),
    );
    must(
        observe_live(
            &mut s,
            "red",
            json!({ "from": "Task", "where": { "assignee.team": "red" } }),
        ),
        "observe",
    );
    assert_eq!(keys(&s, "red"), ["Task:1"]);
    // u2 moves to the red team: Task 2's own record is unchanged, it reaches the User.
    let out = put(
        &mut s,
        "u",
        json!([{ "id": "u2", "team": { "id": "red" } }]),
        json!(["User"]),
        T0,
    );
    assert_eq!(keys(&s, "red"), ["Task:1", "Task:2"]);
    assert_eq!(total_of(&out, "red"), Some(2));
}

#[test]
fn order_ties_by_id_and_types_in_a_fixed_order() {
    let mut s = live_store();
    tasks(
        &mut s,
        json!([
            { "id": 3, "due": 2 }, { "id": 1, "due": "later" }, { "id": 2, "due": 2 },
            { "id": 4 }, { "id": 5, "due": true }, { "id": 6, "due": -0.5 }
        ]),
    );
    must(
        observe_live(
            &mut s,
            "q",
            json!({ "from": "Task", "orderBy": [["due", "asc"]] }),
        ),
        "observe",
    );
    // missing < booleans < numbers < strings; ties by id.
    assert_eq!(
        keys(&s, "q"),
        ["Task:4", "Task:5", "Task:6", "Task:2", "Task:3", "Task:1"]
    );
    must(
        observe_live(
            &mut s,
            "d",
            json!({ "from": "Task", "orderBy": [["due", "desc"]], "limit": 2, "offset": 1 }),
        ),
        "observe",
    );
    assert_eq!(keys(&s, "d"), ["Task:2", "Task:3"]);
}

#[test]
fn a_change_outside_the_window_reports_nothing() {
    let mut s = live_store();
    tasks(
        &mut s,
        json!([{ "id": 1, "due": 1 }, { "id": 2, "due": 2 }, { "id": 3, "due": 3 }, { "id": 4, "due": 4 }]),
    );
    must(
        observe_live(
            &mut s,
            "top",
            json!({ "from": "Task", "orderBy": [["due", "asc"]], "limit": 2 }),
        ),
        "observe",
    );
    // Task 4 moves below Task 3: outside the window, the total is the same.
    let out = must(s.update_entity("Task", "4", r#"{"due":3.5}"#, T0), "update");
    assert!(!out.changes.written_queries.contains(&"top".to_owned()));
    assert!(!out.changes.dependent_queries.contains(&"top".to_owned()));
    assert_eq!(total_of(&out, "top"), None);
    // Task 3 moves to the top: the window changes.
    let out = must(s.update_entity("Task", "3", r#"{"due":0}"#, T0), "update");
    assert!(out.changes.written_queries.contains(&"top".to_owned()));
    assert_eq!(keys(&s, "top"), ["Task:3", "Task:1"]);
}

#[test]
fn optimistic_insert_shows_at_once_and_leaves_exactly_on_rollback() {
    let mut s = live_store();
    tasks(&mut s, json!([{ "id": 1, "project": "p1" }]));
    must(
        observe_live(
            &mut s,
            "p1",
            json!({ "from": "Task", "where": { "project": "p1" } }),
        ),
        "observe",
    );
    let out = mutate(
        &mut s,
        "m1",
        insert_desc(json!({ "id": 9, "project": "p1" }), json!([])),
        T0,
    );
    assert_eq!(keys(&s, "p1"), ["Task:1", "Task:9"]);
    assert_eq!(total_of(&out, "p1"), Some(2));
    let sent = one_send(&out);
    answer(&mut s, &sent, http(400, ""), T0 + 1.0);
    assert_eq!(keys(&s, "p1"), ["Task:1"]);
}

#[test]
fn a_push_that_stops_a_match_removes_the_row() {
    let mut s = live_store();
    tasks(
        &mut s,
        json!([{ "id": 1, "done": false }, { "id": 2, "done": false }]),
    );
    must(
        observe_live(
            &mut s,
            "open",
            json!({ "from": "Task", "where": { "done": false } }),
        ),
        "observe",
    );
    let msg = json!({ "type": "upsert", "entity": "Task", "data": { "id": 2, "done": true } })
        .to_string();
    let out = s.apply_pushes(&[&msg], T0);
    assert_eq!(keys(&s, "open"), ["Task:1"]);
    assert_eq!(total_of(&out, "open"), Some(1));
}

#[test]
fn a_response_of_a_live_query_fills_the_cache_and_the_definition_decides() {
    let mut s = live_store();
    let opts = json!({ "url": "/tasks", "shape": ["Task"], "live": { "from": "Task", "where": { "done": false } } });
    let out = must(
        s.observe("q", &key_for("q"), &opts.to_string(), T0),
        "observe",
    );
    assert_eq!(keys(&s, "q"), Vec::<String>::new());
    let ticket = out
        .actions
        .iter()
        .find_map(|a| match a {
            Action::Fetch { ticket, .. } => Some(*ticket),
            _ => None,
        })
        .expect("a fetch");
    let body = json!([{ "id": 1, "done": true }, { "id": 2, "done": false }]).to_string();
    s.settle("q", ticket, http(200, &body), T0 + 1.0, R);
    assert_eq!(keys(&s, "q"), ["Task:2"]);
    assert_eq!(
        s.meta("q").map(|m| m.status()),
        Some(crate::core::query::state::Status::Success)
    );
}

#[test]
fn index_files_queries_by_their_equality_and_still_sees_leavers() {
    let mut s = live_store();
    tasks(&mut s, json!([{ "id": 1, "project": "p1" }]));
    for p in 0..50 {
        must(
            observe_live(
                &mut s,
                &format!("p{p}"),
                json!({ "from": "Task", "where": { "project": format!("p{p}") } }),
            ),
            "observe",
        );
    }
    // Task 1 leaves p1 for p7: both queries move, no other.
    let out = must(
        s.update_entity("Task", "1", r#"{"project":"p7"}"#, T0),
        "update",
    );
    let mut moved: Vec<&String> = out.changes.written_queries.iter().collect();
    moved.sort();
    assert_eq!(moved, ["p1", "p7"]);
    assert_eq!(keys(&s, "p7"), ["Task:1"]);
    assert!(keys(&s, "p1").is_empty());
}

#[test]
fn removing_a_live_query_stops_it() {
    let mut s = live_store();
    tasks(&mut s, json!([{ "id": 1 }]));
    must(
        observe_live(&mut s, "q", json!({ "from": "Task" })),
        "observe",
    );
    s.unobserve("q", T0);
    must(
        s.remove(&json!({ "queryKey": ["q"] }).to_string(), T0),
        "remove",
    );
    let out = must(s.update_entity("Task", "1", r#"{"x":1}"#, T0), "update");
    assert!(out.live_totals.is_empty());
    assert!(s.query("q").is_none());
}

// ---- bad definitions ----------------------------------------------------------------------

#[track_caller]
fn refused(live: Value, part: &str) {
    let mut s = live_store();
    tasks(&mut s, json!([{ "id": 1 }]));
    match observe_live(&mut s, "bad", live.clone()) {
        Err(Error::InvalidArgument(msg)) => {
            assert!(msg.contains(part), "`{msg}` should name `{part}` ({live})")
        }
        other => panic!("{live} should be refused, got {other:?}"),
    }
    // Nothing was built or written.
    assert!(s.query("bad").is_none());
    assert!(s.meta("bad").is_none());
    let out = must(s.update_entity("Task", "1", r#"{"x":2}"#, T0), "update");
    assert!(out.live_totals.is_empty());
}

#[test]
fn bad_definitions_are_invalid_argument_naming_the_part() {
    refused(json!({ "from": "Nope" }), "Nope");
    refused(json!({ "where": {} }), "from");
    refused(
        json!({ "from": "Task", "where": { "due": { "$near": 1 } } }),
        "$near",
    );
    refused(json!({ "from": "Task", "where": { "$xor": [] } }), "$xor");
    refused(
        json!({ "from": "Task", "where": { "due": { "$in": 3 } } }),
        "where.due.$in",
    );
    refused(
        json!({ "from": "Task", "where": { "due": { "$lt": true } } }),
        "where.due.$lt",
    );
    refused(
        json!({ "from": "Task", "where": { "due": { "$gt": null } } }),
        "$gt",
    );
    refused(
        json!({ "from": "Task", "where": { "due": [1, 2] } }),
        "where.due",
    );
    refused(
        json!({ "from": "Task", "where": { "$or": { "a": 1 } } }),
        "$or",
    );
    refused(
        json!({ "from": "Task", "where": { "title.x": 1 } }),
        "title.x",
    );
    refused(
        json!({ "from": "Task", "where": { "done": { "$exists": 1 } } }),
        "$exists",
    );
    refused(
        json!({ "from": "Task", "orderBy": [["due", "up"]] }),
        "orderBy",
    );
    refused(json!({ "from": "Task", "orderBy": "due" }), "orderBy");
    refused(json!({ "from": "Task", "limit": -1 }), "limit");
    refused(json!({ "from": "Task", "offset": 1.5 }), "offset");
    refused(json!({ "from": "Task", "select": [] }), "select");
    refused(json!("Task"), "live");
}

/// Where the time of scenario 10 goes in the core (not a test of behaviour: run with
/// `cargo test --release --lib live_timing -- --ignored --nocapture`).
#[test]
#[ignore]
fn live_timing() {
    use std::time::Instant;
    let mut s = live_store();
    let n = 100_000u64;
    let tasks: Vec<Value> = (0..n)
        .map(|i| json!({ "id": i + 1, "project": format!("p{}", i % 1000), "done": i % 3 == 0, "due": (i * 7919) % n, "title": format!("Task {}", i + 1) }))
        .collect();
    put(&mut s, "all", json!(tasks), json!(["Task"]), T0);
    let t = Instant::now();
    let def = json!({ "from": "Task", "where": { "done": false }, "orderBy": [["due", "asc"]], "limit": 100 });
    must(observe_live(&mut s, "open", def), "observe");
    println!("build {:?}", t.elapsed());
    let t = Instant::now();
    for k in 0..100u64 {
        let list = keys(&s, "open");
        let who = &list[(10 + k % 20) as usize]["Task:".len()..];
        let patch = json!({ "due": 50 + k % 30 }).to_string();
        let _ = s.update_entity("Task", who, &patch, T0);
    }
    println!("move {:?} per update", t.elapsed() / 100);
    let t = Instant::now();
    for k in 0..100u64 {
        let patch = json!({ "title": format!("x{k}") }).to_string();
        let _ = s.update_entity("Task", "3", &patch, T0);
    }
    println!("plain update of a done task {:?}", t.elapsed() / 100);
}
