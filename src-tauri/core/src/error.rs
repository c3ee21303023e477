//! The one error type of the core library.
//!
//! Every variant is something a caller can act on or show to a person: the `Display` text is a
//! sentence a merchant understands (no debug dump), [`Error::kind`] is a stable machine code that
//! the desktop shell and the CLI branch on, and [`Error::field`] names the form field it concerns.

use crate::token::Status;

/// The result type of the core library.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in the core library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token name breaks a rule (empty, too long, control characters).
    #[error("invalid name: {reason}")]
    InvalidName {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// Another token that is not revoked already uses this name.
    #[error(
        "a token named '{name}' already exists; choose another name or revoke that token first"
    )]
    NameTaken {
        /// The name as the existing token spells it.
        name: String,
    },
    /// The description breaks a rule.
    #[error("invalid description: {reason}")]
    InvalidDescription {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The expiry is in the past, out of range or not a date.
    #[error("invalid expiry: {reason}")]
    InvalidExpiry {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A token must allow at least one (country, operator, method).
    #[error("the composition is empty: allow at least one country, operator and payment method")]
    EmptyComposition,
    /// A country, operator or method that the catalog does not list.
    #[error("{what}")]
    NotInCatalog {
        /// A sentence naming the unknown entry and what exists instead.
        what: String,
    },
    /// Removing a country that still has whitelisted numbers needs the caller's confirmation.
    #[error("{country} still has {count} whitelisted number(s); confirm to remove them with the country")]
    CountryHasNumbers {
        /// ISO code of the country.
        country: String,
        /// How many numbers would go with it.
        count: usize,
    },
    /// A phone number that cannot be whitelisted as typed.
    #[error("'{input}' is not a valid phone number for {country}: {reason}")]
    InvalidPhone {
        /// What the user typed (a phone number is not a secret).
        input: String,
        /// The country it was checked against (display name).
        country: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A number for a country the token's composition does not include.
    #[error("{country} is not in this token's composition; add the country first")]
    CountryNotInComposition {
        /// ISO code of the country.
        country: String,
    },
    /// The number is already whitelisted on a token (this one or another).
    #[error("{number} is already whitelisted on token '{token_name}' ({status})")]
    NumberTaken {
        /// The number in E.164 form.
        number: String,
        /// The id of the token that holds it.
        token_id: String,
        /// The name of the token that holds it.
        token_name: String,
        /// The status of the token that holds it.
        status: Status,
    },
    /// Removing the last number of a country lifts the phone restriction there: the caller must
    /// confirm it.
    #[error(
        "this is the last whitelisted number of {country_name} on this token; once it is removed any \
         phone will be able to pay in {country_name}. Confirm to remove it, or disable it to pause \
         the token there"
    )]
    LastNumberOfCountry {
        /// ISO code of the country.
        country: String,
        /// Its name.
        country_name: String,
    },
    /// The number is not whitelisted on this token.
    #[error("{number} is not whitelisted on this token")]
    NumberNotFound {
        /// The number as given.
        number: String,
    },
    /// No token has this id.
    #[error("no token matches '{id}'")]
    NotFound {
        /// The id (or name) that was looked up.
        id: String,
    },
    /// Revoked tokens are kept for traceability and cannot change.
    #[error("token '{name}' is revoked and can no longer be changed")]
    TokenRevoked {
        /// The name of the revoked token.
        name: String,
    },
    /// A rolled token authorizes as its successor until its grace ends; changes go to the
    /// successor.
    #[error("token '{name}' was rolled to '{successor}'; change '{successor}' instead")]
    TokenRolled {
        /// The name of the rolled token.
        name: String,
        /// The name of its successor.
        successor: String,
    },
    /// "End now" on a token whose grace is not running.
    #[error("token '{name}' is not in the grace period of a roll")]
    NotRolling {
        /// The name of the token.
        name: String,
    },
    /// Reminder thresholds outside what the app supports.
    #[error("invalid reminder thresholds: {reason}")]
    InvalidThresholds {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The usage retention is outside what the history allows.
    #[error("invalid retention: keep usage events {min} to {max} days, not {days}")]
    InvalidRetention {
        /// The days asked for.
        days: u32,
        /// The shortest retention (the history refuses to delete younger events).
        min: u32,
        /// The longest retention.
        max: u32,
    },
    /// A replacement catalog file is malformed.
    #[error("invalid catalog: {reason}")]
    InvalidCatalog {
        /// What is wrong, naming the line or the key.
        reason: String,
    },
    /// The database was written by a newer version of ClaPay Tokens.
    #[error(
        "the database at {path} was written by a newer version of ClaPay Tokens (schema {found}, \
         this version knows up to {supported}); update the app, or point CLAPAY_TOKENS_DB at another file"
    )]
    SchemaTooNew {
        /// The database file.
        path: String,
        /// Its `user_version`.
        found: i64,
        /// The newest schema this build knows.
        supported: i64,
    },
    /// The file was made by a pre-release build, whose schema this version does not migrate.
    #[error(
        "the database at {path} was made by a pre-release build of ClaPay Tokens; export it with \
         that build (clapay-tokens-cli export) and recreate the tokens, or point CLAPAY_TOKENS_DB at a new file"
    )]
    PreReleaseDatabase {
        /// The database file.
        path: String,
    },
    /// The file's schema holds an object the migrations did not make, or one they made altered:
    /// a trigger or view planted in a file can change what every write does.
    #[error(
        "the database at {path} cannot be trusted: {object} {what}; use only database files and \
         backups made by ClaPay Tokens on your own machine"
    )]
    SchemaMismatch {
        /// The database file.
        path: String,
        /// The object, e.g. `trigger 'audit'`.
        object: String,
        /// What is wrong with it.
        what: String,
    },
    /// The file is not a ClaPay Tokens database or is damaged.
    #[error("the database at {path} cannot be used: {reason}")]
    BadDatabase {
        /// The database file.
        path: String,
        /// What SQLite reported, in words.
        reason: String,
    },
    /// The database could not be read or written.
    #[error("database error: {0}")]
    Storage(#[from] rusqlite::Error),
    /// A file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The operating system's error.
        source: std::io::Error,
    },
}

impl Error {
    /// A stable snake_case code for programs (the IPC `kind`, the CLI's `--json` errors).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidName { .. } => "invalid_name",
            Error::NameTaken { .. } => "name_taken",
            Error::InvalidDescription { .. } => "invalid_description",
            Error::InvalidExpiry { .. } => "invalid_expiry",
            Error::EmptyComposition => "empty_composition",
            Error::NotInCatalog { .. } => "not_in_catalog",
            Error::CountryHasNumbers { .. } => "country_has_numbers",
            Error::InvalidPhone { .. } => "invalid_phone",
            Error::CountryNotInComposition { .. } => "country_not_in_composition",
            Error::NumberTaken { .. } => "number_taken",
            Error::NumberNotFound { .. } => "number_not_found",
            Error::LastNumberOfCountry { .. } => "last_number_of_country",
            Error::NotFound { .. } => "not_found",
            Error::TokenRevoked { .. } => "token_revoked",
            Error::TokenRolled { .. } => "token_rolled",
            Error::NotRolling { .. } => "not_rolling",
            Error::InvalidThresholds { .. } => "invalid_thresholds",
            Error::InvalidRetention { .. } => "invalid_retention",
            Error::InvalidCatalog { .. } => "invalid_catalog",
            Error::SchemaTooNew { .. }
            | Error::PreReleaseDatabase { .. }
            | Error::SchemaMismatch { .. }
            | Error::BadDatabase { .. }
            | Error::Storage(_) => "storage",
            Error::Io { .. } => "storage",
        }
    }

    /// The form field the error concerns, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::InvalidName { .. } | Error::NameTaken { .. } => Some("name"),
            Error::InvalidDescription { .. } => Some("description"),
            Error::InvalidExpiry { .. } => Some("expiry"),
            Error::EmptyComposition
            | Error::NotInCatalog { .. }
            | Error::CountryHasNumbers { .. } => Some("composition"),
            Error::InvalidPhone { .. }
            | Error::CountryNotInComposition { .. }
            | Error::NumberTaken { .. }
            | Error::NumberNotFound { .. }
            | Error::LastNumberOfCountry { .. } => Some("phone"),
            Error::InvalidCatalog { .. } => Some("catalog"),
            Error::InvalidRetention { .. } => Some("retention"),
            Error::InvalidThresholds { .. } => Some("thresholds"),
            Error::NotFound { .. }
            | Error::TokenRevoked { .. }
            | Error::TokenRolled { .. }
            | Error::NotRolling { .. }
            | Error::SchemaTooNew { .. }
            | Error::PreReleaseDatabase { .. }
            | Error::SchemaMismatch { .. }
            | Error::BadDatabase { .. }
            | Error::Storage(_)
            | Error::Io { .. } => None,
        }
    }

    /// True when the caller's input was at fault (bad value, unknown id, conflict), false when the
    /// environment failed (disk, database file). The CLI maps this to exit code 2 versus 1.
    pub fn is_invalid_input(&self) -> bool {
        // A database file of the wrong kind or version is something the user pointed us at
        // (--db, CLAPAY_TOKENS_DB), so it counts as input; a failing disk does not.
        !matches!(self, Error::Storage(_) | Error::Io { .. })
    }
}
