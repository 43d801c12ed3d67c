//! The one-pass reader (`cache::ingest::read`) against the two-step path (`json::parse` then
//! `normalize`): whenever the reader takes a text, the two-step path must take it too and give
//! exactly the same records and result; the reader may only give up, never differ.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strata::core::cache::{ingest, normalize};
use strata::core::{json, Store};

const OPTIONS: &str = r#"{ "entities": {
    "Todo": { "relations": { "assignee": "User", "comments": ["Comment"] } },
    "User": { "relations": { "todos": ["Todo"] } },
    "Comment": { "relations": { "author": "User" } },
    "Book": { "id": "isbn" } } }"#;

const SHAPES: [&str; 5] = [
    r#""Todo""#,
    r#"["Todo"]"#,
    r#"{ "items": ["Todo"], "total": null }"#,
    "null",
    r#"["Book"]"#,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(store) = Store::from_options_json(OPTIONS) else { return };
    let schema = &store.config().schema;
    for shape_json in SHAPES {
        let Ok(shape) = store.parse_shape(shape_json) else { continue };
        let Some(one) = ingest::read(schema, &shape, text) else { continue };
        let value = json::parse(text, "data", json::Origin::App)
            .expect("the reader took a text the parser refuses");
        let two = normalize::normalize(schema, &shape, value)
            .expect("the reader took a text normalize refuses");
        assert_eq!(one.result, two.result, "result for shape {shape_json}");
        // The reader folds the copies of an entity as the cache does (the first copy's place
        // and id value stand, later fields win); fold the two-step list the same way.
        let mut folded: Vec<(String, serde_json::Map<String, serde_json::Value>)> = Vec::new();
        for (k, fields) in two.entities {
            let type_name = k.split_once(':').map_or(k.as_str(), |(t, _)| t);
            let id_field = schema.get(type_name).map(|t| t.id_field.clone());
            match folded.iter_mut().find(|(key, _)| *key == k) {
                Some((_, rec)) => {
                    for (f, v) in fields {
                        if Some(&f) != id_field.as_ref() || !rec.contains_key(&f) {
                            rec.insert(f, v);
                        }
                    }
                }
                None => folded.push((k, fields)),
            }
        }
        let render = |list: &[(String, serde_json::Map<String, serde_json::Value>)]| {
            list.iter()
                .map(|(k, r)| format!("{k}={}", serde_json::Value::Object(r.clone())))
                .collect::<Vec<_>>()
        };
        assert_eq!(render(&one.entities), render(&folded), "entities for shape {shape_json}");
    }
});
