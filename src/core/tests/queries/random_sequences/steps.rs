//! One random step: time moves on, then one call (observe, unobserve, an answer, a bogus answer,
//! tick, the network, focus, a prefix call, fetch or setQueryData) is made and its output checked.

use super::*;

impl Sim {
    pub fn step(&mut self) {
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
