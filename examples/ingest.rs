//! Native timing of the ingest path (parse, normalize, merge, batch) for a 10,000-task
//! response: `cargo run --release --example ingest`. Informational, not a test.
use std::time::Instant;

use strata::core::{batch, Store};

fn main() {
    let users: Vec<String> = (0..200)
        .map(|i| format!(r#"{{"id":"u{i}","name":"User {i}","email":"u{i}@example.com"}}"#))
        .collect();
    let mut text = String::from("[");
    for i in 0..10_000 {
        if i > 0 {
            text.push(',');
        }
        let comments: Vec<String> = (0..3)
            .map(|j| {
                format!(
                    r#"{{"id":"c{i}-{j}","text":"comment {j}","author":{}}}"#,
                    users[(i + j) % 200]
                )
            })
            .collect();
        text.push_str(&format!(
            r#"{{"id":{i},"title":"Task {i}","done":{},"priority":{},"assignee":{},"comments":[{}]}}"#,
            i % 3 == 0,
            i % 5,
            users[i % 200],
            comments.join(",")
        ));
    }
    text.push(']');
    let opts = r#"{"entities":{"Task":{"relations":{"assignee":"User","comments":["Comment"]}},"User":{},"Comment":{"relations":{"author":"User"}}}}"#;
    for _ in 0..3 {
        let mut store = Store::from_options_json(opts).expect("options");
        let t0 = Instant::now();
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        let t1 = Instant::now();
        let shape = store.parse_shape(r#"["Task"]"#).expect("shape");
        let changes = store
            .write_query("h", serde_json::json!(["big"]), v, &shape, 0.0)
            .expect("write");
        let t2 = Instant::now();
        let out = batch::to_json(&store, &changes, text.len());
        let t3 = Instant::now();
        println!(
            "{} bytes: parse {:?}, normalize+write {:?}, batch {:?} ({} bytes)",
            text.len(),
            t1 - t0,
            t2 - t1,
            t3 - t2,
            out.len()
        );
    }
}
