//! The simulated app: a store, the model and the server side by side, the random ops it makes,
//! and the checks after every step (what was sent and settled, what is visible, the queue).

use super::*;

pub struct Sim {
    pub seed: u64,
    pub s: Store,
    pub rng: Rng,
    pub now: f64,
    pub model: Model,
    pub server: Server,
    pub online: bool,
    pub paused: bool,
    pub inflight: Option<(String, u64)>,
    pub sent: Vec<(String, u64)>,
    pub next: u32,
    pub keys: BTreeSet<String>,
    pub trace: Vec<String>,
}

pub type Expected = Vec<(String, std::result::Result<(), &'static str>)>;

impl Sim {
    pub fn new(seed: u64) -> Sim {
        let mut sim = Sim {
            seed,
            s: new_store(),
            rng: Rng::new(seed),
            now: T0,
            model: Model::default(),
            server: Server::default(),
            online: true,
            paused: false,
            inflight: None,
            sent: Vec::new(),
            next: 0,
            keys: BTreeSet::new(),
            trace: Vec::new(),
        };
        for t in seed_tasks().as_array().into_iter().flatten() {
            let mut fields = Rec::new();
            sim.server
                .set_fields(&mut fields, t.as_object().expect("task"));
            sim.server.tasks.push((task_key(&t["id"]), fields));
        }
        for id in TASK_IDS {
            sim.keys.insert(format!("Task:{id}"));
        }
        for u in USERS {
            sim.keys.insert(format!("User:{u}"));
        }
        sim.refetch(LIST);
        sim.refetch(PAGE);
        sim.check("seed");
        sim
    }

    pub fn fail(&self, msg: &str) -> ! {
        let from = self.trace.len().saturating_sub(40);
        panic!(
            "seed {}: {msg}\nlast steps:\n  {}",
            self.seed,
            self.trace[from..].join("\n  ")
        );
    }

    pub fn word(&mut self) -> Value {
        json!(*self.rng.pick(&WORDS))
    }

    pub fn user(&mut self) -> Value {
        if self.rng.chance(30) {
            Value::Null
        } else {
            let u = *self.rng.pick(&USERS);
            json!({ "id": u, "name": self.word() })
        }
    }

    pub fn patch(&mut self) -> Value {
        let mut p = Map::new();
        while p.is_empty() {
            if self.rng.chance(50) {
                p.insert("title".into(), self.word());
            }
            if self.rng.chance(30) {
                p.insert("done".into(), json!(self.rng.chance(50)));
            }
            if self.rng.chance(30) {
                p.insert("note".into(), self.word());
            }
            if self.rng.chance(25) {
                p.insert("assignee".into(), self.user());
            }
        }
        Value::Object(p)
    }

    pub fn update_op(&mut self, id: u64) -> Value {
        json!({ "op": "update", "type": "Task", "id": id, "patch": self.patch() })
    }

    pub fn insert_op(&mut self) -> Value {
        // Fixed width, like the UUIDs of tempId(): no id is a substring of another.
        let tmp = format!("tmp-{:04}", self.next);
        self.keys.insert(format!("Task:{tmp}"));
        let mut data = json!({ "id": tmp, "title": self.word(), "done": false, "note": "" });
        if self.rng.chance(40) {
            data["assignee"] = self.user();
        }
        let mut into = Vec::new();
        if self.rng.chance(70) {
            into.push(json!({ "hash": LIST, "position": if self.rng.chance(50) { "start" } else { "end" } }));
        }
        if self.rng.chance(50) {
            let path = if self.rng.chance(50) {
                json!(["items"])
            } else {
                json!("items")
            };
            let mut target = json!({ "hash": PAGE, "path": path });
            if self.rng.chance(70) {
                target["position"] = json!(if self.rng.chance(50) { "start" } else { "end" });
            }
            into.push(target);
        }
        let mut op = json!({ "op": "insert", "type": "Task", "data": data });
        if !into.is_empty() || self.rng.chance(50) {
            op["into"] = Value::Array(into);
        }
        op
    }

    /// The model's view of a description's ops.
    pub fn model_mutation(id: &str, ops: &[Value], method: &str) -> MMutation {
        let mut m = MMutation {
            id: id.to_owned(),
            ops: ops.to_vec(),
            writes: Vec::new(),
            inserts: Vec::new(),
            subject: None,
            created: None,
            method: method.to_owned(),
            policy: "server-wins",
            retry: 0,
            failures: 0,
            shape: false,
            status: St::Queued,
            reading: false,
        };
        for op in ops {
            match op["op"].as_str() {
                Some("update") => {
                    let mut obj = json!({ "id": op["id"] });
                    if let (Some(o), Some(p)) = (obj.as_object_mut(), op["patch"].as_object()) {
                        o.extend(p.clone());
                    }
                    for (k, r) in norm_task(&obj) {
                        m.writes.push(MWrite::Merge(k, r));
                    }
                    m.subject.get_or_insert_with(|| task_key(&op["id"]));
                }
                Some("delete") => {
                    m.writes.push(MWrite::Delete(task_key(&op["id"])));
                    m.subject.get_or_insert_with(|| task_key(&op["id"]));
                }
                Some("insert") => {
                    let key = task_key(&op["data"]["id"]);
                    for (k, r) in norm_task(&op["data"]) {
                        m.writes.push(MWrite::Merge(k, r));
                    }
                    for t in op["into"].as_array().into_iter().flatten() {
                        m.inserts.push(MInsert {
                            hash: if t["hash"] == LIST { LIST } else { PAGE },
                            start: t["position"] == "start",
                            key: key.clone(),
                        });
                    }
                    m.created.get_or_insert(key);
                }
                _ => unreachable!(),
            }
        }
        m
    }

    pub fn absorb(&mut self, what: &str, out: &Output, mut expected: Expected) {
        let sent = sends(out);
        if sent.len() > 1 {
            self.fail(&format!("{what}: more than one Send: {:?}", out.actions));
        }
        if let Some(x) = sent.first() {
            if let Some((id, _)) = &self.inflight {
                self.fail(&format!("{what}: sent {} while {id} is in flight", x.id));
            }
            let Some(i) = self.model.muts.iter().position(|m| m.status == St::Queued) else {
                self.fail(&format!("{what}: sent {} but nothing is queued", x.id));
            };
            let m = &self.model.muts[i];
            if m.id != x.id {
                self.fail(&format!(
                    "{what}: sent {} but the queue head is {}",
                    x.id, m.id
                ));
            }
            let method = if m.reading { "GET" } else { m.method.as_str() };
            if x.method != method {
                self.fail(&format!(
                    "{what}: {} sent as {} (expected {method})",
                    x.id, x.method
                ));
            }
            if !x
                .header("Idempotency-Key")
                .is_some_and(|k| k.starts_with(&x.id))
            {
                self.fail(&format!("{what}: bad Idempotency-Key {:?}", x.headers));
            }
            self.model.muts[i].status = St::Inflight;
            self.inflight = Some((x.id.clone(), x.ticket));
            self.sent.push((x.id.clone(), x.ticket));
            self.trace
                .push(format!("    -> sent {} #{} {}", x.id, x.ticket, x.method));
        }
        let mut got: Expected = out
            .settled
            .iter()
            .map(|(id, r)| {
                let r = match r {
                    Ok(_) => Ok(()),
                    Err(e) => Err(match e.code.as_str() {
                        "HTTP" => "HTTP",
                        "CONFLICT" => "CONFLICT",
                        "CANCELLED" => "CANCELLED",
                        _ => "OTHER",
                    }),
                };
                (id.clone(), r)
            })
            .collect();
        got.sort();
        expected.sort();
        if got != expected {
            self.fail(&format!(
                "{what}: settled {got:?}, expected {expected:?} ({:?})",
                out.settled
            ));
        }
    }

    /// Whenever the store could send, it has (after tick past every backoff, reconnect, flush).
    pub fn live(&self, what: &str) {
        if self.online
            && !self.paused
            && self.inflight.is_none()
            && self.model.muts.iter().any(|m| m.status == St::Queued)
        {
            self.fail(&format!(
                "{what}: a mutation is queued but nothing was sent"
            ));
        }
    }

    pub fn check(&self, what: &str) {
        for key in &self.keys {
            let got = self.s.entity(key).map(|r| r.to_map());
            let want = self.model.visible(key);
            if got != want {
                self.fail(&format!(
                    "{what}: record {key} is {got:?}, expected {want:?}"
                ));
            }
            if let Some(id) = key.strip_prefix("Task:") {
                let got = self.s.read_entity("Task", id);
                let want = self.model.read(key);
                if got != want {
                    self.fail(&format!(
                        "{what}: read_entity {key} is {got:?}, expected {want:?}"
                    ));
                }
            }
        }
        for hash in [LIST, PAGE] {
            let got = self.s.read_query(hash);
            let want = Some(self.model.read_list(hash));
            if got != want {
                self.fail(&format!("{what}: {hash} reads {got:?}, expected {want:?}"));
            }
        }
        let got: Vec<(String, String)> = self
            .s
            .mutation_list()
            .iter()
            .map(|m| (id_text(&m["id"]), id_text(&m["status"])))
            .collect();
        let want: Vec<(String, String)> = self
            .model
            .muts
            .iter()
            .map(|m| (m.id.clone(), m.status.name().to_owned()))
            .collect();
        if got != want {
            self.fail(&format!("{what}: the queue is {got:?}, expected {want:?}"));
        }
    }
}
