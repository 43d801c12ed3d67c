//! A query's lifecycle as a state machine: status, fetch status, errors, freshness, timers.
//! Every change goes through `QueryMeta::dispatch` (the shape of TanStack Query's
//! `#dispatch`), so impossible combinations (an error status with no error, a fetch in flight
//! with an idle fetch status) cannot be built, and each move is written once.

use serde::Serialize;
use serde_json::Value;

use super::options::{NetworkMode, OnMount, QueryOptions};
use crate::core::error::ErrorInfo;
use crate::core::retry;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Error,
    Success,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FetchStatus {
    Fetching,
    Paused,
    Idle,
}

/// Everything about a query except its data.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryMeta {
    key: Value,
    opts: QueryOptions,
    status: Status,
    fetch: FetchStatus,
    data_updated_at: f64,
    error: Option<ErrorInfo>,
    error_updated_at: f64,
    failure_count: u32,
    invalidated: bool,
    observers: u32,
    /// When the last observer left (gc counts from here).
    inactive_since: Option<f64>,
    /// The fetch whose answer may land; 0 = none. A cancelled or superseded fetch's answer
    /// carries an older ticket and is dropped.
    ticket: u64,
    /// When the next attempt of the current fetch is due (after a retryable failure).
    retry_at: Option<f64>,
    /// When `refetchInterval` next fires.
    interval_at: Option<f64>,
    /// `isStale` as last reported, so the flip to stale is pushed once.
    reported_stale: bool,
    /// A failure waiting for the app's `retry`/`retryDelay` function (`Decided`): the error
    /// and the server's `Retry-After`.
    deciding: Option<(ErrorInfo, Option<f64>)>,
}

/// Every move of a query's state.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Data arrived other than by this query's own fetch (`setQueryData`, IndexedDB, another
    /// tab, a result already cached when the lifecycle began): success, fresh as of `at`.
    Data {
        at: f64,
    },
    /// Fetch `ticket` starts (sent at once when online, paused otherwise).
    Start {
        ticket: u64,
        online: bool,
        now: f64,
    },
    /// The retry of the current fetch is due (sent when online, paused otherwise).
    Resume {
        online: bool,
    },
    /// A paused fetch has nothing in flight: the next start is a new fetch, not a join.
    Unpause,
    /// The current fetch's data landed.
    Landed {
        now: f64,
    },
    /// The current fetch failed: paused when offline, retried while retries are left, else
    /// an error.
    Failed {
        error: ErrorInfo,
        retry_after: Option<f64>,
        online: bool,
        now: f64,
        random: f64,
    },
    /// The app's `retry`/`retryDelay` decided the failure the query is `deciding`: another
    /// attempt after `delay` (the store's backoff when `None`; `Retry-After` is a floor), or
    /// the error stands.
    Decided {
        retry: bool,
        delay: Option<f64>,
        now: f64,
        random: f64,
    },
    /// The current fetch is cancelled: its answer will not land; data stays.
    Cancelled,
    /// Back to a new query's state (`resetQueries`, or `removeQueries` while observed): no
    /// data, no error, nothing in flight; the key, options and observers stay.
    Reset {
        now: f64,
    },
    /// Stale until refetched.
    Invalidated,
    Observed {
        now: f64,
    },
    Unobserved {
        now: f64,
    },
    /// `refetchInterval` fired: the next one is due an interval from now.
    Interval {
        now: f64,
    },
    /// The state was sent to the JS side: `isStale` as of `now` is what it shows.
    Reported {
        now: f64,
    },
}

impl QueryMeta {
    pub fn new(key: Value, opts: QueryOptions, now: f64) -> QueryMeta {
        QueryMeta {
            key,
            opts,
            status: Status::Pending,
            fetch: FetchStatus::Idle,
            data_updated_at: 0.0,
            error: None,
            error_updated_at: 0.0,
            failure_count: 0,
            invalidated: false,
            observers: 0,
            inactive_since: Some(now),
            ticket: 0,
            retry_at: None,
            interval_at: None,
            reported_stale: true,
            deciding: None,
        }
    }

    /// The one transition function. It is long on purpose: one arm per event, so every
    /// write of the state is in this match and nowhere else.
    pub fn dispatch(&mut self, ev: Event) {
        match ev {
            Event::Data { at } => {
                self.status = Status::Success;
                self.data_updated_at = at;
                self.error = None;
                self.invalidated = false;
            }
            Event::Start {
                ticket,
                online,
                now,
            } => {
                self.ticket = ticket;
                self.failure_count = 0;
                self.retry_at = None;
                self.deciding = None;
                self.inactive_since = self.inactive_since.map(|_| now);
                // `always` and `offlineFirst` send the first attempt whatever the network.
                self.fetch = sending(online || self.opts.network_mode != NetworkMode::Online);
            }
            Event::Resume { online } => {
                self.retry_at = None;
                self.fetch = sending(online || self.opts.network_mode == NetworkMode::Always);
            }
            Event::Unpause => self.ticket = 0,
            Event::Landed { now } => {
                self.dispatch(Event::Data { at: now });
                self.fetch = FetchStatus::Idle;
                self.failure_count = 0;
                self.ticket = 0;
                self.retry_at = None;
                self.deciding = None;
                self.reported_stale = self.is_stale(now);
                if self.active() {
                    self.interval_at = self.opts.refetch_interval.map(|i| now + i);
                } else {
                    // An unobserved query keeps what it just fetched for gcTime from now.
                    self.inactive_since = Some(now);
                }
            }
            Event::Failed {
                error,
                retry_after,
                online,
                now,
                random,
            } => {
                let offline = error.code == "NETWORK" && !online;
                if offline && self.opts.network_mode != NetworkMode::Always {
                    // Offline: wait for the network instead of spending retries.
                    self.fetch = FetchStatus::Paused;
                    return;
                }
                self.failure_count += 1;
                if self.opts.ask_retry {
                    self.deciding = Some((error, retry_after));
                    return;
                }
                if self.would_retry(&error) {
                    let wait = retry::delay(
                        self.failure_count,
                        self.opts.retry_delay,
                        random,
                        retry_after,
                    );
                    self.retry_at = Some(now + wait);
                    return;
                }
                self.fail(error, now);
            }
            Event::Decided {
                retry,
                delay,
                now,
                random,
            } => {
                let Some((error, retry_after)) = self.deciding.take() else {
                    return;
                };
                if !retry {
                    self.fail(error, now);
                    return;
                }
                let floor = retry_after.filter(|ra| ra.is_finite()).unwrap_or(0.0);
                let wait = match delay {
                    Some(d) => d.max(floor),
                    None => retry::delay(
                        self.failure_count,
                        self.opts.retry_delay,
                        random,
                        retry_after,
                    ),
                };
                self.retry_at = Some(now + wait);
            }
            Event::Cancelled => {
                self.ticket = 0;
                self.retry_at = None;
                self.deciding = None;
                self.fetch = FetchStatus::Idle;
            }
            Event::Reset { now } => {
                let (key, opts, observers) = (self.key.clone(), self.opts.clone(), self.observers);
                *self = QueryMeta::new(key, opts, now);
                self.observers = observers;
                if observers > 0 {
                    self.inactive_since = None;
                    self.interval_at = self.opts.refetch_interval.map(|i| now + i);
                }
            }
            Event::Invalidated => self.invalidated = true,
            Event::Observed { now } => {
                self.observers += 1;
                self.inactive_since = None;
                if self.interval_at.is_none() {
                    self.interval_at = self.opts.refetch_interval.map(|i| now + i);
                }
            }
            Event::Unobserved { now } => {
                self.observers = self.observers.saturating_sub(1);
                if self.observers == 0 {
                    self.inactive_since = Some(now);
                    self.interval_at = None;
                }
            }
            Event::Interval { now } => {
                self.interval_at = self.opts.refetch_interval.map(|i| now + i);
            }
            Event::Reported { now } => self.reported_stale = self.is_stale(now),
        }
    }

    /// The failure is final: an error state (the data stays).
    fn fail(&mut self, error: ErrorInfo, now: f64) {
        self.status = Status::Error;
        self.fetch = FetchStatus::Idle;
        self.error = Some(error);
        self.error_updated_at = now;
        self.ticket = 0;
        self.retry_at = None;
        if !self.active() {
            self.inactive_since = Some(now);
        }
    }

    /// What the store's own rule says of a failure just counted: another attempt while
    /// `retry` allows it and the error is worth one.
    pub fn would_retry(&self, error: &ErrorInfo) -> bool {
        retry::retryable(error) && self.failure_count <= self.opts.retry
    }

    /// The failure waiting for the app's decision, if any.
    pub fn deciding(&self) -> Option<&ErrorInfo> {
        self.deciding.as_ref().map(|(e, _)| e)
    }

    /// Whether a new observer fetches: always without data, else as `refetchOnMount` says.
    pub fn fetch_on_mount(&self, now: f64) -> bool {
        self.opts.enabled
            && self.opts.has_source()
            && (!self.has_data()
                || match self.opts.refetch_on_mount {
                    OnMount::Never => false,
                    OnMount::IfStale => self.is_stale(now),
                    OnMount::Always => true,
                })
    }

    /// The latest observer with a source sets the options; an observer without one (it only
    /// watches) leaves a sourced query's options alone.
    pub fn set_options(&mut self, o: QueryOptions) {
        if o.has_source() || !self.opts.has_source() {
            self.opts = o;
        }
    }

    /// A query without a source shows data with the shape it was last written with.
    pub fn observe_shape(&mut self, shape: crate::core::shape::Shape) {
        if !self.opts.has_source() {
            self.opts.shape = shape;
        }
    }

    pub fn key(&self) -> &Value {
        &self.key
    }

    pub fn opts(&self) -> &QueryOptions {
        &self.opts
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn fetch_status(&self) -> FetchStatus {
        self.fetch
    }

    pub fn data_updated_at(&self) -> f64 {
        self.data_updated_at
    }

    pub fn error(&self) -> Option<&ErrorInfo> {
        self.error.as_ref()
    }

    #[cfg(test)]
    pub fn error_updated_at(&self) -> f64 {
        self.error_updated_at
    }

    #[cfg(test)]
    pub fn inactive_since(&self) -> Option<f64> {
        self.inactive_since
    }

    pub fn failure_count(&self) -> u32 {
        self.failure_count
    }

    pub fn invalidated(&self) -> bool {
        self.invalidated
    }

    pub fn observers(&self) -> u32 {
        self.observers
    }

    pub fn ticket(&self) -> u64 {
        self.ticket
    }

    pub fn retry_at(&self) -> Option<f64> {
        self.retry_at
    }

    pub fn interval_at(&self) -> Option<f64> {
        self.interval_at
    }

    pub fn reported_stale(&self) -> bool {
        self.reported_stale
    }

    pub fn has_data(&self) -> bool {
        self.data_updated_at > 0.0
    }

    /// Stale when there is no data, when invalidated, or `staleTime` after the data arrived.
    pub fn is_stale(&self, now: f64) -> bool {
        !self.has_data() || self.invalidated || now >= self.data_updated_at + self.opts.stale_time
    }

    /// Observed (timers, gc). See `is_active` for TanStack's meaning.
    pub fn active(&self) -> bool {
        self.observers > 0
    }

    /// TanStack's `isActive()`: observed and enabled (what `type: 'active'` and the default
    /// `refetchType` of invalidateQueries pick).
    pub fn is_active(&self) -> bool {
        self.active() && self.opts.enabled
    }

    /// Whether something is in flight (or paused) for it.
    pub fn in_flight(&self) -> bool {
        self.ticket != 0
    }

    /// The moment `is_stale` flips to true on its own, if it has not yet.
    pub fn stale_at(&self, now: f64) -> Option<f64> {
        if self.is_stale(now) || !self.opts.stale_time.is_finite() {
            return None;
        }
        Some(self.data_updated_at + self.opts.stale_time)
    }

    pub fn gc_at(&self) -> Option<f64> {
        match (self.inactive_since, self.ticket) {
            (Some(since), 0) if self.opts.gc_time.is_finite() => Some(since + self.opts.gc_time),
            _ => None,
        }
    }

    /// The earliest moment this query has timer work: a retry, a stale flip or an interval
    /// refetch while observed, a gc while not.
    pub fn wake_at(&self, now: f64) -> Option<f64> {
        let active = self.active();
        [
            self.retry_at,
            if active { self.stale_at(now) } else { None },
            if active { self.interval_at } else { None },
            if active { None } else { self.gc_at() },
        ]
        .into_iter()
        .flatten()
        .reduce(f64::min)
    }

    /// The state object the JS side shows (`data` is added there from the snapshot).
    pub fn state(&self, now: f64) -> StateOut<'_> {
        StateOut {
            status: self.status,
            fetch_status: self.fetch,
            data_updated_at: self.data_updated_at,
            error: self.error.as_ref(),
            error_updated_at: self.error_updated_at,
            is_stale: self.is_stale(now),
            failure_count: self.failure_count,
        }
    }
}

fn sending(online: bool) -> FetchStatus {
    if online {
        FetchStatus::Fetching
    } else {
        FetchStatus::Paused
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateOut<'a> {
    pub status: Status,
    pub fetch_status: FetchStatus,
    pub data_updated_at: f64,
    pub error: Option<&'a ErrorInfo>,
    pub error_updated_at: f64,
    pub is_stale: bool,
    pub failure_count: u32,
}
