//! The cache as IndexedDB keeps it: a few delta texts (chunks, oldest first) read in one
//! `apply_cache` call as the JSON array of them, and compacted into one text when they pile up.

use crate::core::tests::support::persist::*;

/// A persisting store written several times, and the delta text of each write.
fn written_in_chunks() -> (Store, Vec<String>) {
    let mut a = seeded_with_page();
    let mut chunks = vec![a.take_cache_delta()];
    for (i, title) in ["v2", "v3", "v4"].iter().enumerate() {
        let mut tasks = seed_tasks();
        tasks[1]["title"] = json!(title);
        put(&mut a, LIST, tasks, list_shape(), T0 + 1.0 + i as f64);
        chunks.push(a.take_cache_delta());
    }
    (a, chunks)
}

fn hydrated(text: &str) -> Store {
    let mut b = persisting_store();
    b.apply_cache(text, true, T0 + 10.0).expect("apply_cache");
    b
}

#[test]
fn chunks_read_in_one_call_are_the_store_as_last_written() {
    let (a, chunks) = written_in_chunks();
    let all = format!("[{}]", chunks.join(","));
    let b = hydrated(&all);
    assert_eq!(bases(&b), bases(&a));
    assert_eq!(read(&b, LIST), read(&a, LIST));
    assert_eq!(read(&b, LIST)[1]["title"], "v4", "the last chunk wins");
    assert_eq!(read(&b, PAGE), read(&a, PAGE));
    assert_eq!(
        b.meta(LIST).expect("meta").data_updated_at(),
        a.meta(LIST).expect("meta").data_updated_at()
    );

    // Compacted into one text: the same store.
    let one = a.compact_cache(&all).expect("compact");
    assert!(one.starts_with("{\"e\":["), "{one}");
    let c = hydrated(&one);
    assert_eq!(bases(&c), bases(&a));
    assert_eq!(read(&c, LIST), read(&a, LIST));
    assert_eq!(read(&c, PAGE), read(&a, PAGE));
    // Compacting the compacted text (with nothing after it) changes nothing.
    assert_eq!(a.compact_cache(&format!("[{one}]")).expect("compact"), one);
}

#[test]
fn a_later_chunk_removes_what_an_earlier_one_wrote() {
    let (a, mut chunks) = written_in_chunks();
    chunks.push(json!({ "e": [["Task:3", null]], "q": [[PAGE, null]] }).to_string());
    let all = format!("[{}]", chunks.join(","));
    let b = hydrated(&all);
    assert!(b.cache().base_record("Task:3").is_none());
    assert!(b.cache().query(PAGE).is_none(), "the page was removed");
    assert_eq!(read(&b, LIST)[1], read(&a, LIST)[1]);

    let one = a.compact_cache(&all).expect("compact");
    assert!(!one.contains("\",null]") && !one.contains(PAGE), "{one}");
    let c = hydrated(&one);
    assert_eq!(bases(&c), bases(&b));
    // Written again after the removal: there again.
    chunks.push(chunks[0].clone());
    let again = hydrated(&format!("[{}]", chunks.join(",")));
    assert!(again.cache().base_record("Task:3").is_some());
    assert!(again.cache().query(PAGE).is_some());
}

#[test]
fn unreadable_chunks_are_a_parse_error_and_entries_that_are_not_pairs_are_skipped() {
    let s = persisting_store();
    let err = s.compact_cache("[{\"e\":[").expect_err("not JSON");
    assert_eq!(err.code(), "PARSE");
    let mut b = persisting_store();
    assert_eq!(
        b.apply_cache("[{\"e\":", true, T0)
            .expect_err("not JSON")
            .code(),
        "PARSE"
    );
    let odd = json!([{ "e": [1, ["Task:1"], [7, {}]], "q": "x" }, 3, { "e": [["Task:9", { "id": 9 }]], "q": [] }]);
    b.apply_cache(&odd.to_string(), true, T0)
        .expect("apply_cache");
    assert!(b.cache().base_record("Task:9").is_some());
    assert_eq!(
        s.compact_cache(&odd.to_string()).expect("compact"),
        r#"{"e":[["Task:9",{"id":9}]],"q":[]}"#
    );
}

#[test]
fn chunks_the_one_pass_reader_leaves_to_serde_read_the_same() {
    // An escaped name (`\u0074itle` is `title`) sends the text to serde_json's path; both
    // readings must give the same store.
    let (_, chunks) = written_in_chunks();
    let all = format!("[{}]", chunks.join(","));
    assert!(all.contains("\"title\""));
    let escaped = all.replace("\"title\"", "\"\\u0074itle\"");
    let (fast, slow) = (hydrated(&all), hydrated(&escaped));
    assert_eq!(bases(&fast), bases(&slow));
    assert_eq!(read(&fast, LIST), read(&slow, LIST));
    assert_eq!(read(&fast, PAGE), read(&slow, PAGE));
    // One chunk alone, through both paths.
    let one = &chunks[0];
    let (fast, slow) = (
        hydrated(one),
        hydrated(&one.replace("\"title\"", "\"\\u0074itle\"")),
    );
    assert_eq!(bases(&fast), bases(&slow));
    assert_eq!(read(&fast, LIST), read(&slow, LIST));
}
