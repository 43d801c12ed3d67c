//! Randomized sequences of every query call and answer: after every step no impossible state
//! appears (a live request per query at most, no idle query with a ticket, no missed wake-up).

use crate::core::batch::output_json;
use crate::core::tests::support::queries::*;

/// One query of the pool: hash, key, shape, and whether it has a url.
struct Spec {
    hash: &'static str,
    key: Value,
    shape: Value,
    source: bool,
    opts: Value,
}

fn pool(rng: &mut Rng) -> Vec<Spec> {
    let raw = [
        ("t", json!(["todos"]), json!(["Todo"]), true),
        ("t1", json!(["todos", 1]), json!("Todo"), true),
        (
            "tp",
            json!(["todos", { "page": 2 }]),
            json!({ "items": ["Todo"] }),
            true,
        ),
        ("u", json!(["users"]), json!(["User"]), true),
        ("u1", json!(["users", 1]), json!("User"), true),
        ("n", json!(["local"]), json!(null), false),
    ];
    raw.into_iter()
        .map(|(hash, key, shape, source)| {
            let mut opts = json!({
                "shape": shape,
                "staleTime": rng.pick(&[json!(0), json!(500), json!(5000), json!("Infinity")]).clone(),
                "gcTime": rng.pick(&[json!(0), json!(1000), json!(10_000), json!("Infinity")]).clone(),
                "retry": rng.below(4),
                "retryDelay": rng.pick(&[0, 100, 1000]).to_owned(),
                "refetchInterval": rng.pick(&[json!(null), json!(700), json!(3000)]).clone(),
                "enabled": rng.chance(85),
                "refetchOnWindowFocus": rng.chance(70),
                "refetchOnReconnect": rng.chance(70),
            });
            if source {
                opts["url"] = json!(format!("/{hash}"));
            }
            Spec { hash, key, shape, source, opts }
        })
        .collect()
}

/// Data that fits `shape`.
fn good_data(rng: &mut Rng, shape: &Value) -> Value {
    let todo = |rng: &mut Rng| {
        json!({ "id": rng.below(4) + 1, "title": *rng.pick(&["a", "b"]),
                "assignee": { "id": *rng.pick(&["u1", "u2"]) } })
    };
    match shape {
        Value::String(t) if t == "Todo" => todo(rng),
        Value::String(_) => json!({ "id": *rng.pick(&["u1", "u2"]), "todos": [todo(rng)] }),
        Value::Array(a) if a[0] == json!("Todo") => (0..rng.below(3)).map(|_| todo(rng)).collect(),
        Value::Array(_) => json!([{ "id": "u1", "todos": [todo(rng)] }]),
        Value::Object(_) => json!({ "items": [todo(rng)], "total": 1 }),
        _ => json!({ "n": rng.below(100) }),
    }
}

const RETRY_AFTERS: [&str; 3] = ["0", "1", "x"];

/// Success bodies that are not JSON data.
const UNREADABLE: [&str; 3] = ["", "<html>", "{"];

fn random_result(rng: &mut Rng, shape: &Value) -> Settle {
    match rng.below(14) {
        0..=4 => ok(good_data(rng, shape)),
        5 | 6 => http(500, "boom"),
        7 => http(404, ""),
        8 => http(401, ""),
        9 => http_retry_after(*rng.pick(&[408, 429, 503]), RETRY_AFTERS[rng.below(3)]),
        10 => network(),
        11 => Settle::Failed(ErrorInfo::new("TIMEOUT", "slow")),
        12 => http(*rng.pick(&[200, 204]), UNREADABLE[rng.below(3)]),
        _ => ok(rng
            .pick(&[
                json!(5),
                json!([5]),
                json!({ "items": 3 }),
                json!([{ "x": 1 }]),
            ])
            .clone()),
    }
}

/// A request the "browser" has in flight.
struct Flight {
    hash: String,
    ticket: u64,
    /// False once the engine aborted it (its answer may still arrive and must be ignored).
    live: bool,
}

struct Sim {
    s: Store,
    rng: Rng,
    specs: Vec<Spec>,
    flights: Vec<Flight>,
    observers: Vec<u32>,
    online: bool,
    now: f64,
    wake: Option<f64>,
    max_ticket: u64,
    log: Vec<String>,
}

impl Sim {
    fn fail(&self, msg: &str) -> ! {
        let tail: Vec<&String> = self.log.iter().rev().take(12).collect();
        panic!("{msg}\nlast steps (newest first):\n{tail:#?}");
    }

    fn check(&self, cond: bool, msg: impl FnOnce() -> String) {
        if !cond {
            self.fail(&msg());
        }
    }

    /// Applies the actions of an output to the simulated browser and checks it.
    fn absorb(&mut self, out: &Output) {
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
            if let Some(i) = self.specs.iter().position(|s| s.hash == h.as_str()) {
                self.observers[i] = 0;
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
    fn invariants(&self) {
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

    fn step(&mut self) {
        // Time moves forward: by a random amount, or to the next wake-up.
        let before_tick_wake = self.wake;
        match (self.rng.below(3), self.wake) {
            (0, Some(w)) if w > self.now => self.now = w,
            _ => self.now += *self.rng.pick(&[0.0, 1.0, 50.0, 400.0, 1500.0, 6000.0]),
        }
        let now = self.now;
        let i = self.rng.below(self.specs.len());
        let (hash, key, shape) = {
            let sp = &self.specs[i];
            (sp.hash, sp.key.to_string(), sp.shape.clone())
        };
        let opts = self.specs[i].opts.to_string();
        let prefixes = [
            json!(["todos"]),
            json!(["todos", 1]),
            json!(["todos", { "page": 2 }]),
            json!(["users"]),
            json!(["local"]),
            json!(["nothing"]),
            json!([]),
        ];
        let prefix = self.rng.pick(&prefixes).to_string();
        let out = match self.rng.below(100) {
            0..=14 => {
                // Most observers pass the query's options; some only watch (no source), some
                // pass a different `enabled`.
                let opts = match self.rng.below(10) {
                    0 | 1 => json!({ "shape": shape }).to_string(),
                    2 => {
                        let mut o = self.specs[i].opts.clone();
                        o["enabled"] = json!(!o["enabled"].as_bool().unwrap_or(true));
                        o.to_string()
                    }
                    _ => opts,
                };
                self.log.push(format!("{now}: observe {hash} {opts}"));
                self.observers[i] += 1;
                self.s.observe(hash, &key, &opts, now).expect("observe")
            }
            15..=24 => {
                self.log.push(format!("{now}: unobserve {hash}"));
                self.observers[i] = self.observers[i].saturating_sub(1);
                self.s.unobserve(hash, now)
            }
            25..=49 => {
                if self.flights.is_empty() {
                    self.log.push(format!("{now}: tick (no flights)"));
                    self.s.tick(now)
                } else {
                    let f = self.flights.swap_remove(self.rng.below(self.flights.len()));
                    let spec_shape = self
                        .specs
                        .iter()
                        .find(|s| s.hash == f.hash)
                        .map(|s| s.shape.clone())
                        .unwrap_or(Value::Null);
                    let result = random_result(&mut self.rng, &spec_shape);
                    let random = self.rng.unit();
                    self.log.push(format!(
                        "{now}: settle {} #{} (live {}) {result:?}",
                        f.hash, f.ticket, f.live
                    ));
                    let meta_before = self.s.meta(&f.hash).cloned();
                    let data_before = self.s.read_query(&f.hash);
                    let out = self.s.settle(&f.hash, f.ticket, result, now, random);
                    if !f.live {
                        self.check(
                            out.actions.is_empty()
                                && out.states.is_empty()
                                && out.changes.is_empty()
                                && out.removed_queries.is_empty(),
                            || format!("an aborted request's answer had effects: {out:?}"),
                        );
                        self.check(
                            self.s.meta(&f.hash).cloned() == meta_before
                                && self.s.read_query(&f.hash) == data_before,
                            || "an aborted request's answer changed the query".to_owned(),
                        );
                    }
                    out
                }
            }
            50..=51 => {
                // An answer nobody asked for (a ticket never issued, or 0).
                let t = *self.rng.pick(&[0, self.max_ticket + 1000]);
                self.log.push(format!("{now}: bogus settle {hash} #{t}"));
                let before = self.s.meta(hash).cloned();
                let out = self
                    .s
                    .settle(hash, t, ok(good_data(&mut self.rng, &shape)), now, 0.5);
                self.check(self.s.meta(hash).cloned() == before, || {
                    "bogus ticket landed".to_owned()
                });
                out
            }
            52..=66 => {
                self.log.push(format!("{now}: tick"));
                let out = self.s.tick(now);
                // Nothing due before the announced wake-up is ever missed.
                if before_tick_wake.map_or(true, |w| now < w) {
                    self.check(
                        out.actions.is_empty() && out.removed_queries.is_empty(),
                        || format!("tick before wake_at {before_tick_wake:?} did work: {out:?}"),
                    );
                }
                out
            }
            67..=71 => {
                self.online = !self.online;
                self.log.push(format!("{now}: set_online {}", self.online));
                self.s.set_online(self.online, now)
            }
            72..=76 => {
                self.log.push(format!("{now}: focus"));
                self.s.focus(now)
            }
            77..=81 => {
                self.log.push(format!("{now}: invalidate {prefix}"));
                self.s.invalidate(&prefix, now).expect("invalidate")
            }
            82..=85 => {
                self.log.push(format!("{now}: refetch {prefix}"));
                self.s.refetch(&prefix, now).expect("refetch")
            }
            86..=89 => {
                self.log.push(format!("{now}: cancel {prefix}"));
                self.s.cancel(&prefix, now).expect("cancel")
            }
            90..=91 => {
                self.log.push(format!("{now}: remove {prefix}"));
                self.s.remove(&prefix, now).expect("remove")
            }
            92..=96 => {
                self.log.push(format!("{now}: fetch {hash}"));
                match self.s.fetch(hash, &key, &opts, now) {
                    Ok(out) => out,
                    Err(e) => {
                        self.check(!self.specs[i].source, || format!("fetch failed: {e}"));
                        return;
                    }
                }
            }
            _ => {
                let data = good_data(&mut self.rng, &shape);
                self.log.push(format!("{now}: put {hash} {data}"));
                let out = self
                    .s
                    .set_query_data(hash, &key, &data.to_string(), &shape.to_string(), now)
                    .expect("set_query_data");
                self.check(
                    self.s
                        .meta(hash)
                        .is_some_and(|m| m.status() == Status::Success),
                    || format!("not success after set_query_data: {:?}", self.s.meta(hash)),
                );
                out
            }
        };
        self.absorb(&out);
        self.invariants();
    }
}

#[test]
fn random_sequences_never_build_impossible_states() {
    for seed in 1..=300u64 {
        let mut rng = Rng::new(seed);
        let specs = pool(&mut rng);
        let n = specs.len();
        let mut sim = Sim {
            s: store(),
            rng,
            specs,
            flights: Vec::new(),
            observers: vec![0; n],
            online: true,
            now: T0,
            wake: None,
            max_ticket: 0,
            log: vec![format!("seed {seed}")],
        };
        for _ in 0..400 {
            sim.step();
        }
    }
}
