//! Randomized sequences of every query call and answer: after every step no impossible state
//! appears (a live request per query at most, no idle query with a ticket, no missed wake-up).
//! The pool of queries and the random answers are here, the simulated browser in `sim.rs`.

use crate::core::tests::support::queries::*;
use sim::*;

mod sim;
mod steps;

/// One query of the pool: hash, key, shape, and whether it has a url.
pub struct Spec {
    pub hash: &'static str,
    pub key: Value,
    pub shape: Value,
    pub source: bool,
    pub opts: Value,
}

pub fn pool(rng: &mut Rng) -> Vec<Spec> {
    let raw = [
        ("t", json!(["todos"]), json!(["Todo"]), true),
        ("t1", json!(["todos", 1]), json!("Todo"), true),
        (
            "tp",
            json!(["todos", { "page": 2 }]),
            json!({ "items": ["Todo"] }),
            true,
        ),
        ("u", json!(["users"]), json!(["User"]), true),
        ("u1", json!(["users", 1]), json!("User"), true),
        ("n", json!(["local"]), json!(null), false),
    ];
    raw.into_iter()
        .map(|(hash, key, shape, source)| {
            let mut opts = json!({
                "shape": shape,
                "staleTime": rng.pick(&[json!(0), json!(500), json!(5000), json!("Infinity")]).clone(),
                "gcTime": rng.pick(&[json!(0), json!(1000), json!(10_000), json!("Infinity")]).clone(),
                "retry": rng.below(4),
                "retryDelay": rng.pick(&[0, 100, 1000]).to_owned(),
                "refetchInterval": rng.pick(&[json!(null), json!(700), json!(3000)]).clone(),
                "enabled": rng.chance(85),
                "refetchOnWindowFocus": rng.chance(70),
                "refetchOnReconnect": rng.chance(70),
            });
            if source {
                opts["url"] = json!(format!("/{hash}"));
            }
            Spec { hash, key, shape, source, opts }
        })
        .collect()
}

/// Data that fits `shape`.
pub fn good_data(rng: &mut Rng, shape: &Value) -> Value {
    let todo = |rng: &mut Rng| {
        json!({ "id": rng.below(4) + 1, "title": *rng.pick(&["a", "b"]),
                "assignee": { "id": *rng.pick(&["u1", "u2"]) } })
    };
    match shape {
        Value::String(t) if t == "Todo" => todo(rng),
        Value::String(_) => json!({ "id": *rng.pick(&["u1", "u2"]), "todos": [todo(rng)] }),
        Value::Array(a) if a[0] == json!("Todo") => (0..rng.below(3)).map(|_| todo(rng)).collect(),
        Value::Array(_) => json!([{ "id": "u1", "todos": [todo(rng)] }]),
        Value::Object(_) => json!({ "items": [todo(rng)], "total": 1 }),
        _ => json!({ "n": rng.below(100) }),
    }
}

const RETRY_AFTERS: [&str; 3] = ["0", "1", "x"];

/// Success bodies that are not JSON data.
const UNREADABLE: [&str; 3] = ["", "<html>", "{"];

pub fn random_result(rng: &mut Rng, shape: &Value) -> Settle {
    match rng.below(14) {
        0..=4 => ok(good_data(rng, shape)),
        5 | 6 => http(500, "boom"),
        7 => http(404, ""),
        8 => http(401, ""),
        9 => http_retry_after(*rng.pick(&[408, 429, 503]), RETRY_AFTERS[rng.below(3)]),
        10 => network(),
        11 => Settle::Failed(ErrorInfo::new("TIMEOUT", "slow")),
        12 => http(*rng.pick(&[200, 204]), UNREADABLE[rng.below(3)]),
        _ => ok(rng
            .pick(&[
                json!(5),
                json!([5]),
                json!({ "items": 3 }),
                json!([{ "x": 1 }]),
            ])
            .clone()),
    }
}

#[test]
fn random_sequences_never_build_impossible_states() {
    for seed in 1..=300u64 {
        let mut rng = Rng::new(seed);
        let specs = pool(&mut rng);
        let n = specs.len();
        let mut sim = Sim {
            s: store(),
            rng,
            specs,
            flights: Vec::new(),
            observers: vec![0; n],
            online: true,
            now: T0,
            wake: None,
            max_ticket: 0,
            log: vec![format!("seed {seed}")],
        };
        for _ in 0..400 {
            sim.step();
        }
    }
}
