//! `createStore` options: every option of the design is accepted, unknown names are refused.

use serde_json::{json, Value};

use super::*;
use crate::core::config::{Defaults, Persist};

fn create(options: Value) -> Result<Store> {
    Store::from_options_json(&options.to_string())
}

#[track_caller]
fn refused(options: Value, mentions: &str) {
    let e = expect_err(create(options.clone()), "INVALID_ARGUMENT");
    assert!(
        e.to_string().contains(mentions),
        "options {options}: message `{e}` should mention `{mentions}`"
    );
}

#[test]
fn empty_options_give_the_defaults() {
    let s = create(json!({})).unwrap();
    let c = s.config();
    assert_eq!(c.name, "strata");
    assert_eq!(c.base_url, "");
    assert_eq!(
        c.persist,
        Persist::On {
            buster: None,
            max_age: None,
            version: 0,
            migrate: false,
        }
    );
    assert_eq!(c.defaults, Defaults::default());
    assert_eq!(c.defaults.stale_time, 0.0);
    assert_eq!(c.defaults.gc_time, 300_000.0);
    assert_eq!(c.defaults.retry, 3);
    assert_eq!(c.defaults.retry_delay, 1000.0);
    assert_eq!(c.defaults.timeout, 30_000.0);
    assert!(c.defaults.refetch_on_window_focus);
    assert!(c.defaults.refetch_on_reconnect);
    assert_eq!(s.entity_count(), 0);
}

#[test]
fn every_option_of_the_design_is_accepted() {
    let s = create(json!({
        "name": "app",
        "persist": { "buster": "v2", "maxAge": 86_400_000 },
        "baseUrl": "https://api.example.com",
        "headers": { "Authorization": "Bearer x" },
        "entities": entities(),
        "defaults": {
            "staleTime": 5000,
            "gcTime": 60_000,
            "retry": 5,
            "retryDelay": 250,
            "timeout": 10_000,
            "refetchOnWindowFocus": false,
            "refetchOnReconnect": false
        },
        "onError": null
    }))
    .unwrap();
    let c = s.config();
    assert_eq!(c.name, "app");
    assert_eq!(c.base_url, "https://api.example.com");
    assert_eq!(
        c.persist,
        Persist::On {
            buster: Some("v2".to_owned()),
            max_age: Some(86_400_000.0),
            version: 0,
            migrate: false,
        }
    );
    assert_eq!(
        c.defaults,
        Defaults {
            stale_time: 5000.0,
            gc_time: 60_000.0,
            retry: 5,
            retry_delay: 250.0,
            timeout: 10_000.0,
            refetch_on_window_focus: false,
            refetch_on_reconnect: false,
        }
    );
    assert_eq!(c.schema.get("Book").unwrap().id_field, "isbn");
    assert!(c.schema.get("Todo").unwrap().relation("assignee").is_some());
}

#[test]
fn persist_forms() {
    let off = create(json!({ "persist": false })).unwrap();
    assert_eq!(off.config().persist, Persist::Off);
    let on = create(json!({ "persist": true })).unwrap();
    assert_eq!(
        on.config().persist,
        Persist::On {
            buster: None,
            max_age: None,
            version: 0,
            migrate: false,
        }
    );
    let partial = create(json!({ "persist": { "buster": "b" } })).unwrap();
    assert_eq!(
        partial.config().persist,
        Persist::On {
            buster: Some("b".to_owned()),
            max_age: None,
            version: 0,
            migrate: false,
        }
    );
    let empty = create(json!({ "persist": {} })).unwrap();
    assert_eq!(
        empty.config().persist,
        Persist::On {
            buster: None,
            max_age: None,
            version: 0,
            migrate: false,
        }
    );
    let inf = create(json!({ "persist": { "maxAge": "Infinity" } })).unwrap();
    assert_eq!(
        inf.config().persist,
        Persist::On {
            buster: None,
            max_age: Some(f64::INFINITY),
            version: 0,
            migrate: false,
        }
    );

    refused(json!({ "persist": "yes" }), "persist");
    refused(json!({ "persist": 1 }), "persist");
    refused(json!({ "persist": null }), "persist");
    // `version` (and `migrate`, which the wrapper sends as true) are options since issue 13.
    refused(json!({ "persist": { "versions": 1 } }), "versions");
    refused(json!({ "persist": { "version": -1 } }), "persist.version");
    refused(json!({ "persist": { "version": 1.5 } }), "persist.version");
    refused(json!({ "persist": { "migrate": 5 } }), "persist.migrate");
    refused(json!({ "persist": { "buster": 1 } }), "persist.buster");
    refused(json!({ "persist": { "maxAge": -1 } }), "persist.maxAge");
}

#[test]
fn function_valued_options_are_accepted_whatever_they_hold() {
    for v in [json!(null), json!({}), json!("fn"), json!(true)] {
        create(json!({ "headers": v, "onError": v })).unwrap();
    }
}

#[test]
fn infinity_is_accepted_for_every_duration() {
    let s = create(json!({
        "defaults": { "staleTime": "Infinity", "gcTime": "Infinity", "retryDelay": "Infinity", "timeout": "Infinity" }
    }))
    .unwrap();
    let d = &s.config().defaults;
    assert_eq!(d.stale_time, f64::INFINITY);
    assert_eq!(d.gc_time, f64::INFINITY);
    assert_eq!(d.retry_delay, f64::INFINITY);
    assert_eq!(d.timeout, f64::INFINITY);
}

#[test]
fn bad_durations_are_refused() {
    for key in ["staleTime", "gcTime", "retryDelay", "timeout"] {
        for v in [
            json!(-1),
            json!("infinity"),
            json!("1000"),
            json!(null),
            json!(true),
            json!([1]),
        ] {
            refused(
                json!({ "defaults": { key: v } }),
                &format!("defaults.{key}"),
            );
        }
    }
    // Zero and fractions are fine.
    let s = create(json!({ "defaults": { "staleTime": 0, "gcTime": 0.5 } })).unwrap();
    assert_eq!(s.config().defaults.gc_time, 0.5);
}

#[test]
fn retry_is_a_count_or_a_boolean() {
    assert_eq!(
        create(json!({ "defaults": { "retry": true } }))
            .unwrap()
            .config()
            .defaults
            .retry,
        3
    );
    assert_eq!(
        create(json!({ "defaults": { "retry": false } }))
            .unwrap()
            .config()
            .defaults
            .retry,
        0
    );
    assert_eq!(
        create(json!({ "defaults": { "retry": 0 } }))
            .unwrap()
            .config()
            .defaults
            .retry,
        0
    );
    assert_eq!(
        create(json!({ "defaults": { "retry": 10 } }))
            .unwrap()
            .config()
            .defaults
            .retry,
        10
    );
    for v in [
        json!(-1),
        json!(1.5),
        json!("3"),
        json!(null),
        json!(5_000_000_000u64),
    ] {
        refused(json!({ "defaults": { "retry": v } }), "defaults.retry");
    }
}

#[test]
fn refetch_flags_must_be_booleans() {
    refused(
        json!({ "defaults": { "refetchOnWindowFocus": 1 } }),
        "defaults.refetchOnWindowFocus",
    );
    refused(
        json!({ "defaults": { "refetchOnReconnect": "yes" } }),
        "defaults.refetchOnReconnect",
    );
}

#[test]
fn unknown_options_are_refused() {
    refused(json!({ "entites": {} }), "entites");
    refused(json!({ "cache": true }), "cache");
    refused(json!({ "defaults": { "stale": 1 } }), "defaults.stale");
    refused(
        json!({ "defaults": { "cacheTime": 1 } }),
        "defaults.cacheTime",
    );
    refused(json!({ "defaults": 5 }), "defaults");
    // `defaults: null` means no overrides.
    assert_eq!(
        create(json!({ "defaults": null }))
            .unwrap()
            .config()
            .defaults,
        Defaults::default()
    );
}

#[test]
fn options_must_be_a_json_object() {
    for text in ["[]", "null", "\"x\"", "5", "not json", ""] {
        expect_err(Store::from_options_json(text), "INVALID_ARGUMENT");
    }
}

#[test]
fn name_and_base_url_must_be_strings_and_name_non_empty() {
    refused(json!({ "name": "" }), "name");
    refused(json!({ "name": 1 }), "name");
    refused(json!({ "baseUrl": null }), "baseUrl");
}

#[test]
fn entity_definitions_are_validated() {
    // Accepted forms.
    let s = create(json!({ "entities": {
        "A": null,
        "B": {},
        "C": { "id": "key", "version": "rev", "relations": { "a": "A", "bs": ["B"], "self": "C" } }
    } }))
    .unwrap();
    let c = s.config().schema.get("C").unwrap();
    assert_eq!(c.id_field, "key");
    assert_eq!(c.version_field.as_deref(), Some("rev"));
    assert_eq!(
        c.relation("bs").map(|r| (r.target.as_str(), r.many)),
        Some(("B", true))
    );
    assert_eq!(
        c.relation("a").map(|r| (r.target.as_str(), r.many)),
        Some(("A", false))
    );
    assert_eq!(s.config().schema.get("A").unwrap().id_field, "id");

    refused(json!({ "entities": [] }), "entities");
    refused(json!({ "entities": { "A:B": {} } }), "A:B");
    refused(json!({ "entities": { "": {} } }), "must be non-empty");
    refused(json!({ "entities": { "A": "id" } }), "A");
    refused(json!({ "entities": { "A": { "key": "id" } } }), "key");
    refused(json!({ "entities": { "A": { "id": 1 } } }), "id");
    refused(json!({ "entities": { "A": { "id": "" } } }), "id");
    refused(
        json!({ "entities": { "A": { "relations": [] } } }),
        "relations",
    );
    refused(
        json!({ "entities": { "A": { "relations": { "x": ["A", "A"] } } } }),
        "A.x",
    );
    refused(
        json!({ "entities": { "A": { "relations": { "x": [] } } } }),
        "A.x",
    );
    refused(
        json!({ "entities": { "A": { "relations": { "x": 1 } } } }),
        "A.x",
    );
    refused(
        json!({ "entities": { "A": { "relations": { "id": "A" } } } }),
        "id",
    );
    refused(
        json!({ "entities": { "A": { "id": "k", "relations": { "k": ["A"] } } } }),
        "k",
    );
    for reserved in ["__proto__", "constructor", "prototype"] {
        refused(json!({ "entities": { "A": { "id": reserved } } }), reserved);
        refused(
            json!({ "entities": { "A": { "version": reserved } } }),
            reserved,
        );
        refused(
            json!({ "entities": { "A": { "relations": { reserved: "A" } } } }),
            reserved,
        );
    }
}

#[test]
fn a_store_without_entities_still_caches_plain_queries() {
    let mut s = create(json!({ "name": "plain" })).unwrap();
    set(&mut s, "q", json!({ "a": [1, 2] }), json!(null));
    assert_eq!(read(&s, "q"), json!({ "a": [1, 2] }));
    expect_err(try_set(&mut s, "q2", "{\"id\": 1}", "\"Todo\""), "SHAPE");
}
