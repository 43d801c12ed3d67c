//! The mutations part: the queue of unacknowledged mutations, in order, and its sync
//! bookkeeping (auth pause, last error, last sync, whether this tab sends).
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | `Queue` (the part's state): order, one request in flight, retries and backoff, the 401 pause, what `syncState()` counts |
//! | `description.rs` | `Mutation`: a description read from the app (request, ops -> layer, options) and its runtime fields |
//! | `send.rs` | the request an attempt sends (Idempotency-Key, If-Match, version in the body) |
//! | `conflict.rs` | what each conflict policy does with the server's current entity (three-way merge) |
//! | `temp_ids.rs` | a temporary id renamed in later mutations; mutations that depend on a failed insert |
//!
//! Every state change bumps `revision`, which the store's finish step compares to tell the
//! JS side that the list or the sync state changed. The store runs what crosses parts (a
//! settled mutation writes the cache). Tests: src/core/tests/mutations/ (a file per rule; the
//! model/ folder runs random sequences against a reference).

pub mod conflict;
pub mod description;
mod send;
mod temp_ids;

pub use temp_ids::{id_text as temp_id_text, is_temp_id};

use serde::Serialize;
use serde_json::{Map, Value};

use self::description::{ConflictInfo, MStatus, Mutation};
use super::cache::layer::Layer;
use super::error::ErrorInfo;
use super::output::Action;
use super::retry;

#[derive(Debug)]
pub struct Queue {
    list: Vec<Mutation>,
    /// A 401 paused the queue until `flush()`.
    auth_paused: bool,
    last_error: Option<ErrorInfo>,
    last_sync_at: Option<f64>,
    last_ticket: u64,
    /// This tab sends (it holds the flusher lock); other tabs only queue and mirror.
    leader: bool,
    /// Bumped by every change of the list or the sync bookkeeping.
    revision: u64,
    /// The creation time given to the latest mutation made here (see `next_created_at`).
    last_created: f64,
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

impl Default for Queue {
    fn default() -> Queue {
        Queue {
            list: Vec::new(),
            auth_paused: false,
            last_error: None,
            last_sync_at: None,
            last_ticket: 0,
            leader: true,
            revision: 0,
            last_created: 0.0,
        }
    }
}

impl Queue {
    pub fn sync_state(&self, online: bool) -> SyncState<'_> {
        let count = |s: MStatus| self.list.iter().filter(|m| m.status == s).count();
        SyncState {
            online,
            pending: count(MStatus::Saving) + count(MStatus::Queued) + count(MStatus::Inflight),
            inflight: count(MStatus::Inflight),
            failed: count(MStatus::Failed),
            conflicts: count(MStatus::Conflict),
            last_error: self.last_error.as_ref(),
            last_sync_at: self.last_sync_at,
        }
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Unacknowledged mutations in queue order.
    pub fn list(&self) -> &[Mutation] {
        &self.list
    }

    pub fn get(&self, id: &str) -> Option<&Mutation> {
        self.list.iter().find(|m| m.id == id)
    }

    /// The pending mutation whose request carries Idempotency-Key `key` (a push naming it
    /// is our own write's echo).
    pub fn pending_with_key(&self, key: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|m| m.pending() && m.idempotency_key() == key)
            .map(|m| m.id.as_str())
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.list.iter().position(|m| m.id == id)
    }

    fn touch(&mut self) {
        self.revision += 1;
    }

    /// Mutation `id`, to be changed (a change of the list: the revision moves).
    fn at(&mut self, id: &str) -> Option<&mut Mutation> {
        let i = self.position(id)?;
        self.touch();
        self.list.get_mut(i)
    }

    /// The layers shown over the base, in queue order.
    pub fn active_layers(&self) -> Vec<&Layer> {
        self.list
            .iter()
            .filter(|m| m.layered)
            .map(|m| &m.layer)
            .collect()
    }

    /// Shows (or hides) mutation `id`'s layer. Returns the entity keys and query hashes it
    /// covers when that changed (the cache must relayer them), `None` when it did not.
    pub fn set_layered(&mut self, id: &str, on: bool) -> Option<(Vec<String>, Vec<String>)> {
        let i = self.position(id)?;
        let m = &mut self.list[i];
        if m.layered == on {
            return None;
        }
        m.layered = on;
        let keys = m.layer.writes.iter().map(|(k, _)| k.clone()).collect();
        let hashes = m.layer.inserts.iter().map(|i| i.hash.clone()).collect();
        Some((keys, hashes))
    }

    /// Puts a mutation at the back of the queue (`Saving` until its record is durable when
    /// the store persists).
    pub fn push(&mut self, mut m: Mutation, saving: bool) {
        if saving {
            m.status = MStatus::Saving;
        }
        self.list.push(m);
        self.touch();
    }

    /// Puts a mutation read from storage at its place in the queue: by time, then id.
    pub fn insert_in_order(&mut self, m: Mutation) {
        let at = (m.created_at, m.id.as_str());
        let pos = self
            .list
            .iter()
            .position(|x| (x.created_at, x.id.as_str()) > at)
            .unwrap_or(self.list.len());
        self.list.insert(pos, m);
        self.touch();
    }

    /// Replaces mutation `id` by another tab's newer copy of its record (kept at its place
    /// unless it was retried there, which moved it to the back). Its layer must be off.
    pub fn replace(&mut self, id: &str, mut m: Mutation) {
        let Some(i) = self.position(id) else {
            return self.insert_in_order(m);
        };
        let old = self.list.remove(i);
        m.attempts = old.attempts;
        if m.created_at == old.created_at {
            self.list.insert(i, m);
        } else {
            self.insert_in_order(m);
        }
        self.touch();
    }

    /// Takes mutation `id` out of the queue (settled, discarded, gone elsewhere).
    pub fn take(&mut self, id: &str) -> Option<Mutation> {
        let i = self.position(id)?;
        self.touch();
        Some(self.list.remove(i))
    }

    /// Every mutation leaves (`clear()`); the ticket counter and the lock stay.
    pub fn take_all(&mut self) -> Vec<Mutation> {
        self.auth_paused = false;
        self.last_error = None;
        self.last_sync_at = None;
        self.touch();
        std::mem::take(&mut self.list)
    }

    pub fn set_leader(&mut self, on: bool) {
        if self.leader != on {
            self.leader = on;
            self.touch();
        }
    }

    /// The records of `ids` are durable: those still saving are queued now.
    pub fn saved(&mut self, ids: &[String]) {
        for m in &mut self.list {
            if m.status == MStatus::Saving && ids.contains(&m.id) {
                m.status = MStatus::Queued;
                self.revision += 1;
            }
        }
    }

    /// The ids among `ids` still waiting for their record to be written.
    pub fn saving(&self, ids: &[String]) -> Vec<String> {
        self.list
            .iter()
            .filter(|m| m.status == MStatus::Saving && ids.contains(&m.id))
            .map(|m| m.id.clone())
            .collect()
    }

    /// Sends the head of every scope that has nothing in flight: one request at a time per
    /// scope, in order; different scopes in parallel (one scope unless mutations name one).
    pub fn pump(&mut self, now: f64, online: bool) -> Vec<Action> {
        let mut sent = Vec::new();
        if !online || self.auth_paused || !self.leader {
            return sent;
        }
        for i in self.heads() {
            let m = &self.list[i];
            if m.status == MStatus::Saving {
                continue; // in order: nothing overtakes a mutation still being written
            }
            if m.retry_at.is_some_and(|t| t > now) {
                continue; // the head waits for its backoff; later ones wait behind it
            }
            if self.waits_for_insert(i) {
                continue;
            }
            self.last_ticket += 1;
            let ticket = self.last_ticket;
            let m = &mut self.list[i];
            m.status = MStatus::Inflight;
            m.retry_at = None;
            m.attempts += 1;
            m.ticket = ticket;
            sent.push(m.send_action(ticket));
            self.touch();
        }
        sent
    }

    /// The first unsent mutation (queued or saving) of every scope with nothing in flight.
    fn heads(&self) -> Vec<usize> {
        let mut seen: Vec<Option<&str>> = Vec::new();
        let mut heads = Vec::new();
        for m in &self.list {
            if m.status == MStatus::Inflight {
                seen.push(m.scope.as_deref());
            }
        }
        for (i, m) in self.list.iter().enumerate() {
            if !matches!(m.status, MStatus::Queued | MStatus::Saving) {
                continue;
            }
            let scope = m.scope.as_deref();
            if !seen.contains(&scope) {
                seen.push(scope);
                heads.push(i);
            }
        }
        heads
    }

    /// Whether mutation `i` names the temporary id of an insert of another scope that is not
    /// acknowledged yet: it must not reach the server before the real id exists.
    fn waits_for_insert(&self, i: usize) -> bool {
        let m = &self.list[i];
        self.list.iter().take(i).any(|other| {
            other.scope != m.scope
                && other.pending()
                && other
                    .layer
                    .created
                    .as_ref()
                    .is_some_and(|(key, _)| temp_ids::names(m, key, temp_ids::id_text(key)))
        })
    }

    /// Whether `ticket` is the attempt of `id` in flight (answers of superseded attempts are
    /// dropped).
    pub fn is_current(&self, id: &str, ticket: u64) -> bool {
        self.list
            .iter()
            .any(|m| m.id == id && m.ticket == ticket && m.status == MStatus::Inflight)
    }

    /// The heads of the queue are due now (back online, `flush()`): their backoff is skipped.
    pub fn wake_head(&mut self) {
        for i in self.heads() {
            let m = &mut self.list[i];
            if m.status == MStatus::Queued && m.retry_at.take().is_some() {
                self.revision += 1;
            }
        }
    }

    /// `flush()`: a queue paused by a 401 resumes.
    pub fn resume(&mut self) {
        if self.auth_paused {
            self.auth_paused = false;
            self.touch();
        }
        self.wake_head();
    }

    /// When the head of the queue is due again; nothing while it cannot be sent anyway
    /// (offline, paused by a 401, or behind a request in flight), so no timer spins.
    pub fn wake_at(&self, online: bool) -> Option<f64> {
        if !online || self.auth_paused || !self.leader {
            return None;
        }
        self.heads()
            .into_iter()
            .filter(|&i| self.list[i].status == MStatus::Queued)
            .filter_map(|i| self.list[i].retry_at)
            .reduce(f64::min)
    }

    /// A 401: the mutation waits, the queue pauses until `flush()`.
    pub fn pause_for_auth(&mut self, id: &str, body: String) {
        let Some(m) = self.get(id) else { return };
        let e = ErrorInfo {
            code: "AUTH".into(),
            message: format!(
                "{} {} answered 401: the queue is paused; refresh the token your `headers` send, then call flush()",
                m.request.method, m.request.url
            ),
            status: Some(401),
            body: Some(body),
        };
        self.pause(id, e);
    }

    /// The mutation waits, unsent, and the queue pauses until `flush()` (a 401, or the app's
    /// `headers()` threw): `e` is shown as the last error.
    pub fn pause(&mut self, id: &str, e: ErrorInfo) {
        if let Some(m) = self.at(id) {
            m.status = MStatus::Queued;
        }
        self.auth_paused = true;
        self.last_error = Some(e);
    }

    /// A conflict answer without the current entity: the next attempt GETs it.
    pub fn read_current(&mut self, id: &str, on: bool) {
        if let Some(m) = self.at(id) {
            m.reading_current = on;
            if on {
                m.status = MStatus::Queued;
            }
        }
    }

    /// A network error: offline as far as mutations go. Stays queued, retried with backoff;
    /// it does not count against `retry`.
    pub fn wait_for_network(&mut self, id: &str, e: ErrorInfo, now: f64, random: f64) {
        if let Some(m) = self.at(id) {
            m.status = MStatus::Queued;
            m.retry_at = Some(now + retry::delay(m.attempts, m.retry_delay, random, None));
        }
        self.last_error = Some(e);
    }

    /// A retryable failure while retries are left: queued again after the backoff. Otherwise
    /// the error comes back (the mutation must fail).
    pub fn retry_later(
        &mut self,
        id: &str,
        e: ErrorInfo,
        retry_after: Option<f64>,
        now: f64,
        random: f64,
    ) -> Result<(), ErrorInfo> {
        let can = self
            .get(id)
            .is_some_and(|m| retry::retryable(&e) && m.failures < m.retry);
        if !can {
            return Err(e);
        }
        if let Some(m) = self.at(id) {
            m.failures += 1;
            m.status = MStatus::Queued;
            m.retry_at = Some(now + retry::delay(m.failures, m.retry_delay, random, retry_after));
        }
        self.last_error = Some(e);
        Ok(())
    }

    /// The server said no: listed as failed with its error (its layer goes, in the store).
    pub fn fail(&mut self, id: &str, e: ErrorInfo) {
        if let Some(m) = self.at(id) {
            m.status = MStatus::Failed;
            m.error = Some(e.clone());
            m.retry_at = None;
        }
        self.last_error = Some(e);
        self.touch();
    }

    /// A failure of the sync machinery itself (storage), shown as the last error.
    pub fn report(&mut self, e: ErrorInfo) {
        self.last_error = Some(e);
        self.touch();
    }

    /// A mutation was acknowledged at `now`.
    pub fn synced(&mut self, now: f64) {
        self.last_sync_at = Some(now);
        self.last_error = None;
        self.touch();
    }

    /// Resent after a conflict, based on the server's `version` when it sent one.
    pub fn resend(&mut self, id: &str, version: Option<Value>) {
        if let Some(m) = self.at(id) {
            if version.is_some() {
                m.base_version = version;
            }
            m.revision += 1;
            m.status = MStatus::Queued;
            m.conflict = None;
            m.retry_at = None;
        }
    }

    /// Listed with the conflict until `resolveConflict`.
    pub fn hold_conflict(&mut self, id: &str, info: ConflictInfo) {
        if let Some(m) = self.at(id) {
            m.status = MStatus::Conflict;
            m.conflict = Some(info);
        }
    }

    /// `resolveConflict(id, value)`: the chosen fields replace the subject's write in the
    /// layer, the patch and the body (its layer must be off while it changes).
    pub fn choose(&mut self, id: &str, value: &Map<String, Value>) {
        if let Some(m) = self.at(id) {
            let key = m
                .subject
                .as_ref()
                .map(|s| s.key.clone())
                .unwrap_or_default();
            for (k, w) in &mut m.layer.writes {
                if *k == key {
                    if let super::cache::layer::LayerWrite::Merge(fields) = w {
                        for (f, v) in value {
                            fields.insert(f, v.clone());
                        }
                    }
                }
            }
            if let Some(subject) = &mut m.subject {
                subject
                    .patch
                    .extend(value.iter().map(|(f, v)| (f.clone(), v.clone())));
            }
            match &mut m.request.body {
                Some(Value::Object(body)) => {
                    body.extend(value.iter().map(|(f, v)| (f.clone(), v.clone())));
                }
                body => *body = Some(Value::Object(value.clone())),
            }
        }
    }

    /// Later edits of entity `key` that were based on version `old` are now based on `new`,
    /// the version a settled mutation produced (our own writes must not conflict with each
    /// other). Returns their ids.
    pub fn rebase_versions(&mut self, key: &str, old: &Option<Value>, new: &Value) -> Vec<String> {
        let mut changed = Vec::new();
        for m in &mut self.list {
            if m.subject.as_ref().is_some_and(|s| s.key == key) && m.base_version == *old {
                m.base_version = Some(new.clone());
                changed.push(m.id.clone());
            }
        }
        if !changed.is_empty() {
            self.touch();
        }
        changed
    }

    /// `retry(id)`: a failed mutation goes to the back of the line with fresh retries. Its
    /// place is its time: a reload or another tab orders the outbox by it.
    pub fn requeue(&mut self, id: &str, now: f64) -> Option<Mutation> {
        let mut m = self.take(id)?;
        m.status = MStatus::Queued;
        m.error = None;
        m.failures = 0;
        m.retry_at = None;
        m.created_at = self.next_created_at(now);
        Some(m)
    }

    /// The creation time of a new (or retried) mutation: `now`, or just after the latest one
    /// when several are made within one millisecond. The queue is ordered by creation time
    /// after a reload or in another tab, so two of one tab's mutations must never tie (a tie
    /// was broken by their random ids, which reordered a burst of writes).
    pub fn next_created_at(&mut self, now: f64) -> f64 {
        let latest = self
            .list
            .iter()
            .map(|m| m.created_at)
            .fold(self.last_created, f64::max);
        let at = if now > latest { now } else { latest + 0.001 };
        self.last_created = at;
        at
    }

    /// A record write failed: the stamp is back at what storage holds (0: no record at all,
    /// so a reconcile cannot take it for settled elsewhere).
    pub fn unstamp(&mut self, id: &str) {
        if let Some(m) = self.at(id) {
            m.stamp = m.stamp.saturating_sub(1);
        }
    }

    /// The record of `id` is about to be written by tab `writer`: its stamp goes up (another
    /// tab's copy with a higher `(stamp, writer)` wins). `None` when it is gone.
    pub fn stamp(&mut self, id: &str, writer: &str) -> Option<&Mutation> {
        let i = self.position(id)?;
        let m = &mut self.list[i];
        // A stand-in for an unreadable record is never written (see sync/records.rs).
        if !m.unreadable {
            m.stamp += 1;
            writer.clone_into(&mut m.writer);
        }
        Some(&self.list[i])
    }
}
