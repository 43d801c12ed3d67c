//! The steps of a run that make a request or answer one: a new mutation, the answer to the one in
//! flight (success, errors, conflicts under each policy) and late answers to old tickets.

use super::*;

impl Sim {
    pub fn mutate(&mut self) {
        let id = format!("m{}", self.next);
        let (ops, method, url, body) = match self.rng.below(100) {
            0..=44 => {
                let t = *self.rng.pick(&TASK_IDS);
                let op = self.update_op(t);
                let body = op["patch"].clone();
                (vec![op], "PATCH", format!("/tasks/{t}"), Some(body))
            }
            45..=64 => {
                let op = self.insert_op();
                let body = op["data"].clone();
                (vec![op], "POST", "/tasks".to_owned(), Some(body))
            }
            65..=79 => {
                let t = *self.rng.pick(&TASK_IDS);
                let op = json!({ "op": "delete", "type": "Task", "id": t });
                (vec![op], "DELETE", format!("/tasks/{t}"), None)
            }
            _ => {
                let a = *self.rng.pick(&TASK_IDS);
                let first = self.update_op(a);
                let second = if self.rng.chance(50) {
                    let b = *self.rng.pick(&TASK_IDS);
                    self.update_op(b)
                } else {
                    self.insert_op()
                };
                let ops = vec![first, second];
                (ops, "POST", "/batch".to_owned(), Some(json!({ "n": 2 })))
            }
        };
        self.next += 1;
        let mut m = Self::model_mutation(&id, &ops, method);
        m.policy = *self.rng.pick(&["server-wins", "client-wins", "manual"]);
        m.retry = self.rng.below(3) as u32;
        m.shape = self.rng.chance(50);
        let mut request = json!({ "method": method, "url": url });
        if let Some(b) = body {
            request["body"] = b;
        }
        let mut desc = json!({
            "request": request,
            "optimistic": ops,
            "conflict": m.policy,
            "retry": m.retry,
            "retryDelay": 10,
        });
        if m.shape {
            desc["shape"] = json!("Task");
        }
        self.trace
            .push(format!("{id} = mutate {}", desc["optimistic"]));
        let out = match self.s.mutate(&id, &desc.to_string(), self.now) {
            Ok(out) => out,
            Err(e) => self.fail(&format!("mutate {id} refused: {e}")),
        };
        self.model.muts.push(m);
        self.absorb("mutate", &out, Vec::new());
    }

    pub fn conflict_outcome(&mut self, i: usize, current: &Value, expected: &mut Expected) {
        self.model.write_server(norm_task(current));
        let m = &mut self.model.muts[i];
        match m.policy {
            "server-wins" => {
                expected.push((m.id.clone(), Err("CONFLICT")));
                self.model.muts.remove(i);
            }
            "client-wins" => m.status = St::Queued,
            _ => m.status = St::Conflict,
        }
    }

    pub fn settle_inflight(&mut self) {
        let Some((id, ticket)) = self.inflight.take() else {
            return;
        };
        let Some(i) = self.model.muts.iter().position(|m| m.id == id) else {
            self.fail(&format!("{id} is in flight but not in the model"));
        };
        let m = self.model.muts[i].clone();
        self.model.muts[i].status = St::Queued;
        let mut expected = Vec::new();
        let current = m.subject.as_ref().and_then(|k| self.server.view(k));
        let result = if m.reading {
            match (self.rng.below(10), current) {
                (0..=1, _) => {
                    self.trace.push(format!("{id} GET: network error"));
                    network()
                }
                (3..=9, Some(c)) => {
                    self.trace.push(format!("{id} GET: 200 {c}"));
                    self.model.muts[i].reading = false;
                    self.conflict_outcome(i, &c, &mut expected);
                    if self.rng.chance(50) {
                        ok(c)
                    } else {
                        ok(json!({ "current": c }))
                    }
                }
                _ => {
                    self.trace.push(format!("{id} GET: 404"));
                    self.model.muts[i].reading = false;
                    self.model.muts[i].status = St::Failed;
                    expected.push((id.clone(), Err("CONFLICT")));
                    http(404, "")
                }
            }
        } else {
            let roll = self.rng.below(100);
            match roll {
                77..=91 if current.is_some() && m.subject.is_some() => {
                    let c = current.unwrap_or_default();
                    let status = if self.rng.chance(80) { 409 } else { 412 };
                    match self.rng.below(4) {
                        0 => {
                            self.trace.push(format!("{id}: {status} without a body"));
                            self.model.muts[i].reading = true;
                            http(status, "")
                        }
                        1 => {
                            self.trace.push(format!("{id}: {status} {{current: {c}}}"));
                            self.conflict_outcome(i, &c, &mut expected);
                            http(status, &json!({ "current": c }).to_string())
                        }
                        _ => {
                            self.trace.push(format!("{id}: {status} {c}"));
                            self.conflict_outcome(i, &c, &mut expected);
                            http(status, &c.to_string())
                        }
                    }
                }
                40..=51 => {
                    let status = *self.rng.pick(&[400u16, 403, 404, 422]);
                    self.trace.push(format!("{id}: {status}"));
                    self.model.muts[i].status = St::Failed;
                    expected.push((id.clone(), Err("HTTP")));
                    http(status, "{\"error\":\"no\"}")
                }
                52..=64 => {
                    let status = *self.rng.pick(&[500u16, 502, 503]);
                    let mm = &mut self.model.muts[i];
                    if mm.failures < mm.retry {
                        mm.failures += 1;
                        self.trace
                            .push(format!("{id}: {status} (retry {})", mm.failures));
                    } else {
                        mm.status = St::Failed;
                        expected.push((id.clone(), Err("HTTP")));
                        self.trace.push(format!("{id}: {status} (final)"));
                    }
                    http(status, "<html>error</html>")
                }
                65..=76 => {
                    self.trace.push(format!("{id}: network error"));
                    network()
                }
                92..=99 => {
                    self.trace.push(format!("{id}: 401"));
                    self.paused = true;
                    http(401, "")
                }
                _ => {
                    // Success: the server applies the ops; the answer may echo the entity.
                    self.server.apply(&m.ops);
                    let echo_key = m.created.clone().or(m.subject.clone());
                    let echo = echo_key.and_then(|k| self.server.view(&k));
                    let body = match echo {
                        Some(e) if m.shape && self.rng.chance(80) => {
                            self.model.commit(&m);
                            self.model.write_server(norm_task(&e));
                            e.to_string()
                        }
                        _ => {
                            self.model.commit(&m);
                            if m.shape || self.rng.chance(50) {
                                String::new()
                            } else {
                                "{\"ok\":true}".to_owned()
                            }
                        }
                    };
                    self.trace.push(format!("{id}: 200 {body}"));
                    self.model.muts.remove(i);
                    expected.push((id.clone(), Ok(())));
                    http(if self.rng.chance(50) { 200 } else { 201 }, &body)
                }
            }
        };
        let random = self.rng.unit();
        let out = self
            .s
            .settle_mutation(&id, ticket, result, self.now, random);
        self.absorb("settle", &out, expected);
    }

    pub fn stale_answer(&mut self) {
        let old: Vec<(String, u64)> = self
            .sent
            .iter()
            .filter(|x| Some(*x) != self.inflight.as_ref())
            .cloned()
            .collect();
        if old.is_empty() {
            return;
        }
        let (id, ticket) = self.rng.pick(&old).clone();
        self.trace.push(format!("late answer to {id} #{ticket}"));
        let result = match self.rng.below(3) {
            0 => http(200, ""),
            1 => http(409, ""),
            _ => http(500, ""),
        };
        let out = self.s.settle_mutation(&id, ticket, result, self.now, 0.5);
        if !out.changes.is_empty() {
            self.fail(&format!("a late answer changed data: {:?}", out.changes));
        }
        self.absorb("late answer", &out, Vec::new());
    }
}
