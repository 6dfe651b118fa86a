//! The one error type of the generator: a file, a JSON pointer into it, and what is wrong there.

use std::fmt;
use std::path::PathBuf;

/// A spec problem, located by file and JSON pointer (RFC 6901).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The spec file, as given to the loader.
    pub file: PathBuf,
    /// JSON pointer to the offending value; empty for the document itself.
    pub pointer: String,
    /// What is wrong, in words.
    pub message: String,
}

impl SpecError {
    pub(crate) fn new(file: &std::path::Path, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: at #{}: {}", self.file.display(), self.pointer, self.message)
    }
}

impl std::error::Error for SpecError {}

/// Escapes one reference token of a JSON pointer (`~` → `~0`, `/` → `~1`).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Appends one reference token to a JSON pointer.
pub fn push(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape_token(token))
}
