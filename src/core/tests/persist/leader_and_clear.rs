//! Only the leader sends (a follower queues and shows the layers), and clear settles everything
//! pending with CLEARED, leaving nothing and keeping the tab's role.

use crate::core::tests::support::persist::*;

#[test]
fn a_follower_never_sends_and_sends_once_it_leads() {
    let mut s = seeded();
    let mut outs = vec![leader(&mut s, false, T0)];
    outs.push(mutate(&mut s, "m1", patch_title(1, "a"), T0));
    outs.push(persisted(&mut s, &["m1"], T0 + 1.0));
    outs.push(mutate_durable(&mut s, "m2", patch_title(2, "b"), T0 + 2.0));
    outs.push(online(&mut s, false, T0 + 3.0));
    outs.push(online(&mut s, true, T0 + 4.0));
    outs.push(tick(&mut s, T0 + 100_000.0));
    let out = s.flush(T0 + 100_001.0);
    outs.push(done(&mut s, out));
    for out in &outs {
        no_send(out);
    }
    assert_eq!(
        s.next_wake(T0 + 100_002.0),
        None,
        "no timer for a queue it does not send"
    );
    assert_eq!(
        queue(&s),
        vec![
            ("m1".to_owned(), "queued".to_owned()),
            ("m2".to_owned(), "queued".to_owned())
        ]
    );
    assert_eq!(task(&s, "1")["title"], "a", "layers show in every tab");

    let out = leader(&mut s, true, T0 + 100_003.0);
    let s1 = one_send(&out);
    assert_eq!(s1.id, "m1");
    // Losing the lock mid-flight: the answer still lands, nothing more is sent.
    no_send(&leader(&mut s, false, T0 + 100_004.0));
    let out = answer(&mut s, &s1, http(204, ""), T0 + 100_005.0);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
    assert_eq!(ob(&out), vec!["-m1"]);
    no_send(&out);
    assert_eq!(one_send(&leader(&mut s, true, T0 + 100_006.0)).id, "m2");
}

#[test]
fn clear_settles_everything_pending_with_cleared_and_leaves_nothing() {
    let mut s = seeded_with_page();
    let s1 = durable_sent(&mut s, "m1", patch_title(1, "a"), T0);
    // m1 fails (its promise rejects now), m2 goes out, m3 waits, m4 is being saved.
    let out = answer(&mut s, &s1, http(422, ""), T0 + 1.0);
    assert_eq!(
        settled(&out),
        vec![("m1".to_owned(), Err("HTTP".to_owned()))]
    );
    let s2 = durable_sent(&mut s, "m2", patch_title(2, "b"), T0 + 1.0);
    no_send(&mutate_durable(&mut s, "m3", delete_desc(3), T0 + 2.0));
    mutate(
        &mut s,
        "m4",
        patch_desc(1, json!({ "note": "d" })),
        T0 + 2.0,
    );
    assert_eq!(
        queue(&s).into_iter().map(|(_, st)| st).collect::<Vec<_>>(),
        vec!["failed", "inflight", "queued", "saving"]
    );
    let out = s.clear(T0 + 3.0);
    assert_eq!(
        settled(&out),
        vec![
            ("m2".to_owned(), Err("CLEARED".to_owned())),
            ("m3".to_owned(), Err("CLEARED".to_owned())),
            ("m4".to_owned(), Err("CLEARED".to_owned()))
        ]
    );
    assert!(s.mutation_list().is_empty());
    assert_eq!(s.entity_count(), 0);
    assert!(s.query(LIST).is_none() && s.query(PAGE).is_none());
    assert!(s.meta(LIST).is_none());
    let mut rq = out.removed_queries.clone();
    rq.sort();
    assert_eq!(rq, vec![PAGE.to_owned(), LIST.to_owned()]);
    let mut re = out.removed_entities.clone();
    re.sort();
    // (Task:3 is not visible: m3's layer deletes it.)
    assert_eq!(re, vec!["Task:1", "Task:2", "User:u1", "User:u2"]);
    assert!(out.outbox.is_empty());
    assert_eq!(
        s.take_cache_delta(),
        json!({ "e": [], "q": [] }).to_string()
    );
    let y = sync(&s);
    assert_eq!(
        (
            y["pending"].clone(),
            y["failed"].clone(),
            y["lastError"].clone()
        ),
        (json!(0), json!(0), Value::Null)
    );
    assert!(!s.cache().has_layered_state());

    // A late answer of the cleared request lands nowhere.
    let out = answer(&mut s, &s2, http(204, ""), T0 + 4.0);
    assert!(out.settled.is_empty() && out.outbox.is_empty());
    assert_eq!(s.entity_count(), 0);
    // The store works afterwards; tickets are never reused.
    put(&mut s, LIST, seed_tasks(), json!(["Task"]), T0 + 5.0);
    let sent = durable_sent(&mut s, "m4", patch_title(1, "d"), T0 + 6.0);
    assert!(sent.ticket > s2.ticket);
}

#[test]
fn clear_keeps_this_tab_a_follower() {
    let mut s = seeded();
    leader(&mut s, false, T0);
    mutate_durable(&mut s, "m1", patch_title(1, "a"), T0);
    let out = s.clear(T0 + 1.0);
    assert_eq!(
        settled(&out),
        vec![("m1".to_owned(), Err("CLEARED".to_owned()))]
    );
    put(&mut s, LIST, seed_tasks(), json!(["Task"]), T0 + 2.0);
    no_send(&mutate_durable(&mut s, "m2", patch_title(1, "b"), T0 + 3.0));
    assert_eq!(one_send(&leader(&mut s, true, T0 + 4.0)).id, "m2");
}
