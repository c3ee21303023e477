//! The error every command returns across IPC: `{ kind, message, field }` (docs/ipc.md, "Errors").
//!
//! The UI branches on `kind` and places the message next to `field`; it never parses `message`.
//! Errors of the core keep the core's own `kind()` and `field()`, so the two stay in one place.

use serde::Serialize;

/// A command failure as the webview receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandError {
    /// Stable snake_case code from the table of docs/ipc.md.
    pub kind: &'static str,
    /// A sentence for a person.
    pub message: String,
    /// The form field the error concerns, if any.
    pub field: Option<&'static str>,
}

impl CommandError {
    /// A setting out of range; `field` is the setting's key.
    pub fn invalid_settings(field: &'static str, message: impl Into<String>) -> Self {
        CommandError {
            kind: "invalid_settings",
            message: message.into(),
            field: Some(field),
        }
    }

    /// The system clipboard could not be used.
    pub fn clipboard(message: impl Into<String>) -> Self {
        CommandError {
            kind: "clipboard",
            message: message.into(),
            field: None,
        }
    }

    /// A secret that is no longer held (already discarded, or never created in this session).
    pub fn secret_gone() -> Self {
        CommandError {
            kind: "not_found",
            message: "The secret of this token is no longer available: it is shown only once, \
                      right after the token is created"
                .to_owned(),
            field: None,
        }
    }

    /// A write refused because the database failed its start-up integrity check and is open
    /// read-only; `problem` is the first thing the check found.
    pub fn read_only(problem: &str) -> Self {
        CommandError {
            kind: "read_only",
            message: format!(
                "The database failed its integrity check ({problem}), so it is open read-only and \
                 nothing can be changed: restore a backup from Settings"
            ),
            field: None,
        }
    }

    /// Something the UI named (a backup file) does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        CommandError {
            kind: "not_found",
            message: message.into(),
            field: None,
        }
    }

    /// Anything the user cannot act on (a poisoned lock, a failed background task, a settings file
    /// that cannot be written).
    pub fn internal(message: impl Into<String>) -> Self {
        CommandError {
            kind: "internal",
            message: message.into(),
            field: None,
        }
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.kind)
    }
}

impl std::error::Error for CommandError {}

impl From<clapay_core::Error> for CommandError {
    /// The core already knows the IPC kind and field of each of its errors; keeping them there
    /// means a new core variant cannot be forgotten here.
    fn from(error: clapay_core::Error) -> Self {
        CommandError {
            kind: error.kind(),
            field: error.field(),
            message: sentence(&error.to_string()),
        }
    }
}

/// The core's messages start in lower case (they also end up inside CLI lines); the UI shows them
/// alone, as a sentence.
fn sentence(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}
