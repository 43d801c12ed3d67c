//! Native allocation profile of a big ingest (scenario 11b of the peer benchmark: 20,000 tasks,
//! 500 users, 2 comments per task; 60,500 entities): `cargo run --release --example memory`.
//! Informational, not a test. A counting allocator reports, per stage, the live bytes, the peak
//! and the number of allocations; figures are for the native 64-bit build (wasm32 has 4-byte
//! pointers, so its `String`, `Vec` and map entries are smaller; the type sizes are printed).
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use strata::core::{batch, Store};

mod data;

// The wasm32 build (clippy's) keeps the crate's own allocator: this example is native only.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static COUNT: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(l.size(), Relaxed) + l.size();
        PEAK.fetch_max(live, Relaxed);
        COUNT.fetch_add(1, Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        // A realloc holds both blocks for a moment: counted as the new one alive with the old.
        let live = LIVE.fetch_add(n, Relaxed) + n;
        PEAK.fetch_max(live, Relaxed);
        LIVE.fetch_sub(l.size(), Relaxed);
        COUNT.fetch_add(1, Relaxed);
        System.realloc(p, l, n)
    }
}
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static A: Counting = Counting;

const TASKS: usize = 20_000;
const USERS: usize = 500;
const COMMENTS: usize = 2;

fn mark() -> (usize, usize) {
    let live = LIVE.load(Relaxed);
    PEAK.store(live, Relaxed);
    (live, COUNT.load(Relaxed))
}

fn report(stage: &str, before: (usize, usize), entities: usize) {
    let live = LIVE.load(Relaxed);
    let peak = PEAK.load(Relaxed);
    let allocs = COUNT.load(Relaxed) - before.1;
    let mb = |b: usize| b as f64 / 1e6;
    println!(
        "{stage:<44} live +{:>7.2} MB ({:>5.0} B/entity)  peak +{:>7.2} MB  allocations {:>8} ({:.1}/entity)",
        mb(live.saturating_sub(before.0)),
        live.saturating_sub(before.0) as f64 / entities as f64,
        mb(peak.saturating_sub(before.0)),
        allocs,
        allocs as f64 / entities as f64
    );
}

fn main() {
    let text = data::tasks(1, TASKS, USERS, COMMENTS);
    let entities = TASKS * (1 + COMMENTS) + USERS;
    println!(
        "{TASKS} tasks, {USERS} users, {} comments = {entities} entities; response {:.2} MB",
        TASKS * COMMENTS,
        text.len() as f64 / 1e6
    );
    println!(
        "type sizes here: serde_json::Value {} B, Map<String, Value> {} B, String {} B",
        std::mem::size_of::<serde_json::Value>(),
        std::mem::size_of::<serde_json::Map<String, serde_json::Value>>(),
        std::mem::size_of::<String>()
    );
    let opts = data::OPTIONS;
    let m0 = mark();
    let mut store = Store::from_options_json(opts).expect("options");
    let m1 = mark();
    let out = store
        .set_query_data(
            "[\"tasks\"]",
            "[\"tasks\"]",
            &text,
            r#"{"tasks":["Task"]}"#,
            0.0,
        )
        .expect("write");
    report("set_query_data (read + normalize + write)", m1, entities);
    let m2 = mark();
    let json = batch::to_json(&store, &out.changes, text.len());
    report("batch JSON (the string handed to JS)", m2, entities);
    println!("batch JSON: {:.2} MB", json.len() as f64 / 1e6);
    let m3 = mark();
    drop(json);
    drop(out);
    report("after the batch and change set are dropped", m3, entities);
    report("store alone (records, index, query)", m0, entities);
    // The cold start: that store's cache delta read back into a fresh store (`applyCache`).
    let delta = store.take_cache_delta();
    drop(store);
    let m4 = mark();
    let mut cold = Store::from_options_json(opts).expect("options");
    let out = cold.apply_cache(&delta, true, 0.0).expect("apply");
    report("apply_cache (the cold start, a fresh store)", m4, entities);
    drop(out);
}
