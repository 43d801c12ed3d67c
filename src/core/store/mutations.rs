//! Mutation use cases: optimistic layers applied at once, requests sent one at a time in
//! order, and every outcome of DESIGN.md section 5 (settle, retry, fail, auth pause, the four
//! conflict policies, temporary ids). The queue decides its own state; this file adds what
//! crosses into the cache (layers on and off, a settled layer committed, the response
//! written) and the queries (`invalidate`).

use serde_json::Value;

use super::{Source, Store};
use crate::core::cache::guard::Order;
use crate::core::cache::normalize::normalize;
use crate::core::error::{Error, ErrorInfo, Result};
use crate::core::json::{self, Origin};
use crate::core::key::{entity_key, id_string, type_of};
use crate::core::mutation::conflict::{current_entity, Resolution};
use crate::core::mutation::description::{MStatus, Mutation};
use crate::core::mutation::is_temp_id;
use crate::core::output::{Output, Settle};
use crate::core::retry;
use crate::core::shape::Shape;

impl Store {
    /// `mutate(description)`: applies the optimistic layer (observers see it in this call's
    /// batch) and queues the request.
    pub fn mutate(&mut self, id: &str, desc_json: &str, now: f64) -> Result<Output> {
        let v = json::parse(desc_json, "mutation", Origin::App)?;
        if self.queue.get(id).is_some() {
            return Err(Error::InvalidArgument(format!(
                "mutation `{id}` is already queued"
            )));
        }
        let mut m = Mutation::from_json(
            id,
            &v,
            &self.config.schema,
            &self.config.defaults,
            &self.config.base_url,
            now,
        )?;
        if let Some((key, tmp)) = &m.layer.created {
            if let Some(other) = self.queue.creator_of(key, id).filter(|_| is_temp_id(tmp)) {
                return Err(Error::InvalidArgument(format!(
                    "the temporary id {tmp} is already the id of mutation `{other}`'s insert; make one per insert with store.tempId()"
                )));
            }
        }
        self.run(now, Source::Here, |s, out| {
            m.created_at = s.queue.next_created_at(now);
            s.enqueue(m, now, out);
            Ok(())
        })
    }

    /// Puts a mutation at the back of the queue with its layer applied, and sends if it can.
    /// When the store persists, it is not sent (nor reported as queued) before its record is
    /// durable (`persisted`).
    fn enqueue(&mut self, mut m: Mutation, now: f64, out: &mut Output) {
        m.capture(|k| self.cache.base_record(k));
        let id = m.id.clone();
        self.sync.mark(&id);
        self.queue.push(m, self.sync.persisting());
        self.set_layered(&id, true);
        self.pump(now, out);
    }

    /// Shows or hides mutation `id`'s layer.
    pub(super) fn set_layered(&mut self, id: &str, on: bool) {
        if let Some((keys, hashes)) = self.queue.set_layered(id, on) {
            self.relayer(&keys, &hashes);
        }
    }

    /// Sends the next queued mutation if it is due.
    pub(super) fn pump(&mut self, now: f64, out: &mut Output) {
        out.actions.extend(self.queue.pump(now, self.online));
    }

    /// A mutation's request ended. Answers of superseded attempts are dropped.
    pub fn settle_mutation(
        &mut self,
        id: &str,
        ticket: u64,
        result: Settle,
        now: f64,
        random: f64,
    ) -> Output {
        self.run_ok(now, |s, out| {
            if !s.queue.is_current(id, ticket) {
                return;
            }
            s.sync.mark(id);
            s.answer(id, result, now, random, out);
            s.pump(now, out);
        })
    }

    fn answer(&mut self, id: &str, result: Settle, now: f64, random: f64, out: &mut Output) {
        let Some(m) = self.queue.get(id) else { return };
        let (method, url) = (m.request.method.clone(), m.request.url.clone());
        match result {
            // The GET of the current entity after a bodiless conflict: 401 pauses and 5xx
            // retries like any request; an answer drives the policy.
            Settle::Http { status, body, .. }
                if m.reading_current && status != 401 && !retry::retryable_status(status) =>
            {
                self.queue.read_current(id, false);
                let ok = (200..300).contains(&status);
                let current = ok.then(|| current_entity(&body)).flatten();
                self.conflict(id, current, out);
            }
            Settle::Http { status, body, .. } if (200..300).contains(&status) => {
                self.succeed(id, &body, now, out)
            }
            Settle::Http {
                status: 401, body, ..
            } => self.queue.pause_for_auth(id, body),
            Settle::Http {
                status: 409 | 412,
                body,
                ..
            } => match current_entity(&body) {
                Some(c) => self.conflict(id, Some(c), out),
                // No current entity in the answer: read it with GET request.url.
                None => self.queue.read_current(id, true),
            },
            Settle::Http {
                status,
                body,
                retry_after,
            } => {
                let mut e = ErrorInfo::http(status, &url, body);
                e.message = format!("{method} {url} answered {status}");
                let ra = retry_after.as_deref().and_then(retry::parse_retry_after);
                self.retry_or_fail(id, e, ra, now, random, out);
            }
            Settle::Failed(e) if e.code == "NETWORK" => {
                self.queue.wait_for_network(id, e, now, random)
            }
            // Not sent: the app's `headers()` threw. It waits like a 401 does.
            Settle::Failed(e) if e.code == "AUTH" => self.queue.pause(id, e),
            Settle::Failed(e) => self.retry_or_fail(id, e, None, now, random, out),
        }
    }

    fn retry_or_fail(
        &mut self,
        id: &str,
        e: ErrorInfo,
        retry_after: Option<f64>,
        now: f64,
        random: f64,
        out: &mut Output,
    ) {
        if let Err(e) = self.queue.retry_later(id, e, retry_after, now, random) {
            self.fail_mutation(id, e, out);
        }
    }

    /// The server said no: the layer goes at once; the entry stays listed as failed, and what
    /// depends on its temporary id fails with it.
    pub(super) fn fail_mutation(&mut self, id: &str, e: ErrorInfo, out: &mut Output) {
        self.sync.mark(id);
        self.set_layered(id, false);
        self.queue.fail(id, e.clone());
        out.settled.push((id.to_owned(), Err(e)));
        let created = self
            .queue
            .get(id)
            .and_then(|m| m.layer.created.as_ref().map(|(k, _)| k.clone()));
        if let Some(key) = created {
            self.fail_dependents(&key, out);
        }
    }

    /// Fails every queued mutation that names the temporary entity `key` (whose insert failed
    /// or was discarded).
    fn fail_dependents(&mut self, key: &str, out: &mut Output) {
        let temp = crate::core::mutation::temp_id_text(key).to_owned();
        for id in self.queue.dependents_of(key) {
            let e = ErrorInfo::new(
                "CONFLICT",
                format!("this mutation uses the temporary id {temp}, whose insert failed or was discarded"),
            );
            self.fail_mutation(&id, e, out);
        }
    }

    /// A 2xx: the ops are committed into the base, the layer goes (the visible state does not
    /// move), a temporary id becomes the real one, the response is written through `shape`,
    /// and `invalidate` keys are invalidated.
    fn succeed(&mut self, id: &str, body: &str, now: f64, out: &mut Output) {
        let Some(m) = self.queue.take(id) else {
            return;
        };
        let order = self.send_order(id);
        let sent = match order {
            Order::Since(mark) => Some(mark),
            _ => None,
        };
        self.cache.commit(&m.layer, sent);
        let keys: Vec<String> = m.layer.writes.iter().map(|(k, _)| k.clone()).collect();
        let hashes: Vec<String> = m.layer.inserts.iter().map(|i| i.hash.clone()).collect();
        self.relayer(&keys, &hashes);
        self.queue.synced(now);

        let parsed = if body.trim().is_empty() {
            Ok(Value::Null)
        } else {
            let what = format!("the response of {} {}", m.request.method, m.request.url);
            json::parse(body, &what, Origin::Server)
        };
        if let Ok(v) = &parsed {
            self.adopt_real_id(&m, v);
        }
        let result = parsed.and_then(|v| match &m.shape {
            Some(shape) if !v.is_null() => self.write_response(shape, v, order),
            _ => Ok(v),
        });
        self.rebase_versions(&m);
        for key in &m.invalidate {
            self.invalidate_prefix(key, now, out);
        }
        let result = result.map_err(|e| ErrorInfo::from_error(&e));
        out.settled.push((m.id.clone(), result));
    }

    /// The real id of an inserted entity: the root entity of the response read through
    /// `shape`. Every reference to the temporary id is rewritten.
    fn adopt_real_id(&mut self, m: &Mutation, response: &Value) {
        let (Some(Shape::Entity(t)), Some((temp_key, tmp))) = (&m.shape, &m.layer.created) else {
            return;
        };
        if !is_temp_id(tmp) {
            return; // the app's own id: the server keeps it
        }
        let Some(ty) = self.config.schema.get(t) else {
            return;
        };
        let Some(real) = response
            .get(&ty.id_field)
            .filter(|id| id_string(id).is_some())
        else {
            return;
        };
        let real_key = entity_key(t, &id_string(real).unwrap_or_default());
        // A response naming an entity the mutation updated is not the inserted one.
        let other_write = m.layer.writes.iter().any(|(k, _)| *k == real_key);
        if &real_key == temp_key || type_of(temp_key) != t || other_write {
            return;
        }
        let id_field = ty.id_field.clone();
        for touched in self.queue.rename(temp_key, &real_key, real, &id_field) {
            self.sync.mark(&touched);
        }
        self.cache.rename(temp_key, &real_key, real);
    }

    /// Later edits of the same entity that were based on the version `done` just replaced
    /// are now based on the version it produced.
    fn rebase_versions(&mut self, done: &Mutation) {
        let Some(subject) = &done.subject else { return };
        let Some(vf) = &subject.version_field else {
            return;
        };
        let Some(new) = self
            .cache
            .base_record(&subject.key)
            .and_then(|r| r.value(vf))
        else {
            return;
        };
        for id in self
            .queue
            .rebase_versions(&subject.key, &done.base_version, &new)
        {
            self.sync.mark(&id);
        }
    }

    /// Writes a mutation's response through its shape and reads it back denormalized.
    fn write_response(&mut self, shape: &Shape, v: Value, order: Order) -> Result<Value> {
        let n = normalize(&self.config.schema, shape, v)?;
        self.write_base(n.entities, order);
        Ok(self.cache.read(shape, &n.result))
    }

    /// A 409/412 with the server's current entity (or `None` when it could not be read).
    fn conflict(&mut self, id: &str, current: Option<Value>, out: &mut Output) {
        let Some(m) = self.queue.get(id) else {
            return;
        };
        let (Some(subject), Some(current)) = (m.subject.clone(), current) else {
            let e = ErrorInfo::new(
                "CONFLICT",
                "the server refused the write as a conflict and sent no current entity",
            );
            return self.fail_mutation(id, e, out);
        };
        // The server's current entity is server truth: it goes into the base. Its normalized
        // record (relations as keys) is what the merge compares with the base and the patch.
        let shape = Shape::Entity(subject.type_name.clone());
        let mut server_rec = None;
        if let Ok(n) = normalize(&self.config.schema, &shape, current.clone()) {
            server_rec = n
                .entities
                .iter()
                .rev()
                .find(|(k, _)| *k == subject.key)
                .map(|(_, r)| Value::Object(r.to_map()));
            let order = self.send_order(id);
            self.write_base(n.entities, order);
        }
        let server_rec = server_rec.unwrap_or_else(|| current.clone());
        let resolution = self
            .queue
            .get(id)
            .and_then(|m| m.resolve(current.clone(), &server_rec));
        match resolution {
            Some(Resolution::Reject) | None => self.reject_conflict(id, current, out),
            Some(Resolution::Resend(version)) => self.queue.resend(id, version),
            Some(Resolution::Manual(info)) => self.queue.hold_conflict(id, info),
        }
    }

    /// `server-wins`: the layer goes, the promise rejects with CONFLICT carrying the server's
    /// entity.
    fn reject_conflict(&mut self, id: &str, current: Value, out: &mut Output) {
        self.set_layered(id, false);
        self.queue.take(id);
        let mut e = ErrorInfo::new(
            "CONFLICT",
            "the server has a newer version; your change was dropped and the server's version is shown",
        );
        e.body = Some(current.to_string());
        out.settled.push((id.to_owned(), Err(e)));
    }

    /// `resolveConflict(id, 'local' | 'server' | value)`.
    pub fn resolve_conflict(&mut self, id: &str, choice_json: &str, now: f64) -> Result<Output> {
        let choice = json::parse(choice_json, "resolution", Origin::App)?;
        let m = self
            .queue
            .get(id)
            .filter(|m| m.status == MStatus::Conflict)
            .ok_or_else(|| {
                Error::InvalidArgument(format!("mutation `{id}` has no open conflict"))
            })?;
        let server = m.conflict.clone().map(|c| c.server).unwrap_or(Value::Null);
        let version_field = m.subject.as_ref().and_then(|s| s.version_field.clone());
        let server_version = version_field.as_ref().and_then(|f| server.get(f)).cloned();
        let valid = match &choice {
            Value::String(s) => s == "local" || s == "server",
            Value::Object(_) => true,
            _ => false,
        };
        if !valid {
            return Err(Error::InvalidArgument(
                "resolveConflict takes 'local', 'server' or an object of field values".to_owned(),
            ));
        }
        self.run(now, Source::Here, |s, out| {
            s.sync.mark(id);
            match &choice {
                Value::Object(value) => {
                    // The chosen value replaces the subject's write in the layer and the body.
                    s.set_layered(id, false);
                    s.queue.choose(id, value);
                    s.set_layered(id, true);
                    s.queue.resend(id, server_version);
                }
                Value::String(c) if c == "server" => s.reject_conflict(id, server, out),
                _ => s.queue.resend(id, server_version),
            }
            s.pump(now, out);
            Ok(())
        })
    }

    /// `retry(id)`: a failed mutation re-applies its layer and is sent again, after what is
    /// queued now.
    pub fn retry_mutation(&mut self, id: &str, now: f64) -> Result<Output> {
        let m = self
            .queue
            .get(id)
            .filter(|m| m.status == MStatus::Failed)
            .ok_or_else(|| Error::InvalidArgument(format!("mutation `{id}` is not failed")))?;
        if m.unreadable {
            return Err(Error::InvalidArgument(format!(
                "mutation `{id}` could not be read back from storage; it can only be discarded"
            )));
        }
        self.run(now, Source::Here, |s, out| {
            if let Some(m) = s.queue.requeue(id, now) {
                s.enqueue(m, now, out);
            }
            Ok(())
        })
    }

    /// `discard(id)`: removes a failed, conflicting or queued mutation (its layer goes).
    pub fn discard_mutation(&mut self, id: &str, now: f64) -> Result<Output> {
        let m = self
            .queue
            .get(id)
            .ok_or_else(|| Error::InvalidArgument(format!("no mutation `{id}` is listed")))?;
        if m.status == MStatus::Inflight {
            return Err(Error::InvalidArgument(format!(
                "mutation `{id}` is being sent; discard it after it settles"
            )));
        }
        let pending = m.status != MStatus::Failed;
        let created = m.layer.created.as_ref().map(|(k, _)| k.clone());
        self.run(now, Source::Here, |s, out| {
            s.sync.mark(id);
            s.set_layered(id, false);
            s.queue.take(id);
            if let Some(key) = created {
                s.fail_dependents(&key, out);
            }
            if pending {
                let e = ErrorInfo::new("CANCELLED", "the mutation was discarded");
                out.settled.push((id.to_owned(), Err(e)));
            }
            s.pump(now, out);
            Ok(())
        })
    }

    /// `flush()`: resumes a queue paused by a 401 and sends what is due now.
    pub fn flush(&mut self, now: f64) -> Output {
        self.run_ok(now, |s, out| {
            s.queue.resume();
            s.pump(now, out);
        })
    }
}
