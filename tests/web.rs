//! Browser tests of the wasm bindings (wasm-bindgen-test in headless Chromium):
//! `CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome`.
#![cfg(target_arch = "wasm32")]

use serde_json::{json, Value};
use strata::bindings::StoreCore;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const OPTIONS: &str = r#"{
  "name": "bindings-test", "persist": false,
  "entities": {
    "Todo": { "relations": { "assignee": "User", "comments": ["Comment"] }, "version": "version" },
    "User": {},
    "Comment": { "relations": { "author": "User" } }
  }
}"#;

fn store() -> StoreCore {
    StoreCore::new(OPTIONS).expect("valid options")
}

fn batch(text: String) -> Value {
    serde_json::from_str(&text).expect("a batch is JSON")
}

fn code(err: JsValue) -> String {
    assert!(
        err.is_instance_of::<js_sys::Error>(),
        "errors are JS Error objects"
    );
    js_sys::Reflect::get(&err, &JsValue::from_str("code"))
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_default()
}

fn sorted(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .expect("array")
        .iter()
        .map(|x| match x {
            Value::Array(pair) => pair[0].as_str().unwrap_or_default().to_owned(),
            other => other.as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    out.sort();
    out
}

fn seed(s: &StoreCore) {
    let todos = json!([
        { "id": 1, "title": "a", "assignee": { "id": "u1", "name": "Ann" },
          "comments": [{ "id": "c1", "text": "hi", "author": { "id": "u2", "name": "Bo" } }] },
        { "id": 2, "title": "b", "assignee": { "id": "u2", "name": "Bo" }, "comments": [] }
    ]);
    s.set_query_data(
        "[\"todos\"]",
        "[\"todos\"]",
        todos.to_string(),
        "[\"Todo\"]",
    )
    .expect("seed todos");
    s.set_query_data(
        "[\"todo\",1]",
        "[\"todo\",1]",
        todos[0].to_string(),
        "\"Todo\"",
    )
    .expect("seed todo 1");
    s.set_query_data(
        "[\"users\"]",
        "[\"users\"]",
        r#"[{"id":"u3","name":"Cy"}]"#.to_owned(),
        "[\"User\"]",
    )
    .expect("seed users");
}

#[wasm_bindgen_test]
fn a_write_returns_one_batch_with_records_and_query_results() {
    let s = store();
    let text = s
        .set_query_data(
            "[\"todos\"]",
            "[\"todos\"]",
            r#"[{"id":1,"assignee":{"id":"u1"}}]"#.to_owned(),
            "[\"Todo\"]",
        )
        .expect("write");
    let b = batch(text);
    assert_eq!(sorted(&b["e"]), vec!["Todo:1", "User:u1"]);
    assert_eq!(b["q"][0], json!(["[\"todos\"]", ["Todo"], ["Todo:1"]]));
    let todo = b["e"]
        .as_array()
        .and_then(|e| e.iter().find(|p| p[0] == "Todo:1"))
        .expect("todo record");
    assert_eq!(
        todo[1],
        json!({ "id": 1, "assignee": "User:u1" }),
        "relations hold keys"
    );
    assert_eq!(s.entity_count(), 2);
}

#[wasm_bindgen_test]
fn an_identical_write_reports_nothing() {
    let s = store();
    seed(&s);
    let again = s
        .set_query_data(
            "[\"users\"]",
            "[\"users\"]",
            r#"[{"id":"u3","name":"Cy"}]"#.to_owned(),
            "[\"User\"]",
        )
        .expect("write");
    let b = batch(again);
    for k in ["e", "d", "q", "dq", "s", "a"] {
        assert_eq!(b[k], json!([]), "{k} is empty");
    }
}

#[wasm_bindgen_test]
fn updating_a_shared_entity_reports_exactly_who_shows_it() {
    let s = store();
    seed(&s);
    let b = batch(
        s.update_entity("User", "\"u2\"", r#"{"name":"Bob"}"#)
            .expect("update"),
    );
    assert_eq!(sorted(&b["e"]), vec!["User:u2"]);
    // Bo assigns Todo 2 and wrote comment c1 on Todo 1.
    assert_eq!(sorted(&b["d"]), vec!["Comment:c1", "Todo:1", "Todo:2"]);
    assert_eq!(
        sorted(&b["dq"]),
        vec!["[\"todo\",1]", "[\"todos\"]"],
        "the users query is not reported"
    );
    let read: Value =
        serde_json::from_str(&s.read_query("[\"todos\"]").expect("query")).expect("json");
    assert_eq!(read[1]["assignee"]["name"], "Bob");
    assert_eq!(read[0]["comments"][0]["author"]["name"], "Bob");
}

#[wasm_bindgen_test]
fn bad_input_is_a_typed_js_error_and_the_instance_survives() {
    let s = store();
    seed(&s);
    let cases: [(&str, &str, &str, &str); 7] = [
        ("{}", "[]", "null", "INVALID_ARGUMENT"),
        ("[]", "[]", "null", "INVALID_ARGUMENT"),
        ("[\"x\"]", "\"text\"", "[\"Todo\"]", "SHAPE"),
        ("[\"x\"]", r#"[{"title":"no id"}]"#, "[\"Todo\"]", "SHAPE"),
        ("[\"x\"]", r#"{"id":true}"#, "\"Todo\"", "SHAPE"),
        ("[\"x\"]", r#"{"id":1}"#, "\"Ghost\"", "SHAPE"),
        ("[\"x\"]", "not json", "null", "INVALID_ARGUMENT"),
    ];
    for (key, data, shape, want) in cases {
        let err = s
            .set_query_data("x", key, data.to_owned(), shape)
            .expect_err(data);
        assert_eq!(code(err), want, "{key} {data} {shape}");
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        code(
            s.set_query_data("d", "[\"d\"]", deep, "null")
                .expect_err("deep")
        ),
        "INVALID_ARGUMENT"
    );
    assert_eq!(
        code(s.update_entity("Ghost", "1", "{}").expect_err("type")),
        "INVALID_ARGUMENT"
    );
    assert_eq!(
        code(s.update_entity("Todo", "1", "[]").expect_err("patch")),
        "INVALID_ARGUMENT"
    );
    // Nothing was written by the failures, and the instance still works.
    assert_eq!(s.read_query("x"), None);
    s.update_entity("Todo", "1", r#"{"title":"still alive"}"#)
        .expect("works");
    let read: Value =
        serde_json::from_str(&s.read_query("[\"todo\",1]").expect("q")).expect("json");
    assert_eq!(read["title"], "still alive");
}

#[wasm_bindgen_test]
fn unknown_options_are_refused_at_construction() {
    let err = StoreCore::new(r#"{"entites":{}}"#).err().expect("refused");
    assert_eq!(code(err), "INVALID_ARGUMENT");
    let err = StoreCore::new(r#"{"entities":{"A":{"relations":{"b":"B"}}}}"#)
        .err()
        .expect("refused");
    assert_eq!(code(err), "INVALID_ARGUMENT");
}
