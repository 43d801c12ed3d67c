//! The other steps of a run: refetches, server edits, time, the network, flush, retry, discard,
//! resolve, and `step`, which picks one.

use super::*;

impl Sim {
    pub fn refetch(&mut self, hash: &'static str) {
        let all = self.server.list();
        let (data, shape, keys, total) = if hash == LIST {
            (Value::Array(all.clone()), list_shape(), all.clone(), 0)
        } else {
            let items: Vec<Value> = all.iter().take(2).cloned().collect();
            let total = all.len();
            (
                json!({ "items": items, "total": total }),
                page_shape(),
                items,
                total,
            )
        };
        self.trace.push(format!("refetch {hash}: {data}"));
        for t in &keys {
            self.model.write_server(norm_task(t));
        }
        let keys: Vec<String> = keys.iter().map(|t| task_key(&t["id"])).collect();
        if hash == LIST {
            self.model.list = keys;
        } else {
            self.model.page = keys;
            self.model.page_total = total;
        }
        let out = match self.s.set_query_data(
            hash,
            &key_for(hash),
            &data.to_string(),
            &shape.to_string(),
            self.now,
        ) {
            Ok(out) => out,
            Err(e) => self.fail(&format!("refetch {hash} refused: {e}")),
        };
        self.absorb("refetch", &out, Vec::new());
    }

    pub fn server_edit(&mut self) {
        if self.rng.chance(30) {
            let u = *self.rng.pick(&USERS);
            let name = self.word();
            if let Value::String(n) = name {
                self.trace.push(format!("server: user {u} renamed {n}"));
                self.server.users.insert(u.to_owned(), n);
            }
            return;
        }
        if self.server.tasks.is_empty() {
            return;
        }
        let i = self.rng.below(self.server.tasks.len());
        let field = *self.rng.pick(&["title", "note"]);
        let value = self.word();
        let t = &mut self.server.tasks[i].1;
        t.insert(field.to_owned(), value);
        let v = t["version"].as_u64().unwrap_or(0) + 1;
        t.insert("version".into(), json!(v));
        self.trace.push(format!(
            "server: {} {field} changed",
            self.server.tasks[i].0
        ));
    }

    pub fn tick(&mut self) {
        self.now += 31_000.0;
        self.trace.push("tick".to_owned());
        let out = self.s.tick(self.now);
        self.absorb("tick", &out, Vec::new());
        self.live("tick");
    }

    pub fn toggle_online(&mut self) {
        self.online = !self.online;
        self.trace.push(format!("online = {}", self.online));
        let out = self.s.set_online(self.online, self.now);
        self.absorb("set_online", &out, Vec::new());
        if self.online {
            self.live("set_online(true)");
        }
    }

    pub fn flush(&mut self) {
        self.paused = false;
        self.trace.push("flush".to_owned());
        let out = self.s.flush(self.now);
        self.absorb("flush", &out, Vec::new());
        self.live("flush");
    }

    pub fn retry_failed(&mut self) {
        let failed: Vec<usize> = (0..self.model.muts.len())
            .filter(|&i| self.model.muts[i].status == St::Failed)
            .collect();
        if failed.is_empty() {
            return;
        }
        let i = *self.rng.pick(&failed);
        let mut m = self.model.muts.remove(i);
        m.status = St::Queued;
        m.failures = 0;
        m.reading = false;
        let id = m.id.clone();
        self.model.muts.push(m);
        self.trace.push(format!("retry {id}"));
        match self.s.retry_mutation(&id, self.now) {
            Ok(out) => self.absorb("retry", &out, Vec::new()),
            Err(e) => self.fail(&format!("retry {id} refused: {e}")),
        }
    }

    pub fn discard(&mut self) {
        if self.model.muts.is_empty() {
            return;
        }
        let i = self.rng.below(self.model.muts.len());
        let id = self.model.muts[i].id.clone();
        self.trace.push(format!("discard {id}"));
        if self.model.muts[i].status == St::Inflight {
            if self.s.discard_mutation(&id, self.now).is_ok() {
                self.fail(&format!("discarding {id} in flight was accepted"));
            }
            return;
        }
        let m = self.model.muts.remove(i);
        let expected = if m.status == St::Failed {
            Vec::new()
        } else {
            vec![(id.clone(), Err("CANCELLED"))]
        };
        match self.s.discard_mutation(&id, self.now) {
            Ok(out) => self.absorb("discard", &out, expected),
            Err(e) => self.fail(&format!("discard {id} refused: {e}")),
        }
    }

    pub fn resolve(&mut self) {
        let open: Vec<usize> = (0..self.model.muts.len())
            .filter(|&i| self.model.muts[i].status == St::Conflict)
            .collect();
        if open.is_empty() {
            return;
        }
        let i = *self.rng.pick(&open);
        let id = self.model.muts[i].id.clone();
        let mut expected = Vec::new();
        let choice = match self.rng.below(3) {
            0 => {
                self.model.muts[i].status = St::Queued;
                json!("local")
            }
            1 => {
                self.model.muts.remove(i);
                expected.push((id.clone(), Err("CONFLICT")));
                json!("server")
            }
            _ => {
                let value = json!({ "title": self.word() });
                let m = &mut self.model.muts[i];
                let subject = m.subject.clone().unwrap_or_default();
                for w in &mut m.writes {
                    if let MWrite::Merge(k, f) = w {
                        if *k == subject {
                            f.insert("title".into(), value["title"].clone());
                        }
                    }
                }
                m.status = St::Queued;
                value
            }
        };
        self.trace.push(format!("resolve {id} {choice}"));
        match self.s.resolve_conflict(&id, &choice.to_string(), self.now) {
            Ok(out) => self.absorb("resolve", &out, expected),
            Err(e) => self.fail(&format!("resolve {id} refused: {e}")),
        }
    }

    pub fn step(&mut self) {
        self.now += 1.0 + self.rng.below(50) as f64;
        let active = self
            .model
            .muts
            .iter()
            .filter(|m| m.status != St::Failed)
            .count();
        match self.rng.below(100) {
            0..=21 if active < 6 => self.mutate(),
            0..=49 => self.settle_inflight(),
            50..=57 => self.refetch(LIST),
            58..=62 => self.refetch(PAGE),
            63..=68 => self.server_edit(),
            69..=75 => self.tick(),
            76..=79 => self.toggle_online(),
            80..=83 => self.flush(),
            84..=87 => self.retry_failed(),
            88..=91 => self.discard(),
            92..=96 => self.resolve(),
            _ => self.stale_answer(),
        }
        let last = self.trace.last().cloned().unwrap_or_default();
        self.check(&last);
    }
}
