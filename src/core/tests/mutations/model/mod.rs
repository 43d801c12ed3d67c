//! The reference model: after every step of random interleavings of mutations, answers and server
//! refetches, what the store shows must equal the server base (every server write and every
//! committed mutation, in order) with the pending mutations' ops applied in queue order.

use std::collections::{BTreeMap, BTreeSet};

use crate::core::tests::support::mutations::*;
use reference::*;
use sim::*;

mod events;
mod reference;
mod requests;
mod sim;

type Rec = Map<String, Value>;

const WORDS: [&str; 4] = ["a", "b", "c", "d"];
const USERS: [&str; 3] = ["u1", "u2", "u3"];
const TASK_IDS: [u64; 3] = [1, 2, 3];

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
