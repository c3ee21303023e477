//! The CLI's error type and its mapping to exit codes.
//!
//! Every failure a person can meet ends up here and is shown as one sentence (`error: ...`), or as
//! `{"error": {"kind", "message"}}` with `--json`; never a debug dump. The exit code separates what
//! the caller can fix (2: invalid input, unknown token, conflict, wrong database file) from what
//! went wrong around it (1: disk, I/O). A denied `authorize` is not an error (exit 3, see
//! [`crate::commands::Outcome`]).

use std::fmt;

use clapay_core::Error as CoreError;

/// Exit code for success, or an allowed payment.
pub const EXIT_OK: u8 = 0;
/// Exit code for an unexpected failure (disk, I/O, database error).
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for invalid input (usage, validation, not found, conflict). clap uses it for usage.
pub const EXIT_INVALID_INPUT: u8 = 2;
/// Exit code for a payment denied by `authorize`.
pub const EXIT_DENIED: u8 = 3;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// The core refused or failed; its `Display` is already a sentence.
    Core(CoreError),
    /// The CLI itself refused a value (a malformed `--allow`, an empty stdin, ...).
    Input {
        /// A stable snake_case code, in the same family as the core's kinds.
        kind: &'static str,
        /// A sentence saying what was wrong and how to fix it.
        message: String,
    },
    /// Writing the output failed (closed pipe, full disk).
    Io {
        /// What was being done.
        context: String,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// The CLI's result type.
pub type CliResult<T> = Result<T, CliError>;

impl CliError {
    /// A CLI-side invalid-input error.
    pub fn input(kind: &'static str, message: impl Into<String>) -> CliError {
        CliError::Input {
            kind,
            message: message.into(),
        }
    }

    /// The stable machine code of the error (`--json`).
    pub fn kind(&self) -> &'static str {
        match self {
            CliError::Core(error) => error.kind(),
            CliError::Input { kind, .. } => kind,
            CliError::Io { .. } => "io",
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Core(error) if error.is_invalid_input() => EXIT_INVALID_INPUT,
            CliError::Core(_) => EXIT_FAILURE,
            CliError::Input { .. } => EXIT_INVALID_INPUT,
            CliError::Io { .. } => EXIT_FAILURE,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The core speaks of the desktop app's confirmation dialog; on the command line the
            // confirmation is a flag, so say which one.
            CliError::Core(error @ CoreError::CountryHasNumbers { .. }) => {
                write!(f, "{error} (pass --with-numbers)")
            }
            CliError::Core(error) => write!(f, "{error}"),
            CliError::Input { message, .. } => f.write_str(message),
            CliError::Io { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

impl From<CoreError> for CliError {
    fn from(error: CoreError) -> CliError {
        CliError::Core(error)
    }
}
