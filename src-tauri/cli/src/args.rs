//! The command line as clap sees it: commands, flags and their help text.
//!
//! This module only declares the grammar. Values with a domain meaning (`--allow`, `--number`,
//! `--expires-on`, ...) are kept as text here and parsed in [`crate::parse`], so that a bad value is
//! reported in the same one-line form (and `--json` shape) as every other invalid input, rather than
//! as clap's multi-line usage message. Only true usage mistakes (unknown flag, missing argument)
//! are clap's, and clap exits with code 2 for those, which is the CLI's code for invalid input.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Manage ClaPay payment API tokens from scripts and servers.
///
/// Works on the same database as the ClaPay Tokens desktop app. The secret of a new token is
/// printed once on stdout; a secret to check is read from stdin, never from the command line.
/// Exit codes: 0 success or allowed, 1 unexpected failure, 2 invalid input, 3 denied by authorize.
#[derive(Debug, Parser)]
#[command(
    name = "clapay-tokens-cli",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The database file (default: CLAPAY_TOKENS_DB, else the desktop app's data folder)
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "CLAPAY_TOKENS_DB",
        hide_env_values = true
    )]
    pub db: Option<PathBuf>,

    /// Print machine-readable JSON on stdout (and errors as JSON on stderr)
    #[arg(long, global = true)]
    pub json: bool,

    /// What to do
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a token and print its secret once on stdout
    Create(CreateArgs),
    /// List tokens (active and expired by default)
    List(ListArgs),
    /// Show every field of a token, its composition and its numbers
    Show(TokenArg),
    /// Change a token's name, description or expiry
    Update(UpdateArgs),
    /// Add to or remove from a token's composition
    Compose(ComposeArgs),
    /// Manage a token's whitelisted phone numbers
    #[command(subcommand)]
    Numbers(NumbersCommand),
    /// Revoke a token: it can no longer authorize and its numbers are released
    Revoke(TokenArg),
    /// Replace a token with a new secret: print the successor's secret once on stdout; the old
    /// secret keeps working, as the successor does, until the grace period ends
    Roll(RollArgs),
    /// End the grace period of a rolled token now: its old secret stops working
    EndGrace(TokenArg),
    /// Create a token with the name, description, environment, composition and lifetime of
    /// another (never its numbers), and print its secret once on stdout
    Duplicate(DuplicateArgs),
    /// List the active tokens that expire soon (exit 0; for a cron job)
    Expiring(ExpiringArgs),
    /// Check a payment with a token read from stdin (exit 0 allowed, 3 denied)
    Authorize(AuthorizeArgs),
    /// Show a token's history, newest first, a page at a time
    History(HistoryArgs),
    /// Export the whole registry as JSON (no secrets: digests only)
    Export(ExportArgs),
    /// Show the countries, operators and methods of the catalog
    Catalog,
    /// Write a consistent copy of the database (default: a rolling backup in backups/ beside it)
    Backup(BackupArgs),
    /// Replace the database with a backup, keeping the current one as DB.before-restore beside it.
    /// Restore only your own backups: a database file can hold tokens whose secrets someone else
    /// has
    Restore(RestoreArgs),
    /// Check the database for damage (exit 0 sound, 1 damaged)
    Check,
    /// Run the sandbox gateway: a local ClaPay payment API that accepts this registry's sandbox
    /// tokens (in the foreground; Ctrl-C or SIGTERM stops it after writing every recorded use)
    Sandbox(SandboxArgs),
}

/// A token named by id or by the exact name of a token that is not revoked.
#[derive(Debug, Args)]
pub struct TokenArg {
    /// Token id, or the exact name of a token that is not revoked
    #[arg(value_name = "ID")]
    pub token: String,
}

/// When a token expires; at most one of the three.
#[derive(Debug, Args, Default)]
#[group(multiple = false)]
pub struct ExpiryArgs {
    /// Expire N days from now (1 to 3650)
    // Negative numbers are taken as the value, so `-1` gets the CLI's own "1 to 3650" message.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub expires_in_days: Option<String>,
    /// Valid through this day, local time (YYYY-MM-DD)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires_on: Option<String>,
    /// Never expire (not recommended: prefer a date and rotate)
    #[arg(long)]
    pub no_expiry: bool,
}

/// `create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Token name: 1 to 100 characters, unique among tokens that are not revoked
    #[arg(long)]
    pub name: String,
    /// Free text, up to 1000 characters
    #[arg(long, default_value = "")]
    pub description: String,
    /// Where the token may be used: sandbox (its secret starts clp_test_) or live (clp_live_)
    #[arg(long, value_enum, default_value_t)]
    pub environment: EnvironmentArg,
    /// Expiry (default: 30 days, as in the desktop app)
    #[command(flatten)]
    pub expiry: ExpiryArgs,
    /// What the token may do: COUNTRY:OPERATOR:METHOD[+METHOD...]; OPERATOR or METHOD may be '*',
    /// and '*' alone allows every country (repeatable, at least one)
    #[arg(
        long = "allow",
        value_name = "COUNTRY:OPERATOR:METHOD",
        required = true
    )]
    pub allow: Vec<String>,
    /// A phone number to whitelist: COUNTRY:PHONE (repeatable)
    #[arg(long = "number", value_name = "COUNTRY:PHONE")]
    pub numbers: Vec<String>,
}

/// A token's environment.
#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum EnvironmentArg {
    /// Test payments (the local sandbox gateway accepts these)
    Sandbox,
    /// Real payments
    #[default]
    Live,
}

/// The statuses `list` can show.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum StatusArg {
    /// Active, rolling and expired (the desktop app's default view)
    #[default]
    Current,
    /// Active only
    Active,
    /// Active and expiring within 7 days
    Expiring,
    /// Rolled to a successor, still usable until the grace ends
    Rolling,
    /// Expired only
    Expired,
    /// Rolled, the grace over
    Rolled,
    /// Revoked only
    Revoked,
    /// Everything
    All,
}

/// The columns `list` can sort by.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum SortArg {
    /// Creation time
    #[default]
    Created,
    /// Expiry (no expiry counts as the farthest)
    Expires,
    /// Last successful use (never used counts as the oldest use)
    LastUsed,
    /// Name, case-insensitively
    Name,
}

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Which tokens to show
    #[arg(long, value_enum, default_value_t)]
    pub status: StatusArg,
    /// Only tokens of this environment
    #[arg(long, value_enum)]
    pub environment: Option<EnvironmentArg>,
    /// Only tokens whose name or description contains TEXT (case-insensitive)
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Sort column (newest or latest first unless --asc)
    #[arg(long, value_enum, default_value_t)]
    pub sort: SortArg,
    /// Ascending order
    #[arg(long)]
    pub asc: bool,
    /// At most N rows (1 to 500)
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: u32,
    /// The page after the token with this id (the last row of the page before)
    #[arg(long, value_name = "ID", conflicts_with = "before")]
    pub after: Option<String>,
    /// The page before the token with this id (the first row of the page after)
    #[arg(long, value_name = "ID")]
    pub before: Option<String>,
}

/// How long the old secret of a rolled token keeps working.
#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum GraceArg {
    /// It stops at once: use this when the old secret has leaked
    Now,
    /// One hour
    #[value(name = "1h")]
    OneHour,
    /// 24 hours
    #[default]
    #[value(name = "24h")]
    OneDay,
    /// Seven days
    #[value(name = "7d")]
    SevenDays,
}

/// `roll`.
#[derive(Debug, Args)]
pub struct RollArgs {
    /// Token id or exact name
    #[arg(value_name = "ID")]
    pub token: String,
    /// How long the old secret keeps working ('now' when it has leaked)
    #[arg(long, value_enum, default_value_t)]
    pub grace: GraceArg,
}

/// `duplicate`.
#[derive(Debug, Args)]
pub struct DuplicateArgs {
    /// Token id or exact name of the token to copy
    #[arg(value_name = "ID")]
    pub token: String,
    /// The new token's name (default: "`<name> (copy)`")
    #[arg(long)]
    pub name: Option<String>,
}

/// `expiring`.
#[derive(Debug, Args)]
pub struct ExpiringArgs {
    /// Tokens that expire within N days (1 to 365)
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=365))]
    pub within_days: u32,
}

/// `history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Token id or exact name
    #[arg(value_name = "ID")]
    pub token: String,
    /// At most N events (default: all, read a page at a time)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
    /// Only events older than the event with this number (the EVENT column)
    #[arg(long, value_name = "EVENT")]
    pub before: Option<i64>,
}

/// `update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Token id or exact name
    #[arg(value_name = "ID")]
    pub token: String,
    /// New name
    #[arg(long)]
    pub name: Option<String>,
    /// New description (an empty string clears it)
    #[arg(long)]
    pub description: Option<String>,
    /// New expiry
    #[command(flatten)]
    pub expiry: ExpiryArgs,
}

/// `compose`.
#[derive(Debug, Args)]
pub struct ComposeArgs {
    /// Token id or exact name
    #[arg(value_name = "ID")]
    pub token: String,
    /// Add COUNTRY:OPERATOR:METHOD[+METHOD...] ('*' for all; repeatable)
    #[arg(long = "allow", value_name = "COUNTRY:OPERATOR:METHOD")]
    pub allow: Vec<String>,
    /// Remove a country, an operator (COUNTRY:OPERATOR) or a method (COUNTRY:OPERATOR:METHOD) (repeatable)
    #[arg(long = "remove", value_name = "COUNTRY[:OPERATOR[:METHOD]]")]
    pub remove: Vec<String>,
    /// Confirm that removing a country also removes its whitelisted numbers
    #[arg(long)]
    pub with_numbers: bool,
}

/// `numbers ...`.
#[derive(Debug, Subcommand)]
pub enum NumbersCommand {
    /// Whitelist a phone number for a country of the token's composition
    Add {
        /// Token id or exact name
        #[arg(value_name = "ID")]
        token: String,
        /// ISO code of the country (e.g. CI)
        country: String,
        /// The number, national or international (e.g. 0707070707 or +2250707070707)
        phone: String,
    },
    /// Disable a number without removing it
    Disable(NumberTarget),
    /// Enable a disabled number again
    Enable(NumberTarget),
    /// Remove a number from the token
    Remove(RemoveNumberArgs),
    /// List a token's numbers
    List(TokenArg),
}

/// A number of a token.
#[derive(Debug, Args)]
pub struct NumberTarget {
    /// Token id or exact name
    #[arg(value_name = "ID")]
    pub token: String,
    /// The number as stored (+225...) or as typed nationally
    pub phone: String,
}

/// `numbers remove`.
#[derive(Debug, Args)]
pub struct RemoveNumberArgs {
    /// The token and the number
    #[command(flatten)]
    pub target: NumberTarget,
    /// Confirm removing the last number of a country, which lets any phone pay there (disable it
    /// instead to pause the token in that country)
    #[arg(long)]
    pub lift_restriction: bool,
}

/// `authorize`.
#[derive(Debug, Args)]
pub struct AuthorizeArgs {
    /// ISO code of the country
    #[arg(long, value_name = "CC")]
    pub country: String,
    /// Operator code (OM, MTN, WAVE, ...)
    #[arg(long, value_name = "OP")]
    pub operator: String,
    /// MERCHANT, CASHIN or CASHOUT
    #[arg(long)]
    pub method: String,
    /// The customer's phone number
    #[arg(long)]
    pub phone: Option<String>,
}

/// `sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// The port to listen on; 0 picks a free port (printed on stderr)
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// The address to listen on. The default is this machine only; any other address lets other
    /// machines reach the sandbox
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Accept live tokens too (by default a clp_live_ token is refused with 401 live_token)
    #[arg(long)]
    pub allow_live: bool,
    /// How long a payment stays INITIATED before it settles, e.g. 2s, 500ms, 1m (at most 1h)
    #[arg(long, value_name = "DURATION", default_value = "2s")]
    pub settle_after: String,
}

/// `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to FILE (atomically: a temporary file renamed into place) instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Write the copy to FILE (replaced atomically) instead of a rolling backup in the `backups/`
    /// folder beside the database (which keeps the last 7)
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `restore`.
///
/// Restoring is a trust decision: a database file can hold tokens whose secrets someone else
/// has. Restore only backups you made yourself; the file is checked (integrity, and a schema made
/// by ClaPay Tokens with no trigger or view of its own) before anything is replaced.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file to restore
    #[arg(value_name = "FILE")]
    pub backup: PathBuf,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short)]
    pub yes: bool,
}
