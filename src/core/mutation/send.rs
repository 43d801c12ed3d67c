//! The request a mutation attempt sends: its own request plus the Idempotency-Key (the same
//! on every attempt), `If-Match` with the subject's base version, and that version added to a
//! JSON object body. After a bodiless conflict the attempt is the GET of the current entity.

use serde_json::{Map, Value};

use super::description::Mutation;
use crate::core::output::Action;

impl Mutation {
    /// The `Send` action of attempt `ticket`.
    pub fn send_action(&self, ticket: u64) -> Action {
        let (method, body) = if self.reading_current {
            ("GET".to_owned(), None)
        } else {
            (self.request.method.clone(), self.body_text())
        };
        let mut headers: Map<String, Value> = self.request.headers.clone();
        // The same key on every attempt: a replay after a lost answer is applied once.
        headers.insert(
            "Idempotency-Key".into(),
            Value::String(self.idempotency_key()),
        );
        if !self.reading_current {
            if let Some(v) = &self.base_version {
                headers.insert(
                    "If-Match".into(),
                    Value::String(format!("\"{}\"", version_text(v))),
                );
            }
            if body.is_some() {
                headers.insert(
                    "Content-Type".into(),
                    Value::String("application/json".into()),
                );
            }
        }
        Action::Send {
            id: self.id.clone(),
            ticket,
            method,
            url: self.request.url.clone(),
            headers,
            body,
            timeout: self.timeout,
        }
    }

    /// The request body with the subject's base version added when the body is a JSON object
    /// (a resend after a conflict carries the server's version).
    fn body_text(&self) -> Option<String> {
        let mut body = self.request.body.clone()?;
        if let (Some(v), Some(subject), Value::Object(o)) =
            (&self.base_version, &self.subject, &mut body)
        {
            if let Some(f) = &subject.version_field {
                o.insert(f.clone(), v.clone());
            }
        }
        Some(body.to_string())
    }
}

fn version_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
