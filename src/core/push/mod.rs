//! The pushes part: server push messages (message.rs reads them) and the echoes held back.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | `Pushes` (the part's state): echoes of our own pending mutations, held until they settle |
//! | `message.rs` | the message format read into `Op`s, checked whole before anything applies |
//!
//! A push is server truth: the store writes it into the cache's base, under the optimistic
//! layers (store/pushes.rs), ordered by the cache's guard (cache/guard.rs). An **echo** (a
//! push carrying the Idempotency-Key of one of our own mutations still pending) is held here
//! and applied in the same call that settles that mutation, so the write lands once and the
//! UI moves once. Tests: src/core/tests/pushes.rs.

pub mod message;

pub use message::Op;

/// Echoes held back, in arrival order.
#[derive(Debug, Default)]
pub struct Pushes {
    held: Vec<(String, Op)>,
}

impl Pushes {
    /// Holds `op` until mutation `id` is no longer pending.
    pub fn hold(&mut self, id: &str, op: Op) {
        self.held.push((id.to_owned(), op));
    }

    pub fn holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// The held ops whose mutation `pending(id)` no longer is, in arrival order.
    pub fn release(&mut self, pending: impl Fn(&str) -> bool) -> Vec<Op> {
        let (keep, out): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|(id, _)| pending(id));
        self.held = keep;
        out.into_iter().map(|(_, op)| op).collect()
    }

    /// `clear()`: nothing is held for mutations that are gone.
    pub fn clear(&mut self) {
        self.held.clear();
    }
}
