//! Native timing of small responses (scenario 11a of the peer benchmark: 500 responses of 20
//! tasks, 2 comments each, into one store): `cargo run --release --example small`.
//! Informational, not a test. Prints the per-response median of each stage of the core's part.
use std::time::{Duration, Instant};

use strata::core::cache::ingest;

mod data;
use strata::core::{batch, Store};

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e6
}

fn main() {
    let texts: Vec<String> = (0..500)
        .map(|r| data::tasks(r * 20 + 1, 20, 200, 2))
        .collect();
    let opts = data::OPTIONS;
    let shape_json = r#"{"tasks":["Task"]}"#;
    let (mut write, mut out, mut read) = (Vec::new(), Vec::new(), Vec::new());
    let mut batch_len = 0;
    for _round in 0..3 {
        let mut store = Store::from_options_json(opts).expect("options");
        for (r, text) in texts.iter().enumerate() {
            let key = format!("[\"tasks\",{r}]");
            let t0 = Instant::now();
            let o = store
                .set_query_data(&key, &key, text, shape_json, 0.0)
                .expect("write");
            let t1 = Instant::now();
            let j = batch::to_json(&store, &o.changes, text.len());
            let t2 = Instant::now();
            batch_len = j.len();
            write.push(t1 - t0);
            out.push(t2 - t1);
        }
        let shape = store.parse_shape(shape_json).expect("shape");
        for text in &texts {
            let t0 = Instant::now();
            let n = ingest::read(&store.config().schema, &shape, text).expect("read");
            read.push(t0.elapsed());
            drop(n);
        }
    }
    println!(
        "{} bytes per response, batch {} bytes; per response, median (us):",
        texts[0].len(),
        batch_len
    );
    println!(
        "  {:>8.1}  set_query_data (read + normalize + write + changes)",
        median(write)
    );
    println!(
        "  {:>8.1}    of which the one-pass read alone (ingest::read)",
        median(read)
    );
    println!("  {:>8.1}  batch JSON", median(out));
}
