//! Infinite queries: a result `{ pages, pageParams }` whose pages are normalized; one more page
//! lands before the first or after the last (`settle_page`), `maxPages` drops from the other
//! end, and an optimistic insert targets the first or the last page.

use crate::core::store::Side;
use crate::core::tests::support::mutations::*;
use crate::core::tests::support::queries::{observe, ticket};

const FEED: &str = "feed";

fn feed_opts() -> Value {
    json!({ "queryFn": true, "shape": { "pages": [{ "items": ["Task"], "next": null }], "pageParams": null } })
}

fn page(ids: &[u64], next: Option<u64>) -> Value {
    let items: Vec<Value> = ids
        .iter()
        .map(|i| json!({ "id": i, "title": format!("t{i}"), "version": 1 }))
        .collect();
    json!({ "items": items, "next": next })
}

/// The ids on each page of the feed, and its page params.
fn pages(s: &Store) -> (Vec<Vec<u64>>, Value) {
    let v = s.read_query(FEED).expect("the feed");
    let p = v["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .map(|p| {
            p["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|t| t["id"].as_u64().expect("id"))
                .collect()
        })
        .collect();
    (p, v["pageParams"].clone())
}

/// A feed with its first page (param 0) loaded.
fn first_page() -> Store {
    let mut s = new_store();
    let t = ticket(&observe(&mut s, FEED, feed_opts(), T0), FEED);
    let data = json!({ "pages": [page(&[1, 2], Some(2))], "pageParams": [0] });
    s.settle_data(FEED, t, &data.to_string(), T0 + 1.0, R);
    s
}

fn next_page(
    s: &mut Store,
    ids: &[u64],
    param: u64,
    side: Side,
    max: Option<usize>,
    now: f64,
) -> Output {
    let t = ticket(&s.refetch_query(FEED, now), FEED);
    let text = page(ids, Some(param + 2)).to_string();
    s.settle_page(FEED, t, &text, &param.to_string(), side, max, now + 1.0, R)
}

#[test]
fn pages_land_after_the_last_and_before_the_first() {
    let mut s = first_page();
    assert_eq!(pages(&s), (vec![vec![1, 2]], json!([0])));
    next_page(&mut s, &[3, 4], 2, Side::Last, None, T0 + 10.0);
    next_page(&mut s, &[5, 6], 4, Side::Last, None, T0 + 20.0);
    assert_eq!(
        pages(&s),
        (vec![vec![1, 2], vec![3, 4], vec![5, 6]], json!([0, 2, 4]))
    );
    next_page(&mut s, &[0], 9, Side::First, None, T0 + 30.0);
    assert_eq!(pages(&s).1, json!([9, 0, 2, 4]));
    let m = s.meta(FEED).expect("meta");
    assert_eq!(
        m.status(),
        crate::core::tests::support::queries::Status::Success
    );
    assert!(!m.in_flight());
}

#[test]
fn max_pages_drops_pages_from_the_other_end() {
    let mut s = first_page();
    next_page(&mut s, &[3, 4], 2, Side::Last, Some(2), T0 + 10.0);
    next_page(&mut s, &[5, 6], 4, Side::Last, Some(2), T0 + 20.0);
    assert_eq!(pages(&s), (vec![vec![3, 4], vec![5, 6]], json!([2, 4])));
    next_page(&mut s, &[1, 2], 0, Side::First, Some(2), T0 + 30.0);
    assert_eq!(pages(&s), (vec![vec![1, 2], vec![3, 4]], json!([0, 2])));
}

#[test]
fn an_entity_on_a_later_page_is_the_entity_every_query_shows() {
    let mut s = first_page();
    next_page(&mut s, &[3, 4], 2, Side::Last, None, T0 + 10.0);
    put(
        &mut s,
        "t3",
        json!({ "id": 3, "title": "t3", "version": 1 }),
        json!("Task"),
        T0 + 11.0,
    );
    let out = must(
        s.update_entity("Task", "3", r#"{"title":"renamed"}"#, T0 + 12.0),
        "update_entity",
    );
    let qs: Vec<&String> = out.changes.queries().collect();
    assert!(
        qs.contains(&&FEED.to_owned()) && qs.contains(&&"t3".to_owned()),
        "{qs:?}"
    );
    assert_eq!(
        s.read_query(FEED).expect("feed")["pages"][1]["items"][0]["title"],
        "renamed"
    );
}

#[test]
fn a_stale_or_empty_page_changes_nothing() {
    let mut s = first_page();
    let before = pages(&s);
    // No page in that direction (the param function said none).
    let t = ticket(&s.refetch_query(FEED, T0 + 10.0), FEED);
    s.settle_page(FEED, t, "", "null", Side::Last, None, T0 + 11.0, R);
    assert_eq!(pages(&s), before);
    assert!(!s.meta(FEED).expect("meta").in_flight());
    // An answer of a superseded fetch is dropped.
    let t1 = ticket(&s.refetch_query(FEED, T0 + 20.0), FEED);
    let t2 = ticket(&s.refetch_query(FEED, T0 + 21.0), FEED);
    assert!(t2 > t1);
    let text = page(&[7], None).to_string();
    s.settle_page(FEED, t1, &text, "2", Side::Last, None, T0 + 22.0, R);
    assert_eq!(pages(&s), before);
    // A page that does not fit the shape fails the fetch and keeps the pages.
    s.settle_page(
        FEED,
        t2,
        r#"{"items": 3}"#,
        "2",
        Side::Last,
        None,
        T0 + 23.0,
        R,
    );
    assert_eq!(pages(&s), before);
    assert_eq!(
        s.meta(FEED).and_then(|m| m.error()).map(|e| e.code.clone()),
        Some("SHAPE".to_owned())
    );
}

#[test]
fn an_optimistic_insert_targets_the_first_or_the_last_page() {
    let mut s = first_page();
    next_page(&mut s, &[3, 4], 2, Side::Last, None, T0 + 10.0);
    for (id, position) in [("tmp-a", "start"), ("tmp-b", "end")] {
        let desc = insert_desc(
            json!({ "id": id, "title": id }),
            json!([{ "hash": FEED, "path": ["items"], "position": position }]),
        );
        mutate(&mut s, id, desc, T0 + 20.0);
    }
    let v = s.read_query(FEED).expect("feed");
    let ids = |p: usize| -> Vec<Value> {
        v["pages"][p]["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|t| t["id"].clone())
            .collect()
    };
    assert_eq!(ids(0), vec![json!("tmp-a"), json!(1), json!(2)]);
    assert_eq!(ids(1), vec![json!(3), json!(4), json!("tmp-b")]);
    assert_eq!(
        v["pageParams"],
        json!([0, 2]),
        "the params are not a list to insert into"
    );
}
