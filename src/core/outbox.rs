//! The mutation queue: optimistic layers applied at once, requests sent one at a time in
//! order, and every outcome of DESIGN.md section 5 (settle, retry, fail, auth pause, the four
//! conflict policies). Time and randomness are arguments; requests go out as actions.

use serde::Serialize;
use serde_json::{Map, Value};

use super::cache::Written;
use super::engine::{Action, Output, Settle};
use super::error::{Error, Result};
use super::json::{self, Origin};
use super::mutation::{ConflictInfo, LayerWrite, MStatus, Mutation, Policy};
use super::normalize::normalize;
use super::query::ErrorInfo;
use super::retry;
use super::shape::Shape;
use super::store::Store;

/// Sync bookkeeping besides the queue itself.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SyncMeta {
    /// A 401 paused the queue until `flush()`.
    pub auth_paused: bool,
    pub last_error: Option<ErrorInfo>,
    pub last_sync_at: Option<f64>,
    pub last_ticket: u64,
    /// This tab sends (it holds the flusher lock); other tabs only queue and mirror.
    pub leader: bool,
    /// Mutations whose outbox record must be rewritten (or deleted, when gone).
    pub dirty: Vec<String>,
}

/// `syncState()`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncState<'a> {
    pub online: bool,
    pub pending: usize,
    pub inflight: usize,
    pub failed: usize,
    pub conflicts: usize,
    pub last_error: Option<&'a ErrorInfo>,
    pub last_sync_at: Option<f64>,
}

impl Store {
    pub fn sync_state(&self) -> SyncState<'_> {
        let count = |s: MStatus| self.mutations.iter().filter(|m| m.status == s).count();
        SyncState {
            online: self.online,
            pending: count(MStatus::Saving) + count(MStatus::Queued) + count(MStatus::Inflight),
            inflight: count(MStatus::Inflight),
            failed: count(MStatus::Failed),
            conflicts: count(MStatus::Conflict),
            last_error: self.sync.last_error.as_ref(),
            last_sync_at: self.sync.last_sync_at,
        }
    }

    pub fn mutation_list(&self) -> Vec<Value> {
        self.mutations.iter().map(Mutation::listing).collect()
    }

    /// `mutate(description)`: applies the optimistic layer (observers see it in this call's
    /// batch) and queues the request.
    pub fn mutate(&mut self, id: &str, desc_json: &str, now: f64) -> Result<Output> {
        let v = json::parse(desc_json, "mutation", Origin::App)?;
        if self.mutations.iter().any(|m| m.id == id) {
            return Err(Error::InvalidArgument(format!(
                "mutation id `{id}` is already queued"
            )));
        }
        let m = Mutation::from_json(
            id,
            &v,
            &self.config.schema,
            &self.config.defaults,
            &self.config.base_url,
            now,
        )?;
        Ok(self.enqueue(m, now))
    }

    /// Puts a mutation at the back of the queue with its layer applied, and sends if it can.
    fn enqueue(&mut self, mut m: Mutation, now: f64) -> Output {
        self.capture(&mut m);
        if self.persisting() {
            // Not sent (nor reported as queued) before its record is durable: `persisted`.
            m.status = MStatus::Saving;
        }
        let id = m.id.clone();
        self.mark(&id);
        self.mutations.push(m);
        let mut out = Output {
            sync: true,
            ..Output::default()
        };
        self.layer_on(&id, &mut out);
        self.pump(now, &mut out);
        self.finish_out(out, now)
    }

    /// Records what the layer overwrites in the base (the rollback snapshot) and the
    /// subject's base version.
    fn capture(&self, m: &mut Mutation) {
        let mut snapshot = Map::new();
        for (key, w) in &m.layer.writes {
            let base = self.base_record(key);
            let entry = match w {
                LayerWrite::Merge(fields) => Value::Object(
                    fields
                        .keys()
                        .map(|f| {
                            (
                                f.clone(),
                                base.and_then(|b| b.get(f)).cloned().unwrap_or(Value::Null),
                            )
                        })
                        .collect(),
                ),
                LayerWrite::Delete => base.map_or(Value::Null, |b| Value::Object(b.clone())),
            };
            snapshot.insert(key.clone(), entry);
        }
        m.snapshot = snapshot;
        if let Some(subject) = &m.subject {
            if let Some(vf) = &subject.version_field {
                m.base_version = self
                    .base_record(&subject.key)
                    .and_then(|r| r.get(vf))
                    .cloned();
            }
        }
    }

    fn layer_keys(&self, id: &str) -> (Vec<String>, Vec<String>) {
        match self.mutations.iter().find(|m| m.id == id) {
            Some(m) => (
                m.layer.writes.iter().map(|(k, _)| k.clone()).collect(),
                m.layer.inserts.iter().map(|i| i.hash.clone()).collect(),
            ),
            None => (Vec::new(), Vec::new()),
        }
    }

    pub(super) fn set_layered(&mut self, id: &str, on: bool, out: &mut Output) {
        let (keys, hashes) = self.layer_keys(id);
        if let Some(m) = self.mutations.iter_mut().find(|m| m.id == id) {
            if m.layered == on {
                return;
            }
            m.layered = on;
        }
        let mut written = Written::default();
        let mut wq = Vec::new();
        self.relayer(&keys, &hashes, &mut written, &mut wq);
        let changes = self.finish(written, wq);
        merge_changes(&mut out.changes, changes);
    }

    fn layer_on(&mut self, id: &str, out: &mut Output) {
        self.set_layered(id, true, out);
    }

    pub(super) fn layer_off(&mut self, id: &str, out: &mut Output) {
        self.set_layered(id, false, out);
    }

    /// Sends the next queued mutation if nothing is in flight (one at a time, in order).
    pub(super) fn pump(&mut self, now: f64, out: &mut Output) {
        if !self.online || self.sync.auth_paused || !self.sync.leader {
            return;
        }
        if self.mutations.iter().any(|m| m.status == MStatus::Inflight) {
            return;
        }
        let Some(i) = self
            .mutations
            .iter()
            .position(|m| matches!(m.status, MStatus::Queued | MStatus::Saving))
        else {
            return;
        };
        if self.mutations[i].status == MStatus::Saving {
            return; // in order: nothing overtakes a mutation still being written
        }
        if self.mutations[i].retry_at.is_some_and(|t| t > now) {
            return; // the head waits for its backoff; later ones wait behind it
        }
        self.sync.last_ticket += 1;
        let ticket = self.sync.last_ticket;
        let m = &mut self.mutations[i];
        m.status = MStatus::Inflight;
        m.retry_at = None;
        m.attempts += 1;
        m.ticket = ticket;
        out.sync = true;
        let (method, body) = if m.reading_current {
            ("GET".to_owned(), None)
        } else {
            (m.request.method.clone(), request_body(m))
        };
        let mut headers = m.request.headers.clone();
        // The same key on every attempt: a replay after a lost answer is applied once.
        headers.insert("Idempotency-Key".into(), Value::String(m.idempotency_key()));
        if !m.reading_current {
            if let Some(v) = &m.base_version {
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
        out.actions.push(Action::Send {
            id: m.id.clone(),
            ticket,
            method,
            url: m.request.url.clone(),
            headers,
            body,
            timeout: m.timeout,
        });
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
        let mut out = Output {
            sync: true,
            ..Output::default()
        };
        let Some(i) = self
            .mutations
            .iter()
            .position(|m| m.id == id && m.ticket == ticket && m.status == MStatus::Inflight)
        else {
            return self.finish_out(out, now);
        };
        self.mark(id);
        let reading_current = self.mutations[i].reading_current;
        match result {
            // The GET of the current entity after a bodiless conflict: 401 pauses and 5xx
            // retries like any request; an answer drives the policy.
            Settle::Http { status, body, .. }
                if reading_current
                    && status != 401
                    && !(status >= 500 || status == 408 || status == 429) =>
            {
                self.mutations[i].reading_current = false;
                let current = (200..300)
                    .contains(&status)
                    .then(|| current_entity(&body))
                    .flatten();
                self.conflict(id, current, now, &mut out);
            }
            Settle::Http { status, body, .. } if (200..300).contains(&status) => {
                self.succeed(id, &body, now, &mut out)
            }
            Settle::Http {
                status: 401, body, ..
            } => {
                let m = &mut self.mutations[i];
                m.status = MStatus::Queued;
                let e = ErrorInfo {
                    code: "AUTH".into(),
                    message: format!(
                        "{} {} answered 401: the queue is paused; refresh the token your `headers` send, then call flush()",
                        m.request.method, m.request.url
                    ),
                    status: Some(401),
                    body: Some(body),
                };
                self.sync.auth_paused = true;
                self.sync.last_error = Some(e);
            }
            Settle::Http {
                status: 409 | 412,
                body,
                ..
            } => match current_entity(&body) {
                Some(c) => self.conflict(id, Some(c), now, &mut out),
                None => {
                    // No current entity in the answer: read it with GET request.url.
                    let m = &mut self.mutations[i];
                    m.reading_current = true;
                    m.status = MStatus::Queued;
                }
            },
            Settle::Http {
                status,
                body,
                retry_after,
            } => {
                let m = &self.mutations[i];
                let mut e = ErrorInfo::http(status, &m.request.url, body);
                e.message = format!("{} {} answered {status}", m.request.method, m.request.url);
                let ra = retry_after.as_deref().and_then(retry::parse_retry_after);
                self.retry_or_fail(i, e, ra, now, random, &mut out);
            }
            Settle::Failed(e) if e.code == "NETWORK" => {
                // Offline as far as mutations go: stays queued, retried with backoff, no count.
                let m = &mut self.mutations[i];
                m.status = MStatus::Queued;
                m.retry_at = Some(now + retry::delay(m.attempts, m.retry_delay, random, None));
                self.sync.last_error = Some(e);
            }
            Settle::Failed(e) => self.retry_or_fail(i, e, None, now, random, &mut out),
            Settle::Data(_) => {}
        }
        self.pump(now, &mut out);
        self.finish_out(out, now)
    }

    fn retry_or_fail(
        &mut self,
        i: usize,
        e: ErrorInfo,
        retry_after: Option<f64>,
        now: f64,
        random: f64,
        out: &mut Output,
    ) {
        let m = &mut self.mutations[i];
        if retry::retryable(&e) && m.failures < m.retry {
            m.failures += 1;
            m.status = MStatus::Queued;
            m.retry_at = Some(now + retry::delay(m.failures, m.retry_delay, random, retry_after));
            self.sync.last_error = Some(e);
            return;
        }
        let id = m.id.clone();
        self.fail_mutation(&id, e, out);
    }

    /// The server said no: the layer goes at once; the entry stays listed as failed.
    pub(super) fn fail_mutation(&mut self, id: &str, e: ErrorInfo, out: &mut Output) {
        self.mark(id);
        self.layer_off(id, out);
        if let Some(m) = self.mutations.iter_mut().find(|m| m.id == id) {
            m.status = MStatus::Failed;
            m.error = Some(e.clone());
            m.retry_at = None;
        }
        self.sync.last_error = Some(e.clone());
        out.settled.push((id.to_owned(), Err(e)));
        let created = self
            .mutations
            .iter()
            .find(|m| m.id == id)
            .and_then(|m| m.layer.created.as_ref().map(|(k, _)| k.clone()));
        if let Some(key) = created {
            self.fail_dependents(&key, out);
        }
    }

    fn succeed(&mut self, id: &str, body: &str, now: f64, out: &mut Output) {
        let Some(i) = self.mutations.iter().position(|m| m.id == id) else {
            return;
        };
        // Commit the ops into the base, then drop the layer: the visible state does not move.
        let m = self.mutations.remove(i);
        for (key, w) in &m.layer.writes {
            if let Some(base) = self.shadow.get_mut(key) {
                *base = super::mutation::apply_write(base.take(), w);
            }
        }
        for ins in &m.layer.inserts {
            if let Some(base) = self.shadow_queries.get_mut(&ins.hash) {
                super::mutation::apply_insert(base, ins);
            }
        }
        let keys: Vec<String> = m.layer.writes.iter().map(|(k, _)| k.clone()).collect();
        let hashes: Vec<String> = m.layer.inserts.iter().map(|i| i.hash.clone()).collect();
        // The committed base changed even where the visible records did not.
        self.persist_dirty(&keys, &hashes);
        let mut written = Written::default();
        let mut wq = Vec::new();
        self.relayer(&keys, &hashes, &mut written, &mut wq);
        let changes = self.finish(written, wq);
        merge_changes(&mut out.changes, changes);
        self.sync.last_sync_at = Some(now);
        self.sync.last_error = None;

        let parsed = if body.trim().is_empty() {
            Ok(Value::Null)
        } else {
            json::parse(
                body,
                &format!("the response of {} {}", m.request.method, m.request.url),
                Origin::Server,
            )
        };
        // The real id: the root entity of the response read through `shape`.
        if let (Ok(v), Some(Shape::Entity(t)), Some((temp_key, _))) =
            (&parsed, &m.shape, &m.layer.created)
        {
            let real = self
                .config
                .schema
                .get(t)
                .and_then(|ty| v.get(&ty.id_field))
                .filter(|id| super::key::id_string(id).is_some())
                .cloned();
            if let Some(real) = real {
                let real_key =
                    super::key::entity_key(t, &super::key::id_string(&real).unwrap_or_default());
                // A response naming an entity the mutation updated is not the inserted one.
                let other_write = m.layer.writes.iter().any(|(k, _)| *k == real_key);
                if &real_key != temp_key && super::key::type_of(temp_key) == t && !other_write {
                    self.rename_entity(temp_key, &real_key, &real, out);
                }
            }
        }
        let result = parsed.and_then(|v| match &m.shape {
            Some(shape) if !v.is_null() => self.write_result(shape, v, out),
            _ => Ok(v),
        });
        self.chain_versions(&m);
        for key in &m.invalidate {
            if let Ok(o) = self.invalidate(&key.to_string(), now) {
                merge_output(out, o);
            }
        }
        out.settled
            .push((m.id.clone(), result.map_err(|e| ErrorInfo::from_error(&e))));
    }

    /// Later edits of the same entity that were based on the version `done` just replaced
    /// are now based on the version it produced (our own writes must not conflict with
    /// each other).
    fn chain_versions(&mut self, done: &Mutation) {
        let Some(subject) = &done.subject else { return };
        let Some(vf) = &subject.version_field else {
            return;
        };
        let Some(new_version) = self
            .base_record(&subject.key)
            .and_then(|r| r.get(vf))
            .cloned()
        else {
            return;
        };
        let mut changed = Vec::new();
        for m in &mut self.mutations {
            if m.subject.as_ref().is_some_and(|s| s.key == subject.key)
                && m.base_version == done.base_version
            {
                m.base_version = Some(new_version.clone());
                changed.push(m.id.clone());
            }
        }
        for id in changed {
            self.mark(&id);
        }
    }

    /// Writes a mutation's response through its shape and reads it back denormalized.
    fn write_result(&mut self, shape: &Shape, v: Value, out: &mut Output) -> Result<Value> {
        let n = normalize(&self.config.schema, shape, v)?;
        let mut written = Written::default();
        self.write_base(n.entities, &mut written);
        let changes = self.finish(written, Vec::new());
        merge_changes(&mut out.changes, changes);
        Ok(super::denormalize::query(
            &self.cache,
            &self.config.schema,
            shape,
            &n.result,
        ))
    }

    /// A 409/412 with the server's current entity (or `None` when it could not be read).
    fn conflict(&mut self, id: &str, current: Option<Value>, now: f64, out: &mut Output) {
        let Some(i) = self.mutations.iter().position(|m| m.id == id) else {
            return;
        };
        let (Some(subject), Some(current)) = (self.mutations[i].subject.clone(), current) else {
            let e = ErrorInfo::new(
                "CONFLICT",
                "the server refused the write as a conflict and sent no current entity",
            );
            self.fail_mutation(id, e, out);
            return;
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
                .map(|(_, r)| Value::Object(r.clone()));
            let mut written = Written::default();
            self.write_base(n.entities, &mut written);
            let changes = self.finish(written, Vec::new());
            merge_changes(&mut out.changes, changes);
        }
        let server_rec = server_rec.unwrap_or_else(|| current.clone());
        let server_version = subject
            .version_field
            .as_ref()
            .and_then(|f| current.get(f))
            .cloned();
        let base = self.mutations[i]
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
        let policy = self.mutations[i].policy;
        match policy {
            Policy::ServerWins => self.reject_conflict(id, current, out),
            Policy::ClientWins => self.resend(i, server_version),
            Policy::Merge if !overlap => self.resend(i, server_version),
            Policy::Merge | Policy::Manual => {
                let m = &mut self.mutations[i];
                m.status = MStatus::Conflict;
                m.conflict = Some(ConflictInfo {
                    base,
                    local: Value::Object(subject.patch.clone()),
                    server: current,
                });
            }
        }
        let _ = now;
    }

    fn resend(&mut self, i: usize, version: Option<Value>) {
        let m = &mut self.mutations[i];
        if version.is_some() {
            m.base_version = version;
        }
        m.revision += 1;
        m.status = MStatus::Queued;
        m.conflict = None;
        m.retry_at = None;
    }

    fn reject_conflict(&mut self, id: &str, current: Value, out: &mut Output) {
        self.layer_off(id, out);
        self.mutations.retain(|m| m.id != id);
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
        let i = self
            .mutations
            .iter()
            .position(|m| m.id == id && m.status == MStatus::Conflict)
            .ok_or_else(|| {
                Error::InvalidArgument(format!("mutation `{id}` has no open conflict"))
            })?;
        let mut out = Output {
            sync: true,
            ..Output::default()
        };
        self.mark(id);
        let info = self.mutations[i].conflict.clone();
        let server = info.map(|c| c.server).unwrap_or(Value::Null);
        let version_field = self.mutations[i]
            .subject
            .as_ref()
            .and_then(|s| s.version_field.clone());
        let server_version = version_field.as_ref().and_then(|f| server.get(f)).cloned();
        match &choice {
            Value::String(s) if s == "local" => self.resend(i, server_version),
            Value::String(s) if s == "server" => self.reject_conflict(id, server, &mut out),
            Value::Object(value) => {
                let key = self.mutations[i]
                    .subject
                    .as_ref()
                    .map(|s| s.key.clone())
                    .unwrap_or_default();
                // The chosen value replaces the subject's write in the layer and the body.
                self.layer_off(id, &mut out);
                let m = &mut self.mutations[i];
                for (k, w) in &mut m.layer.writes {
                    if *k == key {
                        if let LayerWrite::Merge(fields) = w {
                            for (f, v) in value {
                                fields.insert(f.clone(), v.clone());
                            }
                        }
                    }
                }
                if let Some(subject) = &mut m.subject {
                    for (f, v) in value {
                        subject.patch.insert(f.clone(), v.clone());
                    }
                }
                match &mut m.request.body {
                    Some(Value::Object(body)) => {
                        for (f, v) in value {
                            body.insert(f.clone(), v.clone());
                        }
                    }
                    body => *body = Some(choice.clone()),
                }
                self.layer_on(id, &mut out);
                self.resend(i, server_version);
            }
            _ => {
                return Err(Error::InvalidArgument(
                    "resolveConflict takes 'local', 'server' or an object of field values"
                        .to_owned(),
                ))
            }
        }
        self.pump(now, &mut out);
        Ok(self.finish_out(out, now))
    }

    /// `retry(id)`: a failed mutation re-applies its layer and is sent again.
    pub fn retry_mutation(&mut self, id: &str, now: f64) -> Result<Output> {
        let i = self
            .mutations
            .iter()
            .position(|m| m.id == id && m.status == MStatus::Failed)
            .ok_or_else(|| Error::InvalidArgument(format!("mutation `{id}` is not failed")))?;
        if self.mutations[i].unreadable {
            return Err(Error::InvalidArgument(format!(
                "mutation `{id}` could not be read back from storage; it can only be discarded"
            )));
        }
        let mut m = self.mutations.remove(i);
        m.status = MStatus::Queued;
        m.error = None;
        m.failures = 0;
        m.retry_at = None;
        // Back of the line: it is sent after what is queued now. Its place is its time: a
        // reload or another tab orders the outbox by it.
        m.created_at = now;
        Ok(self.enqueue(m, now))
    }

    /// `discard(id)`: removes a failed, conflicting or queued mutation (its layer goes).
    pub fn discard_mutation(&mut self, id: &str, now: f64) -> Result<Output> {
        let m = self
            .mutations
            .iter()
            .find(|m| m.id == id)
            .ok_or_else(|| Error::InvalidArgument(format!("no mutation `{id}` is listed")))?;
        if m.status == MStatus::Inflight {
            return Err(Error::InvalidArgument(format!(
                "mutation `{id}` is being sent; discard it after it settles"
            )));
        }
        let pending = m.status != MStatus::Failed;
        let created = m.layer.created.as_ref().map(|(k, _)| k.clone());
        let mut out = Output {
            sync: true,
            ..Output::default()
        };
        self.mark(id);
        self.layer_off(id, &mut out);
        self.mutations.retain(|m| m.id != id);
        if let Some(key) = created {
            self.fail_dependents(&key, &mut out);
        }
        if pending {
            out.settled.push((
                id.to_owned(),
                Err(ErrorInfo::new("CANCELLED", "the mutation was discarded")),
            ));
        }
        self.pump(now, &mut out);
        Ok(self.finish_out(out, now))
    }

    /// `flush()`: resumes a queue paused by a 401 and sends what is due now.
    pub fn flush(&mut self, now: f64) -> Output {
        let mut out = Output {
            sync: true,
            ..Output::default()
        };
        self.sync.auth_paused = false;
        if let Some(m) = self
            .mutations
            .iter_mut()
            .find(|m| m.status == MStatus::Queued)
        {
            m.retry_at = None;
        }
        self.pump(now, &mut out);
        self.finish_out(out, now)
    }

    /// Called from `tick`, `set_online`: sends the head of the queue when it is due.
    pub(super) fn pump_due(&mut self, now: f64, out: &mut Output) {
        let before = out.actions.len();
        self.pump(now, out);
        if out.actions.len() != before {
            out.sync = true;
        }
    }

    /// Back online: the head of the queue is sent at once, without waiting out its backoff.
    pub(super) fn wake_queue(&mut self, now: f64, out: &mut Output) {
        if let Some(m) = self
            .mutations
            .iter_mut()
            .find(|m| m.status == MStatus::Queued)
        {
            m.retry_at = None;
        }
        out.sync = true;
        self.pump(now, out);
    }

    /// When the head of the queue is due again; nothing while it cannot be sent anyway
    /// (offline, paused by a 401, or behind a request in flight), so no timer spins.
    pub(super) fn queue_wake(&self) -> Option<f64> {
        if !self.online
            || self.sync.auth_paused
            || !self.sync.leader
            || self.mutations.iter().any(|m| m.status == MStatus::Inflight)
        {
            return None;
        }
        self.mutations
            .iter()
            .find(|m| m.status == MStatus::Queued)
            .and_then(|m| m.retry_at)
    }
}

/// The request body with the subject's base version added when the body is a JSON object
/// without that field.
fn request_body(m: &Mutation) -> Option<String> {
    let mut body = m.request.body.clone()?;
    if let (Some(v), Some(subject), Value::Object(o)) = (&m.base_version, &m.subject, &mut body) {
        if let Some(f) = &subject.version_field {
            // A resend after a conflict carries the server's version.
            o.insert(f.clone(), v.clone());
        }
    }
    Some(body.to_string())
}

fn version_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The current entity in a conflict answer: `{ current: entity }` or the entity itself.
fn current_entity(body: &str) -> Option<Value> {
    let v: Value = serde_json::from_str(body).ok()?;
    match v.get("current") {
        Some(c) if c.is_object() => Some(c.clone()),
        _ if v.is_object() => Some(v),
        _ => None,
    }
}

pub(super) fn merge_changes(into: &mut super::store::ChangeSet, from: super::store::ChangeSet) {
    for (dst, src) in [
        (&mut into.written_entities, from.written_entities),
        (&mut into.dependent_entities, from.dependent_entities),
        (&mut into.written_queries, from.written_queries),
        (&mut into.dependent_queries, from.dependent_queries),
    ] {
        for k in src {
            if !dst.contains(&k) {
                dst.push(k);
            }
        }
    }
}

fn merge_output(into: &mut Output, from: Output) {
    merge_changes(&mut into.changes, from.changes);
    for h in from.states {
        if !into.states.contains(&h) {
            into.states.push(h);
        }
    }
    into.actions.extend(from.actions);
    into.removed_queries.extend(from.removed_queries);
    into.removed_entities.extend(from.removed_entities);
}
