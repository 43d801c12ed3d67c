//! The reference: the server (its tasks and users) and the model of what the store must show,
//! the server base with the pending mutations' writes applied in queue order.

use super::*;

#[derive(Debug, Clone)]
pub enum MWrite {
    Merge(String, Rec),
    Delete(String),
}

#[derive(Debug, Clone)]
pub struct MInsert {
    pub hash: &'static str,
    pub start: bool,
    pub key: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum St {
    Queued,
    Inflight,
    Conflict,
    Failed,
}

impl St {
    pub fn name(self) -> &'static str {
        match self {
            St::Queued => "queued",
            St::Inflight => "inflight",
            St::Conflict => "conflict",
            St::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone)]
pub struct MMutation {
    pub id: String,
    /// The optimistic ops, which the server applies on success.
    pub ops: Vec<Value>,
    pub writes: Vec<MWrite>,
    pub inserts: Vec<MInsert>,
    pub subject: Option<String>,
    pub created: Option<String>,
    pub method: String,
    pub policy: &'static str,
    pub retry: u32,
    pub failures: u32,
    pub shape: bool,
    pub status: St,
    pub reading: bool,
}

/// The server: its tasks in creation order (assignee as a user id) and its users' names.
#[derive(Default)]
pub struct Server {
    pub tasks: Vec<(String, Rec)>,
    pub users: BTreeMap<String, String>,
}

impl Server {
    pub fn view(&self, key: &str) -> Option<Value> {
        let (_, t) = self.tasks.iter().find(|(k, _)| k == key)?;
        let mut t = t.clone();
        if let Some(Value::String(u)) = t.get("assignee").cloned() {
            let name = self.users.get(&u).cloned().unwrap_or_default();
            t.insert("assignee".into(), json!({ "id": u, "name": name }));
        }
        Some(Value::Object(t))
    }

    pub fn list(&self) -> Vec<Value> {
        self.tasks
            .iter()
            .filter_map(|(k, _)| self.view(k))
            .collect()
    }

    pub fn set_fields(&mut self, t: &mut Rec, fields: &Rec) {
        for (f, v) in fields {
            if f == "assignee" {
                match v {
                    Value::Object(u) => {
                        let uid = id_text(&u["id"]);
                        if let Some(Value::String(n)) = u.get("name") {
                            self.users.insert(uid.clone(), n.clone());
                        }
                        t.insert(f.clone(), Value::String(uid));
                    }
                    _ => {
                        t.insert(f.clone(), Value::Null);
                    }
                }
            } else {
                t.insert(f.clone(), v.clone());
            }
        }
    }

    pub fn apply(&mut self, ops: &[Value]) {
        for op in ops {
            let key = op.get("id").map(task_key).unwrap_or_default();
            match op["op"].as_str() {
                Some("update") => {
                    if let Some(i) = self.tasks.iter().position(|(k, _)| *k == key) {
                        let mut t = self.tasks[i].1.clone();
                        let patch = op["patch"].as_object().cloned().unwrap_or_default();
                        self.set_fields(&mut t, &patch);
                        let v = t["version"].as_u64().unwrap_or(0) + 1;
                        t.insert("version".into(), json!(v));
                        self.tasks[i].1 = t;
                    }
                }
                Some("insert") => {
                    let data = op["data"].as_object().cloned().unwrap_or_default();
                    let key = task_key(&data["id"]);
                    let mut t = Rec::new();
                    t.insert("version".into(), json!(1));
                    self.set_fields(&mut t, &data);
                    self.tasks.push((key, t));
                }
                Some("delete") => self.tasks.retain(|(k, _)| *k != key),
                _ => {}
            }
        }
    }
}

/// The reference: the server base (entities and the two list results) and the queue.
#[derive(Default)]
pub struct Model {
    pub base: BTreeMap<String, Rec>,
    pub list: Vec<String>,
    pub page: Vec<String>,
    pub page_total: usize,
    pub muts: Vec<MMutation>,
}

pub fn merge_into(rec: &mut Rec, fields: &Rec) {
    for (f, v) in fields {
        rec.insert(f.clone(), v.clone());
    }
}

impl Model {
    pub fn write_server(&mut self, recs: Vec<(String, Rec)>) {
        for (k, r) in recs {
            merge_into(self.base.entry(k).or_default(), &r);
        }
    }

    /// A successful mutation's ops go into the base.
    pub fn commit(&mut self, m: &MMutation) {
        for w in &m.writes {
            match w {
                MWrite::Merge(k, f) => merge_into(self.base.entry(k.clone()).or_default(), f),
                MWrite::Delete(k) => {
                    self.base.remove(k);
                }
            }
        }
        for ins in &m.inserts {
            let list = if ins.hash == LIST {
                &mut self.list
            } else {
                &mut self.page
            };
            if ins.start {
                list.insert(0, ins.key.clone());
            } else {
                list.push(ins.key.clone());
            }
        }
    }

    pub fn active(&self) -> impl Iterator<Item = &MMutation> {
        self.muts.iter().filter(|m| m.status != St::Failed)
    }

    pub fn visible(&self, key: &str) -> Option<Rec> {
        let mut rec = self.base.get(key).cloned();
        for m in self.active() {
            for w in &m.writes {
                match w {
                    MWrite::Merge(k, f) if k == key => {
                        merge_into(rec.get_or_insert_with(Rec::new), f);
                    }
                    MWrite::Delete(k) if k == key => rec = None,
                    _ => {}
                }
            }
        }
        rec
    }

    pub fn visible_keys(&self, hash: &str) -> Vec<String> {
        let mut keys = if hash == LIST {
            self.list.clone()
        } else {
            self.page.clone()
        };
        for m in self.active() {
            for ins in m.inserts.iter().filter(|i| i.hash == hash) {
                if ins.start {
                    keys.insert(0, ins.key.clone());
                } else {
                    keys.push(ins.key.clone());
                }
            }
        }
        keys
    }

    /// The denormalized entity (users expanded).
    pub fn read(&self, key: &str) -> Option<Value> {
        let mut rec = self.visible(key)?;
        if let Some(Value::String(u)) = rec.get("assignee").cloned() {
            let user = self.visible(&u).map_or(Value::Null, Value::Object);
            rec.insert("assignee".into(), user);
        }
        Some(Value::Object(rec))
    }

    pub fn read_list(&self, hash: &str) -> Value {
        let items: Vec<Value> = self
            .visible_keys(hash)
            .iter()
            .filter_map(|k| self.read(k))
            .collect();
        if hash == LIST {
            Value::Array(items)
        } else {
            json!({ "items": items, "total": self.page_total })
        }
    }
}
