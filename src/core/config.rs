//! `createStore` options that can be expressed as JSON. The JS wrapper takes out the
//! function-valued ones (`headers`, `onError`) and passes the rest here; every option of
//! DESIGN.md section 4 is accepted from the first version, unknown names are refused.

use serde_json::Value;

use super::error::{Error, Result};
use super::json::{self, type_name};
use super::schema::Schema;

/// Query and mutation defaults (durations in milliseconds; `f64::INFINITY` means never).
#[derive(Debug, Clone, PartialEq)]
pub struct Defaults {
    pub stale_time: f64,
    pub gc_time: f64,
    pub retry: u32,
    pub retry_delay: f64,
    pub timeout: f64,
    pub refetch_on_window_focus: bool,
    pub refetch_on_reconnect: bool,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            stale_time: 0.0,
            gc_time: 300_000.0,
            retry: 3,
            retry_delay: 1000.0,
            timeout: 30_000.0,
            refetch_on_window_focus: true,
            refetch_on_reconnect: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Persist {
    Off,
    On {
        buster: Option<String>,
        max_age: Option<f64>,
        /// The app's version of its cached data's shape (`persist.version`, default 0).
        version: u64,
        /// The app passed `persist.migrate` (a function, kept by the wrapper).
        migrate: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub name: String,
    pub persist: Persist,
    pub base_url: String,
    pub schema: Schema,
    pub defaults: Defaults,
}

/// Option names the JS wrapper handles itself (functions) and strips before calling us.
const JS_ONLY: [&str; 2] = ["headers", "onError"];

impl Config {
    /// The validated `persist` option for the wrapper: `null` when off, else
    /// `{ "buster": string, "maxAge": ms | null }` (no maxAge: kept however old).
    pub fn persist_json(&self) -> Value {
        match &self.persist {
            Persist::Off => Value::Null,
            Persist::On {
                buster,
                max_age,
                version,
                migrate,
            } => serde_json::json!({
                "buster": buster.as_deref().unwrap_or(""),
                "maxAge": max_age,
                "version": version,
                "migrate": migrate,
            }),
        }
    }

    pub fn from_json(v: &Value) -> Result<Config> {
        let obj = v.as_object().ok_or_else(|| {
            invalid(format!(
                "createStore options must be an object, got {}",
                type_name(v)
            ))
        })?;
        let mut cfg = Config {
            name: "strata".to_owned(),
            persist: Persist::On {
                buster: None,
                max_age: None,
                version: 0,
                migrate: false,
            },
            base_url: String::new(),
            schema: Schema::default(),
            defaults: Defaults::default(),
        };
        for (k, v) in obj {
            match k.as_str() {
                "name" => cfg.name = string_opt("name", v)?,
                "baseUrl" => cfg.base_url = string_opt("baseUrl", v)?,
                "persist" => cfg.persist = persist(v)?,
                "entities" => cfg.schema = Schema::from_json(v)?,
                "defaults" => cfg.defaults = defaults(v)?,
                k if JS_ONLY.contains(&k) => {}
                other => {
                    return Err(invalid(format!(
                        "unknown createStore option `{other}`; known options: name, persist, baseUrl, headers, entities, defaults, onError"
                    )))
                }
            }
        }
        if cfg.name.is_empty() {
            return Err(invalid(
                "`name` must not be empty: it names the IndexedDB database".to_owned(),
            ));
        }
        Ok(cfg)
    }
}

fn invalid(msg: String) -> Error {
    Error::InvalidArgument(msg)
}

fn string_opt(name: &str, v: &Value) -> Result<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| invalid(format!("`{name}` must be a string, got {}", type_name(v))))
}

fn persist(v: &Value) -> Result<Persist> {
    match v {
        Value::Bool(false) => Ok(Persist::Off),
        Value::Bool(true) => Ok(Persist::On {
            buster: None,
            max_age: None,
            version: 0,
            migrate: false,
        }),
        Value::Object(m) => {
            let mut buster = None;
            let mut max_age = None;
            let (mut version, mut migrate) = (0, false);
            for (k, x) in m {
                match k.as_str() {
                    "buster" => buster = Some(string_opt("persist.buster", x)?),
                    "maxAge" => max_age = Some(duration("persist.maxAge", x)?),
                    "version" => {
                        version = x.as_u64().ok_or_else(|| {
                            invalid(format!(
                                "`persist.version` must be a whole number >= 0, got {x}"
                            ))
                        })?
                    }
                    // The wrapper keeps the function and sends `true` in its place.
                    "migrate" if x.as_bool() == Some(true) => migrate = true,
                    "migrate" => {
                        return Err(invalid(
                            "`persist.migrate` must be a function (oldCache, oldVersion) => cache"
                                .to_owned(),
                        ))
                    }
                    other => {
                        return Err(invalid(format!(
                            "unknown `persist` option `{other}`; known: buster, maxAge, version, migrate"
                        )))
                    }
                }
            }
            Ok(Persist::On {
                buster,
                max_age,
                version,
                migrate,
            })
        }
        other => Err(invalid(format!(
            "`persist` must be true, false or {{ buster, maxAge }}, got {}",
            type_name(other)
        ))),
    }
}

/// A duration in ms: a non-negative number, or `"Infinity"` (the wrapper's JSON form of `Infinity`).
pub fn duration(name: &str, v: &Value) -> Result<f64> {
    match v {
        Value::String(s) if s == "Infinity" => Ok(f64::INFINITY),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f >= 0.0 => Ok(f),
            _ => Err(invalid(format!(
                "`{name}` must be a non-negative number of milliseconds"
            ))),
        },
        other => Err(invalid(format!(
            "`{name}` must be a number of milliseconds or Infinity, got {}",
            type_name(other)
        ))),
    }
}

fn defaults(v: &Value) -> Result<Defaults> {
    let obj = json::fields(v, "`defaults` must be an object")?;
    let mut d = Defaults::default();
    for (k, x) in obj.into_iter().flatten() {
        let name = format!("defaults.{k}");
        match k.as_str() {
            "staleTime" => d.stale_time = duration(&name, x)?,
            "gcTime" => d.gc_time = duration(&name, x)?,
            "retryDelay" => d.retry_delay = duration(&name, x)?,
            "timeout" => d.timeout = duration(&name, x)?,
            "retry" => d.retry = retry_count(&name, x)?,
            "refetchOnWindowFocus" => d.refetch_on_window_focus = boolean(&name, x)?,
            "refetchOnReconnect" => d.refetch_on_reconnect = boolean(&name, x)?,
            other => {
                return Err(invalid(format!(
                    "unknown option `defaults.{other}`; known: staleTime, gcTime, retry, retryDelay, timeout, refetchOnWindowFocus, refetchOnReconnect"
                )))
            }
        }
    }
    Ok(d)
}

/// `retry`: a count, or a boolean as in TanStack (`true` = 3, `false` = 0).
pub fn retry_count(name: &str, v: &Value) -> Result<u32> {
    match v {
        Value::Bool(true) => Ok(3),
        Value::Bool(false) => Ok(0),
        Value::Number(n) => n
            .as_u64()
            .and_then(|u| u32::try_from(u).ok())
            .ok_or_else(|| invalid(format!("`{name}` must be a non-negative integer"))),
        other => Err(invalid(format!(
            "`{name}` must be a non-negative integer or a boolean, got {}",
            type_name(other)
        ))),
    }
}

fn boolean(name: &str, v: &Value) -> Result<bool> {
    v.as_bool()
        .ok_or_else(|| invalid(format!("`{name}` must be a boolean, got {}", type_name(v))))
}
