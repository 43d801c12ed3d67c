//! Version conflicts (a 409/412): what each policy does with the server's current entity.
//! `merge` is a three-way field merge: base = the rollback snapshot, local = the patch,
//! server = the current entity; a field both sides changed differently is an overlap, and an
//! overlap falls back to `manual`.

use serde_json::Value;

use super::description::{ConflictInfo, Mutation, Policy};

/// What a conflict leads to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// `server-wins`: the layer goes and the promise rejects with CONFLICT.
    Reject,
    /// `client-wins`, or a `merge` without overlap: resent, based on this server version.
    Resend(Option<Value>),
    /// `manual`, or a `merge` with overlap: listed until `resolveConflict`.
    Manual(ConflictInfo),
}

impl Mutation {
    /// The policy's answer to the server's `current` entity, whose normalized record (relations
    /// as keys) is `server_rec`. `None` when the mutation has no subject to compare.
    pub fn resolve(&self, current: Value, server_rec: &Value) -> Option<Resolution> {
        let subject = self.subject.as_ref()?;
        let server_version = subject
            .version_field
            .as_ref()
            .and_then(|f| current.get(f))
            .cloned();
        let base = self
            .snapshot
            .get(&subject.key)
            .cloned()
            .unwrap_or(Value::Null);
        let overlap = subject.patch.iter().any(|(f, local)| {
            if subject.version_field.as_deref() == Some(f.as_str()) || f == "id" {
                return false;
            }
            let b = base.get(f).unwrap_or(&Value::Null);
            let s = server_rec.get(f).unwrap_or(&Value::Null);
            s != b && s != local
        });
        Some(match self.policy {
            Policy::ServerWins => Resolution::Reject,
            Policy::ClientWins => Resolution::Resend(server_version),
            Policy::Merge if !overlap => Resolution::Resend(server_version),
            Policy::Merge | Policy::Manual => Resolution::Manual(ConflictInfo {
                base,
                local: Value::Object(subject.patch.clone()),
                server: current,
            }),
        })
    }
}

/// The current entity in a conflict answer: `{ current: entity }` or the entity itself.
pub fn current_entity(body: &str) -> Option<Value> {
    let v = crate::core::json::parse(
        body,
        "the conflict answer",
        crate::core::json::Origin::Server,
    )
    .ok()?;
    match v.get("current") {
        Some(c) if c.is_object() => Some(c.clone()),
        _ if v.is_object() => Some(v),
        _ => None,
    }
}
