//! The core's error type. Each variant has a stable `code` that the bindings copy onto the
//! JS `Error` they create, so applications can branch on `error.code`.

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
