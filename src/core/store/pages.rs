//! Infinite queries: one query whose result is `{ pages, pageParams }` (shape `{ pages:
//! [page], pageParams: null }`), so every page is normalized and an entity on page 3 is the
//! entity every other query shows. The page-param functions stay in JS (src/js/infinite.js):
//! a first fetch or a refetch of every page settles like any queryFn (`settle_data`), and
//! one more page in either direction lands here, next to the pages already stored.

use serde_json::{Map, Value};

use super::Store;
use crate::core::cache::ingest::normalize_json;
use crate::core::cache::layer::is_pages;
use crate::core::cache::normalize::Normalized;
use crate::core::error::{Error, ErrorInfo, Result};
use crate::core::json::{self, Origin};
use crate::core::output::Output;
use crate::core::query::state::Event;
use crate::core::shape::Shape;

/// What `settle_page` adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `fetchPreviousPage`: before the first page.
    First,
    /// `fetchNextPage`: after the last page.
    Last,
}

impl Store {
    /// Fetch `ticket` of infinite query `hash` brought one more page (`text`, JSON; empty:
    /// there was none to fetch) for page param `param_json`. With `max_pages`, pages beyond
    /// it go from the other end. Dropped like `settle` when the ticket is not current.
    #[allow(clippy::too_many_arguments)]
    pub fn settle_page(
        &mut self,
        hash: &str,
        ticket: u64,
        text: &str,
        param_json: &str,
        side: Side,
        max_pages: Option<usize>,
        now: f64,
        random: f64,
    ) -> Output {
        self.run_ok(now, |s, out| {
            if !s.queries.is_current(hash, ticket) {
                return;
            }
            match s.add_page(hash, text, param_json, side, max_pages, now) {
                Ok(()) => s.queries.dispatch(hash, Event::Landed { now }, out),
                Err(e) => {
                    let e = ErrorInfo::from_error(&e);
                    s.queries.failed(hash, e, None, s.online, now, random, out);
                }
            }
        })
    }

    fn add_page(
        &mut self,
        hash: &str,
        text: &str,
        param_json: &str,
        side: Side,
        max_pages: Option<usize>,
        now: f64,
    ) -> Result<()> {
        if text.trim().is_empty() {
            return Ok(()); // no page in that direction: the data stays
        }
        let Some(m) = self.queries.get(hash) else {
            return Ok(());
        };
        let (key, shape) = (m.key().clone(), m.opts().shape.clone());
        let page_shape = page_shape(&shape).ok_or_else(|| {
            Error::Shape(
                "an infinite query's shape is { pages: [page], pageParams: null }".to_owned(),
            )
        })?;
        let param = json::parse(param_json, "the page param", Origin::App)?;
        let what = || "the page".to_owned();
        let n = normalize_json(&self.config.schema, page_shape, text, &what, Origin::Server)?;
        let mut result = self
            .cache
            .base_result(hash)
            .filter(|r| is_pages(r))
            .cloned()
            .unwrap_or_else(empty_pages);
        if let Value::Object(o) = &mut result {
            for (field, item) in [("pages", n.result), ("pageParams", param)] {
                if let Some(Value::Array(list)) = o.get_mut(field) {
                    match side {
                        Side::First => list.insert(0, item),
                        Side::Last => list.push(item),
                    }
                    if let Some(max) = max_pages.filter(|m| *m > 0 && list.len() > *m) {
                        let extra = list.len() - max;
                        match side {
                            Side::First => list.truncate(max),
                            Side::Last => drop(list.drain(..extra)),
                        }
                    }
                }
            }
        }
        let order = self.fetch_order(hash);
        let n = Normalized {
            result,
            entities: n.entities,
        };
        self.write_data(hash, key, shape, n, order, now);
        Ok(())
    }
}

/// The page shape of an infinite query's shape (`{ pages: [page], pageParams }`).
fn page_shape(shape: &Shape) -> Option<&Shape> {
    let Shape::Object(fields) = shape else {
        return None;
    };
    match Shape::field(fields, "pages") {
        Some(Shape::List(page)) => Some(page),
        _ => None,
    }
}

fn empty_pages() -> Value {
    let mut o = Map::new();
    o.insert("pages".to_owned(), Value::Array(Vec::new()));
    o.insert("pageParams".to_owned(), Value::Array(Vec::new()));
    Value::Object(o)
}
