//! The benchmark data the native examples share (the same tasks, users and comments as
//! www/bench/peers/bench.mjs): `tasks(first, count, users, comments)` is the response text
//! `{"tasks":[...]}` of tasks `first..first + count`, each with an assignee among `users` users
//! and `comments` comments whose authors are users too. Not an example itself (no main.rs).

/// The entity types of that data, as `createStore` options.
pub const OPTIONS: &str = r#"{"entities":{"Task":{"relations":{"assignee":"User","comments":["Comment"]}},"User":{},"Comment":{"relations":{"author":"User"}}}}"#;

fn user(i: usize) -> String {
    format!(
        r#"{{"__typename":"User","id":{},"name":"User {}","email":"user{}@example.com"}}"#,
        i + 1,
        i + 1,
        i + 1
    )
}

pub fn tasks(first: usize, count: usize, users: usize, comments: usize) -> String {
    let mut text = String::from(r#"{"tasks":["#);
    for i in first..first + count {
        if i > first {
            text.push(',');
        }
        let list: Vec<String> = (0..comments)
            .map(|k| {
                format!(
                    r#"{{"__typename":"Comment","id":{},"text":"Comment {} on task {i}: looks good to me","author":{}}}"#,
                    i * comments + k,
                    k + 1,
                    user((i * 7 + k) % users)
                )
            })
            .collect();
        text.push_str(&format!(
            r#"{{"__typename":"Task","id":{i},"title":"Task {i}: do the thing number {i}","done":{},"priority":{},"assignee":{},"comments":[{}]}}"#,
            i % 3 == 0,
            i % 5,
            user(i % users),
            list.join(",")
        ));
    }
    text.push_str("]}");
    text
}
