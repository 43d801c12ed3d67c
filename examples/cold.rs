//! Native timing of the core's part of a cold start (scenario 6 of the peer benchmark: 10,000
//! tasks, 200 users, 3 comments each, 40,200 entities, read back from IndexedDB):
//! `cargo run --release --example cold`. Informational, not a test. The delta is the one the
//! store writes (`take_cache_delta`); the timed part is what `createStore` asks of the core.
use std::time::{Duration, Instant};

use strata::core::{batch, Store};

mod data;

fn main() {
    let opts = data::OPTIONS;
    let mut first = Store::from_options_json(opts).expect("options");
    first
        .set_query_data(
            "[\"tasks\"]",
            "[\"tasks\"]",
            &data::tasks(1, 10_000, 200, 3),
            r#"{"tasks":["Task"]}"#,
            0.0,
        )
        .expect("write");
    let t = Instant::now();
    let delta = first.take_cache_delta();
    let takes = vec![t.elapsed()];
    let (mut apply, mut out) = (Vec::<Duration>::new(), Vec::<Duration>::new());
    let mut batch_len = 0;
    for _ in 0..7 {
        let mut store = Store::from_options_json(opts).expect("options");
        let t0 = Instant::now();
        let o = store.apply_cache(&delta, true, 0.0).expect("apply");
        let t1 = Instant::now();
        let j = batch::to_json(&store, &o.changes, delta.len());
        let t2 = Instant::now();
        batch_len = j.len();
        apply.push(t1 - t0);
        out.push(t2 - t1);
    }
    let med = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e3
    };
    println!(
        "delta {} bytes, batch {} bytes; medians (ms):",
        delta.len(),
        batch_len
    );
    println!(
        "  {:>8.1}  take_cache_delta (the write side, once, for reference)",
        med(takes)
    );
    println!(
        "  {:>8.1}  apply_cache (parse + records + queries)",
        med(apply)
    );
    println!("  {:>8.1}  batch JSON to JS", med(out));
}
