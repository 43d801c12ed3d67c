//! What devtools show of the cache: every entity with the queries that show it (directly or
//! through the entities that reference it). A read: nothing here writes. No sorting or
//! B-trees here (the wrapper sorts): they would cost kilobytes of wasm for a devtools read.

use foldhash::{HashSet, HashSetExt};

use super::Cache;

impl Cache {
    /// Every cached entity key with the hashes of the queries that show it (in no order).
    pub fn entities_shown(&self) -> Vec<(String, Vec<String>)> {
        self.index
            .keys()
            .into_iter()
            .map(|key| {
                let shown = self.shown_by(&key);
                (key, shown)
            })
            .collect()
    }

    // The queries referencing `key` or an entity that reaches it through relations (cycles end).
    fn shown_by(&self, key: &str) -> Vec<String> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut queries: Vec<String> = Vec::new();
        let mut todo = vec![key.to_owned()];
        while let Some(k) = todo.pop() {
            if !seen.insert(k.clone()) {
                continue;
            }
            for q in self.index.queries_of(&k) {
                if !queries.contains(&q) {
                    queries.push(q);
                }
            }
            todo.extend(self.index.parents_of(&k));
        }
        queries
    }
}
