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

    /// A value of a form that cannot be used as it is (a port already taken); `field` is the
    /// form field.
    pub fn field_error(
        kind: &'static str,
        field: &'static str,
        message: impl Into<String>,
    ) -> Self {
        CommandError {
            kind,
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

/// The longest message sent to the UI, in characters: a message quotes what it refuses (an id, a
/// name), and a 10,000-character id must not become a 10,000-character alert.
const MESSAGE_MAX_CHARS: usize = 300;

/// The core's messages start in lower case (they also end up inside CLI lines); the UI shows them
/// alone, as a sentence: capitalised, on one line, with control and text-direction characters
/// from the input escaped (so an RTL override cannot reorder the sentence), and shortened.
fn sentence(text: &str) -> String {
    let mut shown = String::with_capacity(text.len().min(MESSAGE_MAX_CHARS * 4));
    for (count, character) in text.chars().enumerate() {
        if count >= MESSAGE_MAX_CHARS {
            shown.push('…');
            break;
        }
        if count == 0 {
            shown.extend(character.to_uppercase());
        } else if character.is_control() || is_direction_mark(character) {
            shown.push_str(&character.escape_unicode().to_string());
        } else {
            shown.push(character);
        }
    }
    shown
}

fn is_direction_mark(character: char) -> bool {
    matches!(character, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn messages_are_one_capitalised_short_line_with_controls_escaped() {
        assert_eq!(sentence("no token a\nb"), "No token a\\u{a}b");
        assert_eq!(sentence("name x\u{202e}y"), "Name x\\u{202e}y");
        let long = sentence(&"x".repeat(10_000));
        assert_eq!(long.chars().count(), 301, "300 characters and an ellipsis");
        assert!(long.ends_with('…'));
    }
}
