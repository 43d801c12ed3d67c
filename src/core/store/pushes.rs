//! Server pushes: messages from the connection written into the base, under the optimistic
//! layers (a push is server truth, like a response).

use super::Store;
use crate::core::cache::guard::Order;
use crate::core::error::ErrorInfo;
use crate::core::output::{Output, PushReport};
use crate::core::push::{message, Op};

impl Store {
    /// Applies push messages (each one JSON text), in order. A message is read whole before
    /// any of it applies: a bad one is reported in `out.pushes` and changes nothing; the
    /// others apply. One call for a whole batch of messages.
    pub fn apply_pushes(&mut self, texts: &[&str], now: f64) -> Output {
        self.run_ok(now, |s, out| {
            let mut report = PushReport::default();
            for (i, text) in texts.iter().enumerate() {
                match message::read(&s.config.schema, text) {
                    Ok(m) => {
                        if m.event_id.is_some() {
                            report.event_id = m.event_id;
                        }
                        for (key, op) in m.ops {
                            s.push_op(key.as_deref(), op, now, out);
                        }
                    }
                    Err(e) => {
                        if let Some(id) = message::event_id_of(text) {
                            report.event_id = Some(id);
                        }
                        report.rejected.push((i, ErrorInfo::from_error(&e)));
                    }
                }
            }
            out.pushes = Some(report);
        })
    }

    /// One op: held when it echoes one of our pending mutations, applied otherwise.
    fn push_op(&mut self, key: Option<&str>, op: Op, now: f64, out: &mut Output) {
        if let Some(id) = key.and_then(|k| self.queue.pending_with_key(k)) {
            let id = id.to_owned();
            self.pushes.hold(&id, op);
            return;
        }
        self.apply_op(op, now, out);
    }

    fn apply_op(&mut self, op: Op, now: f64, out: &mut Output) {
        match op {
            Op::Upsert(records) => self.write_base(records, Order::Push),
            Op::Delete(key) => {
                let layers = self.queue.active_layers();
                self.cache.delete_base(&key, &layers);
            }
            Op::Invalidate(prefix) => self.invalidate_prefix(&prefix, now, out),
        }
    }

    /// Echoes whose mutation settled (or failed, or left) apply now, in the call that
    /// settled it (run by `run` before the finish step).
    pub(super) fn release_echoes(&mut self, now: f64, out: &mut Output) {
        if !self.pushes.holding() {
            return;
        }
        let queue = &self.queue;
        let ops = self
            .pushes
            .release(|id| queue.get(id).is_some_and(|m| m.pending()));
        for op in ops {
            self.apply_op(op, now, out);
        }
    }
}
