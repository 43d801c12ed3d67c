//! What devtools show of the cache: every entity with the queries that show it (directly or
//! through the entities that reference it). A read: nothing here writes.

use std::collections::{BTreeSet, HashSet};

use super::Cache;

impl Cache {
    /// Every cached entity key (sorted) with the hashes (sorted) of the queries that show it.
    pub fn entities_shown(&self) -> Vec<(String, Vec<String>)> {
        let mut keys = self.index.keys();
        keys.sort();
        keys.into_iter()
            .map(|key| {
                let shown = self.shown_by(&key);
                (key, shown)
            })
            .collect()
    }

    // The queries referencing `key` or an entity that reaches it through relations (cycles end).
    fn shown_by(&self, key: &str) -> Vec<String> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut queries = BTreeSet::new();
        let mut todo = vec![key.to_owned()];
        while let Some(k) = todo.pop() {
            if !seen.insert(k.clone()) {
                continue;
            }
            queries.extend(self.index.queries_of(&k));
            todo.extend(self.index.parents_of(&k));
        }
        queries.into_iter().collect()
    }
}
