//! Numbers come back exactly as JS wrote them, and JS and Rust build the same entity key for a
//! number id (issue 13, items 2 and 7).

use serde_json::{json, Value};

use super::*;
use crate::core::batch::to_json;

/// What `String(n)` gives in JS for the number JS holds after `JSON.parse(text)`.
const JS_KEYS: [(&str, &str); 14] = [
    ("123456789012345680000", "123456789012345680000"),
    ("12345678901234567890", "12345678901234567000"),
    ("9007199254740993", "9007199254740992"),
    ("1e21", "1e+21"),
    ("1.5e-7", "1.5e-7"),
    ("0.000001", "0.000001"),
    ("0.1", "0.1"),
    ("-0", "0"),
    ("1e3", "1000"),
    ("1.0", "1"),
    ("-12.5", "-12.5"),
    ("123.456", "123.456"),
    ("1.7976931348623157e308", "1.7976931348623157e+308"),
    ("5e-324", "5e-324"),
];

#[test]
fn number_ids_get_the_key_js_builds() {
    for (text, js) in JS_KEYS {
        let mut s = store();
        let out = s
            .update_entity("Todo", text, r#"{"title":"x"}"#, 0.0)
            .unwrap_or_else(|e| panic!("update_entity({text}): {e}"));
        assert_eq!(
            out.changes.written_entities,
            vec![format!("Todo:{js}")],
            "id {text}"
        );
        assert!(s.entity(&format!("Todo:{js}")).is_some(), "id {text}");
    }
}

/// `n` finite doubles from random bits (every exponent, subnormals included).
fn random_doubles(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut values = Vec::new();
    while values.len() < n {
        let f = f64::from_bits(rng.next());
        if f.is_finite() {
            values.push(f);
        }
    }
    values
}

#[test]
fn random_doubles_come_back_exactly() {
    let mut values = random_doubles(13, 10_000);
    values.extend([0.10611993414222443, 123456789012345680000.0, -0.0, 5e-324]);
    let data = Value::Array(values.iter().map(|f| json!(f)).collect());
    let text = data.to_string();
    let mut s = store();
    let out = s
        .set_query_data("n", &key_for("n"), &text, "null", 0.0)
        .expect("set_query_data");
    // What the core keeps, and what the batch hands to JS, are the same doubles, bit for bit.
    let kept = s.query("n").expect("query").result.clone();
    let batch: Value = serde_json::from_str(&to_json(&s, &out.changes, 0)).expect("batch");
    let sent = batch["q"][0][2].clone();
    for (i, want) in values.iter().enumerate() {
        for (what, v) in [("kept", &kept), ("sent", &sent)] {
            let got = v[i].as_f64().unwrap_or(f64::NAN);
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{what} #{i}: {want:e} came back as {got:e}"
            );
        }
    }
}

#[test]
fn minus_zero_reads_the_same_on_both_paths() {
    let text = r#"{"id":1,"x":-0,"y":[-0,0]}"#;
    let s = store();
    let shape = crate::core::shape::Shape::Entity("Todo".to_owned());
    let one = crate::core::cache::ingest::read(&s.config().schema, &shape, text)
        .expect("the one-pass reader takes it");
    let v: Value = serde_json::from_str(text).expect("json");
    let two =
        crate::core::cache::normalize::normalize(&s.config().schema, &shape, v).expect("normalize");
    let rec =
        |n: &crate::core::cache::normalize::Normalized| Value::Object(n.entities[0].1.to_map());
    assert_eq!(rec(&one).to_string(), rec(&two).to_string());
    assert_eq!(
        rec(&one)["x"].to_string(),
        "-0.0",
        "-0 stays negative, as JSON.parse keeps it"
    );
}

#[test]
fn a_raw_tab_in_a_key_is_not_json_on_either_path() {
    let text = "{\"id\":1,\"title\t\":\"x\"}";
    let s = store();
    let shape = crate::core::shape::Shape::Entity("Todo".to_owned());
    assert!(crate::core::cache::ingest::read(&s.config().schema, &shape, text).is_none());
    let mut s = store();
    let r = s.set_query_data("t", &key_for("t"), text, r#""Todo""#, 0.0);
    expect_err(r, "INVALID_ARGUMENT");
    assert!(s.entity("Todo:1").is_none(), "nothing written");
}

#[test]
fn lists_in_records_come_back_exactly_on_every_path() {
    // A record's list fields are lists of cells: numbers of every kind, strings short and long,
    // escapes, nested lists, objects and nulls read back as written, through the one-pass
    // reader, the two-step path, the batch and a cold start from the cache delta.
    let doubles: Vec<Value> = random_doubles(16, 200)
        .into_iter()
        .map(|f| json!(f))
        .collect();
    let todo = json!({
        "id": 1,
        "title": "t",
        "comments": [{ "id": "c1" }, null, { "id": "a-comment-key-longer-than-fourteen" }],
        "tags": [1, 1.0, -0.0, -7, 18446744073709551615u64, "s", "fifteen bytes..", "é\n\"",
                 [], [[null, true]], { "k": [1, "x"] }],
        "doubles": doubles,
    });
    let text = todo.to_string();
    let want = json!({
        "id": 1,
        "title": "t",
        "comments": ["Comment:c1", "Comment:a-comment-key-longer-than-fourteen"],
        "tags": todo["tags"],
        "doubles": todo["doubles"],
    });
    let shape = crate::core::shape::Shape::Entity("Todo".to_owned());
    let s = store();
    let one = crate::core::cache::ingest::read(&s.config().schema, &shape, &text)
        .expect("the one-pass reader takes it");
    let two = crate::core::cache::normalize::normalize(&s.config().schema, &shape, todo.clone())
        .expect("normalize");
    let row = |n: &crate::core::cache::normalize::Normalized| {
        n.entities
            .iter()
            .find(|(k, _)| k == "Todo:1")
            .map(|(_, r)| r.clone())
    };
    assert_eq!(row(&one), row(&two), "both paths give the same cells");
    let mut s = store();
    let out = s
        .set_query_data("t", &key_for("t"), &text, r#""Todo""#, 0.0)
        .expect("set_query_data");
    let batch: Value = serde_json::from_str(&to_json(&s, &out.changes, 0)).expect("batch");
    let sent = batch["e"]
        .as_array()
        .and_then(|e| e.iter().find(|p| p[0] == "Todo:1"))
        .map(|p| p[1].clone());
    assert_eq!(sent.as_ref().map(Value::to_string), Some(want.to_string()));
    // A cold start: the delta read back into a fresh store by the delta reader.
    let delta = s.take_cache_delta();
    let mut cold = store();
    cold.apply_cache(&delta, true, 0.0).expect("apply_cache");
    assert_eq!(record(&cold, "Todo:1").to_string(), want.to_string());
    assert_eq!(cold.entity("Todo:1"), s.entity("Todo:1"), "the same cells");
}
