//! The simulated browser: the requests it has in flight, and the checks of every output and of
//! every query's state after each step.

use super::*;
use crate::core::batch::output_json;

/// A request the "browser" has in flight.
pub struct Flight {
    pub hash: String,
    pub ticket: u64,
    /// False once the engine aborted it (its answer may still arrive and must be ignored).
    pub live: bool,
}

pub struct Sim {
    pub s: Store,
    pub rng: Rng,
    pub specs: Vec<Spec>,
    pub flights: Vec<Flight>,
    pub observers: Vec<u32>,
    pub online: bool,
    pub now: f64,
    pub wake: Option<f64>,
    pub max_ticket: u64,
    pub log: Vec<String>,
}

impl Sim {
    pub fn fail(&self, msg: &str) -> ! {
        let tail: Vec<&String> = self.log.iter().rev().take(12).collect();
        panic!("{msg}\nlast steps (newest first):\n{tail:#?}");
    }

    pub fn check(&self, cond: bool, msg: impl FnOnce() -> String) {
        if !cond {
            self.fail(&msg());
        }
    }

    /// Applies the actions of an output to the simulated browser and checks it.
    pub fn absorb(&mut self, out: &Output) {
        for a in &out.actions {
            if matches!(a, Action::Send { .. }) {
                continue;
            }
            match a {
                Action::Abort { hash, ticket } => {
                    self.check(*ticket != 0, || format!("Abort of ticket 0 for {hash}"));
                    for f in &mut self.flights {
                        if &f.hash == hash && f.ticket == *ticket {
                            f.live = false;
                        }
                    }
                }
                Action::Fetch {
                    hash, ticket, url, ..
                } => {
                    self.check(*ticket != 0, || format!("Fetch with ticket 0 for {hash}"));
                    self.check(
                        !self.flights.iter().any(|f| f.live && &f.hash == hash),
                        || format!("a second live request for {hash} (ticket {ticket})"),
                    );
                    let spec = self.specs.iter().find(|s| s.hash == hash.as_str());
                    self.check(
                        spec.is_some_and(|s| {
                            s.source && url.as_deref() == Some(&*format!("/{hash}"))
                        }),
                        || format!("Fetch of {hash} with url {url:?}"),
                    );
                    self.max_ticket = self.max_ticket.max(*ticket);
                    self.flights.push(Flight {
                        hash: hash.clone(),
                        ticket: *ticket,
                        live: true,
                    });
                }
                _ => {}
            }
        }
        for h in &out.removed_queries {
            // A removed query something observes starts again with its observers.
            let restarted = self.s.meta(h).is_some();
            if let Some(i) = self.specs.iter().position(|s| s.hash == h.as_str()) {
                if !restarted {
                    self.observers[i] = 0;
                }
            }
        }
        self.check(out.wake_at == self.s.next_wake(self.now), || {
            format!(
                "wake_at {:?} != next_wake {:?}",
                out.wake_at,
                self.s.next_wake(self.now)
            )
        });
        self.check(out.wake_at.map_or(true, f64::is_finite), || {
            "non-finite wake_at".to_owned()
        });
        let text = output_json(&self.s, out, 0, self.now);
        self.check(serde_json::from_str::<Value>(&text).is_ok(), || {
            format!("bad batch {text}")
        });
        self.wake = out.wake_at;
    }

    /// The invariants every query satisfies after every step.
    pub fn invariants(&self) {
        for (i, spec) in self.specs.iter().enumerate() {
            let h = spec.hash;
            let Some(m) = self.s.meta(h) else {
                self.check(!self.flights.iter().any(|f| f.live && f.hash == h), || {
                    format!("{h}: a live request for a removed query")
                });
                continue;
            };
            let ctx = || format!("{h}: {m:?}");
            self.check(m.status() != Status::Error || m.error().is_some(), || {
                format!("status error without an error; {}", ctx())
            });
            self.check(m.status() == Status::Error || m.error().is_none(), || {
                format!("an error without status error; {}", ctx())
            });
            self.check(
                m.fetch_status() == FetchStatus::Idle || m.ticket() != 0,
                || format!("fetching/paused without a ticket; {}", ctx()),
            );
            self.check(
                m.fetch_status() != FetchStatus::Idle || m.ticket() == 0,
                || format!("idle with a ticket (a late answer would land); {}", ctx()),
            );
            self.check(
                m.fetch_status() != FetchStatus::Idle || m.retry_at().is_none(),
                || format!("idle with a retry scheduled; {}", ctx()),
            );
            self.check(
                m.fetch_status() != FetchStatus::Paused || !self.online,
                || format!("paused while online; {}", ctx()),
            );
            self.check(
                m.fetch_status() != FetchStatus::Paused || m.retry_at().is_none(),
                || format!("paused with a retry scheduled; {}", ctx()),
            );
            let live = self
                .flights
                .iter()
                .filter(|f| f.live && f.hash == h)
                .collect::<Vec<_>>();
            self.check(live.len() <= 1, || {
                format!("several live requests; {}", ctx())
            });
            if let Some(f) = live.first() {
                self.check(
                    f.ticket == m.ticket()
                        && m.fetch_status() == FetchStatus::Fetching
                        && m.retry_at().is_none(),
                    || format!("live request {} does not match; {}", f.ticket, ctx()),
                );
            }
            if m.fetch_status() == FetchStatus::Fetching {
                // Either a request is out or a retry is scheduled: never stuck.
                self.check(live.len() == 1 || m.retry_at().is_some(), || {
                    format!("fetching with nothing in flight and no retry; {}", ctx())
                });
            }
            self.check(
                m.status() != Status::Success || self.s.query(h).is_some(),
                || format!("success without data; {}", ctx()),
            );
            self.check(m.status() != Status::Pending || !m.has_data(), || {
                format!("pending with data; {}", ctx())
            });
            self.check(m.observers() == self.observers[i], || {
                format!("observers {} expected {}", m.observers(), self.observers[i])
            });
            self.check((m.observers() == 0) == m.inactive_since().is_some(), || {
                format!("inactive_since disagrees with observers; {}", ctx())
            });
        }
    }
}
