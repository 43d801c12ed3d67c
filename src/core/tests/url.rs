//! Request urls: `baseUrl` + relative url as a string; absolute urls are used as they are.

use super::support::queries::*;
use crate::core::url::resolve;

#[test]
fn a_relative_url_is_appended_to_the_base() {
    assert_eq!(resolve("/api", "/todos"), "/api/todos");
    assert_eq!(resolve("/api", "/todos?page=2"), "/api/todos?page=2");
    assert_eq!(
        resolve("https://api.example.com", "/todos/1"),
        "https://api.example.com/todos/1"
    );
}

#[test]
fn an_empty_base_leaves_the_url_alone() {
    assert_eq!(resolve("", "/todos"), "/todos");
    assert_eq!(resolve("", "todos"), "todos");
}

#[test]
fn absolute_urls_are_unchanged() {
    for url in [
        "http://example.com/todos",
        "https://example.com/todos",
        "HTTPS://EXAMPLE.COM/todos",
        "//cdn.example.com/todos",
        "data:application/json,[]",
        "blob:https://example.com/1234",
        "git+ssh://host/x",
    ] {
        assert_eq!(resolve("/api", url), url, "{url} is absolute");
        assert_eq!(
            resolve("https://api.example.com", url),
            url,
            "{url} is absolute"
        );
    }
}

#[test]
fn a_colon_outside_a_scheme_does_not_make_a_url_absolute() {
    // Not a scheme: starts with a non-letter, or holds characters a scheme cannot.
    assert_eq!(resolve("/api", "/todos/a:b"), "/api/todos/a:b");
    assert_eq!(resolve("/api", "/search?q=a:b"), "/api/search?q=a:b");
    assert_eq!(resolve("/api", "?q=a:b"), "/api?q=a:b");
    assert_eq!(resolve("/api", "./a:b"), "/api./a:b");
    assert_eq!(resolve("/api", "todos/x:y"), "/apitodos/x:y");
    assert_eq!(resolve("/api", "1x:y"), "/api1x:y");
    assert_eq!(resolve("/api", ":y"), "/api:y");
    // A single slash is a path, not a protocol-relative url.
    assert_eq!(resolve("/api", "/"), "/api/");
}

fn fetch_url(base: &str, url: &str) -> Option<String> {
    let mut s = store_from(json!({ "baseUrl": base }));
    let out = observe(&mut s, "q", json!({ "url": url }), 1000.0);
    match out.actions.as_slice() {
        [Action::Fetch { url, .. }] => url.clone(),
        other => panic!("expected one Fetch action, got {other:?}"),
    }
}

#[test]
fn query_urls_are_resolved_against_the_base_url() {
    assert_eq!(fetch_url("/api", "/todos").as_deref(), Some("/api/todos"));
    assert_eq!(
        fetch_url("https://api.example.com", "/todos").as_deref(),
        Some("https://api.example.com/todos")
    );
    assert_eq!(
        fetch_url("/api", "https://other.example.com/x").as_deref(),
        Some("https://other.example.com/x")
    );
    assert_eq!(
        fetch_url("/api", "//cdn.example.com/x").as_deref(),
        Some("//cdn.example.com/x")
    );
    assert_eq!(fetch_url("", "/todos").as_deref(), Some("/todos"));
}

#[test]
fn fetch_query_urls_are_resolved_too() {
    let mut s = store_from(json!({ "baseUrl": "/api" }));
    let out = fetch_query(&mut s, "q", json!({ "url": "/todos" }), 1000.0);
    match out.actions.as_slice() {
        [Action::Fetch { url, .. }] => assert_eq!(url.as_deref(), Some("/api/todos")),
        other => panic!("expected one Fetch action, got {other:?}"),
    }
}

#[test]
fn an_empty_or_non_string_url_is_refused() {
    let mut s = store();
    for opts in [
        json!({ "url": "" }),
        json!({ "url": 5 }),
        json!({ "url": true }),
    ] {
        expect_err(
            s.observe("q", &key_for("q"), &opts.to_string(), 1000.0),
            "INVALID_ARGUMENT",
        );
    }
    expect_err(
        s.observe(
            "q",
            &key_for("q"),
            &json!({ "url": "/x", "queryFn": true }).to_string(),
            1000.0,
        ),
        "INVALID_ARGUMENT",
    );
}
