//! Native timing of the optimistic toggle (scenario 4 of the peer benchmark: one task in the
//! store, `mutate` with an optimistic update of its title, the change batch rendered, then the
//! server's answer settled), in a store that does not persist (`persist: false`, the benchmark's
//! `opt.strata.wasmCall` row) and sends (the leader tab, online):
//! `cargo run --release --example mutate`. Informational, not a test.
use std::time::{Duration, Instant};

mod data;
use strata::core::{batch, Store};
use strata::core::{Action, Settle};

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e6
}

fn main() {
    let text = data::tasks(1, 1, 1, 2).replacen("\"tasks\":[", "\"task\":", 1);
    let text = format!("{}}}", &text[..text.len() - 2]);
    let opts = format!(
        "{},\"persist\":false}}",
        &data::OPTIONS[..data::OPTIONS.len() - 1]
    );
    let mut store = Store::from_options_json(&opts).expect("options");
    store
        .set_query_data(
            "[\"task\",1]",
            "[\"task\",1]",
            &text,
            r#"{"task":"Task"}"#,
            0.0,
        )
        .expect("write");
    store.set_leader(true, 0.0);
    // OFFLINE=1: nothing is sent and each mutation is discarded after its batch, as in the
    // tight loop of scripts/probe-optimistic.mjs.
    let offline = std::env::var("OFFLINE").is_ok();
    if offline {
        store.set_online(false, 0.0);
    }
    // Observed, as in the benchmark (the observer's query is in each batch).
    store
        .observe("[\"task\",1]", "[\"task\",1]", "{}", 0.0)
        .expect("observe");
    let (mut mutate, mut render, mut settle) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..20_000 {
        let title = format!("optimistic {i}");
        let desc = format!(
            r#"{{"request":{{"method":"PATCH","url":"/api/tasks/1","body":{{"title":"{title}"}}}},"optimistic":[{{"op":"update","type":"Task","id":1,"patch":{{"title":"{title}"}}}}]}}"#
        );
        let id = format!("m{i}");
        let now = i as f64;
        let t0 = Instant::now();
        let out = store.mutate(&id, &desc, now).expect("mutate");
        let t1 = Instant::now();
        let json = batch::output_json(&store, &out, 0, now);
        let t2 = Instant::now();
        std::hint::black_box(json);
        let ticket = out.actions.iter().find_map(|a| match a {
            Action::Send { ticket, .. } => Some(*ticket),
            _ => None,
        });
        let t3 = Instant::now();
        if offline {
            let o = store.discard_mutation(&id, now).expect("discard");
            std::hint::black_box(batch::output_json(&store, &o, 0, now));
        } else if let Some(ticket) = ticket {
            let body = format!(r#"{{"__typename":"Task","id":1,"title":"{title}"}}"#);
            let o = store.settle_mutation(
                &id,
                ticket,
                Settle::Http {
                    status: 200,
                    body,
                    retry_after: None,
                },
                now,
                0.5,
            );
            std::hint::black_box(batch::output_json(&store, &o, 0, now));
        }
        if i >= 1000 {
            mutate.push(t1 - t0);
            render.push(t2 - t1);
            settle.push(t3.elapsed());
        }
    }
    println!("per optimistic toggle, median (us):");
    println!(
        "  {:>8.2}  mutate (parse, layer, queue, send action)",
        median(mutate)
    );
    println!("  {:>8.2}  its batch JSON", median(render));
    let last = if offline {
        "discard"
    } else {
        "settle (the server's answer)"
    };
    println!("  {:>8.2}  {last} + its batch", median(settle));
}
