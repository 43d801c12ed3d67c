//! The core's error type. Each variant has a stable `code` that the bindings copy onto the
//! JS `Error` they create, so applications can branch on `error.code`.

use serde::Serialize;
use thiserror::Error as ThisError;

#[derive(Debug, Clone, PartialEq, ThisError)]
pub enum Error {
    /// The application passed something the API does not accept.
    #[error("{0}")]
    InvalidArgument(String),
    /// Data does not fit the shape or schema it is read with, or a shape/schema is malformed.
    #[error("{0}")]
    Shape(String),
    /// A text that should be JSON is not (or nests too deeply).
    #[error("{0}")]
    Parse(String),
    /// A persisted record could not be read back (corrupt or of an unknown format).
    #[error("{0}")]
    Storage(String),
}

impl Error {
    /// The stable code the JS side sees as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidArgument(_) => "INVALID_ARGUMENT",
            Error::Shape(_) => "SHAPE",
            Error::Parse(_) => "PARSE",
            Error::Storage(_) => "STORAGE",
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// A failure as the JS side will see it (`StrataError` fields): what a query's state or a
/// mutation's settle carries, as opposed to `Error`, which a call returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl ErrorInfo {
    pub fn new(code: &str, message: impl Into<String>) -> ErrorInfo {
        ErrorInfo {
            code: code.to_owned(),
            message: message.into(),
            status: None,
            body: None,
        }
    }

    pub fn from_error(e: &Error) -> ErrorInfo {
        ErrorInfo::new(e.code(), e.to_string())
    }

    /// A non-2xx answer: `AUTH` for 401, `HTTP` otherwise, carrying status and body text.
    pub fn http(status: u16, url: &str, body: String) -> ErrorInfo {
        let (code, hint) = if status == 401 {
            (
                "AUTH",
                "refresh the credentials your `headers` option sends",
            )
        } else {
            ("HTTP", "the server refused the request")
        };
        ErrorInfo {
            code: code.to_owned(),
            message: format!("GET {url} answered {status}: {hint}"),
            status: Some(status),
            body: Some(body),
        }
    }
}
