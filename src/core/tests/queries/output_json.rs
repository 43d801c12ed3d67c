//! The batch sent to JS after a query call: states, actions (fetch and abort) and the wake-up.

use crate::core::batch::output_json;
use crate::core::tests::support::queries::*;

#[test]
fn output_json_carries_states_actions_and_wake() {
    let mut s = store();
    let opts = url_opts("todos", json!({ "shape": ["Todo"], "timeout": 5000 }));
    let now = T0;
    let out = observe(&mut s, "todos", opts, now);
    let t = ticket(&out, "todos");
    let text = output_json(&s, &out, 0, now);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    let mut keys: Vec<&str> = v
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["a", "d", "dq", "e", "ms", "q", "re", "rq", "s", "w"]);
    assert_eq!(v["a"], json!([["f", "todos", t, "/todos", 5000.0]]));
    assert_eq!(v["s"][0][0], json!("todos"));
    assert_eq!(v["s"][0][1]["status"], json!("pending"));
    assert_eq!(v["s"][0][1]["fetchStatus"], json!("fetching"));
    assert_eq!(v["w"], json!(null));

    let out = settle(&mut s, "todos", t, ok(json!([{ "id": 1 }])), now + 1.0);
    let v: Value = serde_json::from_str(&output_json(&s, &out, 100, now + 1.0)).unwrap();
    assert_eq!(v["e"], json!([["Todo:1", { "id": 1 }]]));
    assert_eq!(v["q"], json!([["todos", ["Todo"], ["Todo:1"]]]));
    assert_eq!(v["s"][0][1]["status"], json!("success"));
    assert_eq!(v["s"][0][1]["dataUpdatedAt"], json!(now + 1.0));
    assert_eq!(v["a"], json!([]));

    let t2 = ticket(&refetch(&mut s, json!(["todos"]), now + 2.0), "todos");
    s.unobserve("todos", now + 2.0);
    let out = remove(&mut s, json!(["todos"]), now + 3.0);
    let v: Value = serde_json::from_str(&output_json(&s, &out, 0, now + 3.0)).unwrap();
    assert_eq!(v["a"], json!([["x", "todos", t2]]));
    assert_eq!(v["rq"], json!(["todos"]));
    assert_eq!(v["re"], json!(["Todo:1"]));
    // A removed query has no state to show.
    assert_eq!(v["s"], json!([]));
}

#[test]
fn output_json_renders_query_fn_fetches_with_a_null_url_and_errors() {
    let mut s = store();
    let out = observe(&mut s, "fn", json!({ "queryFn": true, "retry": 0 }), T0);
    let t = ticket(&out, "fn");
    let v: Value = serde_json::from_str(&output_json(&s, &out, 0, T0)).unwrap();
    assert_eq!(v["a"], json!([["f", "fn", t, null, 30_000.0]]));
    let out = s.settle(
        "fn",
        t,
        Settle::Failed(ErrorInfo::new("QUERY_FN", "rejected")),
        T0 + 1.0,
        R,
    );
    let v: Value = serde_json::from_str(&output_json(&s, &out, 0, T0 + 1.0)).unwrap();
    assert_eq!(v["s"][0][1]["status"], json!("error"));
    assert_eq!(
        v["s"][0][1]["error"],
        json!({ "code": "QUERY_FN", "message": "rejected" })
    );
    assert_eq!(v["s"][0][1]["errorUpdatedAt"], json!(T0 + 1.0));
}
