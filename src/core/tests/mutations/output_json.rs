//! The batch sent to JS after a mutation call: the Send action, the settlement and the sync state.

use crate::core::batch::output_json;
use crate::core::tests::support::mutations::*;

#[test]
fn output_json_carries_the_send_the_settlement_and_the_queue() {
    let mut s = seeded();
    let out = mutate(&mut s, "m1", patch_title(1, "local"), T0);
    let sent = one_send(&out);
    let v: Value = serde_json::from_str(&output_json(&s, &out, 0, T0)).expect("JSON");
    assert_eq!(
        v["a"],
        json!([[
            "m",
            "m1",
            sent.ticket,
            "PATCH",
            "/tasks/1",
            { "Idempotency-Key": "m1", "If-Match": "\"1\"", "Content-Type": "application/json" },
            "{\"title\":\"local\",\"version\":1}",
            30_000.0
        ]])
    );
    assert_eq!(
        s.mutation_list()[0]["status"],
        "inflight",
        "the list is read on demand"
    );
    assert!(
        v["y"].get("list").is_none(),
        "batches carry the sync state, not the list"
    );
    assert_eq!(v["y"]["state"]["pending"], 1);
    assert_eq!(v["ms"], json!([]));
    let out = answer(&mut s, &sent, ok(json!({ "saved": true })), T0 + 1.0);
    let v: Value = serde_json::from_str(&output_json(&s, &out, 0, T0 + 1.0)).expect("JSON");
    assert_eq!(v["ms"], json!([["m1", true, { "saved": true }]]));
    assert_eq!(s.mutation_list(), Vec::<Value>::new());
    assert_eq!(v["y"]["state"]["pending"], 0);

    let out = mutate(&mut s, "m2", patch_title(2, "x"), T0 + 2.0);
    let sent = one_send(&out);
    let out = answer(&mut s, &sent, http(422, "{\"error\":\"bad\"}"), T0 + 3.0);
    let v: Value = serde_json::from_str(&output_json(&s, &out, 0, T0 + 3.0)).expect("JSON");
    assert_eq!(v["ms"][0][0], "m2");
    assert_eq!(v["ms"][0][1], false);
    assert_eq!(v["ms"][0][2]["code"], "HTTP");
    assert_eq!(v["ms"][0][2]["status"], 422);
    assert_eq!(s.mutation_list()[0]["status"], "failed");
    assert_eq!(v["y"]["state"]["failed"], 1);
}
