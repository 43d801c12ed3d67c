//! Native timing of the ingest path for scenario 1 of the peer benchmark (10,000 tasks, each
//! with an assignee among 200 users and 3 comments with authors; the same data as
//! www/bench/peers/bench.mjs): `cargo run --release --example ingest`. Informational, not a
//! test. Prints each stage: reading (parse + normalize), cache write with change tracking,
//! batch JSON.
use std::time::{Duration, Instant};

use strata::core::cache::{ingest, normalize};

mod data;
use strata::core::{batch, json, Store};

fn main() {
    let text = data::tasks(1, 10_000, 200, 3);
    let opts = data::OPTIONS;
    let runs = 7;
    let mut totals: Vec<(&str, Vec<Duration>)> = Vec::new();
    let mut record =
        |name: &'static str, d: Duration| match totals.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push(d),
            None => totals.push((name, vec![d])),
        };
    let mut batch_len = 0;
    for _ in 0..runs {
        let mut store = Store::from_options_json(opts).expect("options");
        let t0 = Instant::now();
        let changes = store
            .set_query_data(
                "[\"tasks\"]",
                "[\"tasks\"]",
                &text,
                r#"{"tasks":["Task"]}"#,
                0.0,
            )
            .expect("write");
        let t1 = Instant::now();
        let out = batch::to_json(&store, &changes.changes, text.len());
        let t2 = Instant::now();
        batch_len = out.len();
        record("set_query_data (parse+normalize+write+changes)", t1 - t0);
        record("batch JSON", t2 - t1);
        record("total", t2 - t0);
        drop(out);
        let t3 = Instant::now();
        drop(store);
        record("drop store", t3.elapsed());
        // The reading on its own: the one-pass reader, and the two-step path it replaced.
        let store = Store::from_options_json(opts).expect("options");
        let shape = store.parse_shape(r#"{"tasks":["Task"]}"#).expect("shape");
        let schema = &store.config().schema;
        let t0 = Instant::now();
        let n = ingest::read(schema, &shape, &text).expect("one pass");
        let t1 = Instant::now();
        drop(n);
        let t2 = Instant::now();
        let v = json::parse(&text, "data", json::Origin::App).expect("json");
        let t3 = Instant::now();
        let n = normalize::normalize(schema, &shape, v).expect("normalize");
        let t4 = Instant::now();
        drop(n);
        record("  of which one-pass read (ingest::read)", t1 - t0);
        record("  (before: json::parse)", t3 - t2);
        record("  (before: normalize, copies not yet folded)", t4 - t3);
    }
    println!(
        "{} bytes in, batch {} bytes; medians of {runs}:",
        text.len(),
        batch_len
    );
    for (name, mut v) in totals {
        v.sort();
        println!("  {:>9.2} ms  {name}", v[v.len() / 2].as_secs_f64() * 1e3);
    }
}
