//! One function per command: parse the domain values, call the core, render the result.
//!
//! No SQL and no business rule lives here (the only SQL of the CLI is the export's read of the
//! digests, in [`crate::export`]): the core decides what is valid, and its errors travel up as
//! [`CliError::Core`]. The clock is read once per command and passed to the core, which derives
//! statuses from it. The secret of a new token goes to stdout once and nowhere else.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clapay_core::{
    AuthorizeRequest, Catalog, Expiry, ListQuery, NewToken, Registry, SortKey, StatusFilter,
    TokenChanges, TokenDetails,
};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::args::{
    AuthorizeArgs, Cli, Command, ComposeArgs, CreateArgs, ListArgs, NumbersCommand, SortArg,
    StatusArg, UpdateArgs,
};
use crate::error::{CliError, CliResult, EXIT_DENIED, EXIT_FAILURE, EXIT_OK};
use crate::{export, maintenance, output, parse, secret_input};

/// The expiry of a token created without an expiry flag: the desktop app's default duration.
const DEFAULT_EXPIRY_DAYS: u32 = 30;

/// How a command that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done (or allowed).
    Done,
    /// `authorize` denied the payment.
    Denied,
    /// `check` found damage.
    Damaged,
}

impl Outcome {
    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Done => EXIT_OK,
            Outcome::Denied => EXIT_DENIED,
            Outcome::Damaged => EXIT_FAILURE,
        }
    }
}

/// Runs the command the user typed.
pub fn run(cli: &Cli) -> CliResult<Outcome> {
    let now = Utc::now();
    let json = cli.json;
    if let Command::Catalog = cli.command {
        // The catalog is embedded: no database needed.
        let catalog = Catalog::embedded();
        return if json {
            output::json(&*catalog)
        } else {
            output::stdout_line(&output::catalog_text(&catalog))
        }
        .map(|()| Outcome::Done);
    }
    // These three work on the database file itself; restore must not hold it open.
    match &cli.command {
        Command::Backup(args) => return maintenance::backup(cli.db.clone(), args, json),
        Command::Restore(args) => return maintenance::restore(cli.db.clone(), args, json),
        Command::Check => return maintenance::check(cli.db.clone(), json),
        _ => {}
    }
    let mut registry = open_registry(cli.db.clone())?;
    match &cli.command {
        Command::Create(args) => create(&mut registry, args, json, now),
        Command::List(args) => list(&registry, args, json, now),
        Command::Show(target) => {
            let id = resolve(&registry, &target.token)?;
            let token = registry.get_token(&id, now)?;
            show_details(&token, &registry, json)
        }
        Command::Update(args) => update(&mut registry, args, json, now),
        Command::Compose(args) => compose(&mut registry, args, json, now),
        Command::Numbers(command) => numbers(&mut registry, command, json, now),
        Command::Revoke(target) => revoke(&mut registry, &target.token, json, now),
        Command::Authorize(args) => authorize(&mut registry, args, json, now),
        Command::History(target) => history(&registry, &target.token, json),
        Command::Export(args) => {
            let document = export::snapshot(&registry, now)?;
            let text = serde_json::to_string_pretty(&document).map_err(|error| CliError::Io {
                context: "cannot encode the export".into(),
                source: std::io::Error::other(error),
            })?;
            match &args.output {
                Some(path) => {
                    export::write_atomically(path, &text)?;
                    output::note(&format!(
                        "Exported {} token(s) to {}",
                        document.token_count,
                        path.display()
                    ));
                }
                None => output::stdout_line(&text)?,
            }
            Ok(Outcome::Done)
        }
        Command::Catalog | Command::Backup(_) | Command::Restore(_) | Command::Check => {
            Ok(Outcome::Done)
        }
    }
}

/// The id of the token a person named by id or by name, with a "not found" that says both.
fn resolve(registry: &Registry, id_or_name: &str) -> CliResult<String> {
    registry.resolve_token(id_or_name).map_err(|error| match error {
        clapay_core::Error::NotFound { .. } => CliError::input(
            "not_found",
            format!(
                "no token has the id or name '{}' (a revoked token is named by its id; see: clapay-tokens-cli list --status all)",
                shortened(id_or_name.trim())
            ),
        ),
        other => CliError::Core(other),
    })
}

/// At most 60 characters of what a person typed, for quoting it in a message.
fn shortened(text: &str) -> String {
    if text.chars().count() <= 60 {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(59).collect();
        short.push('…');
        short
    }
}

/// Refuses an empty phone before the core is asked about it (it would say " is not whitelisted").
fn phone_given(phone: &str) -> CliResult<()> {
    if phone.trim().is_empty() {
        return Err(CliError::input(
            "invalid_phone",
            "the phone number is empty; give it as stored (+225...) or as typed nationally",
        ));
    }
    Ok(())
}

fn open_registry(db: Option<PathBuf>) -> CliResult<Registry> {
    let path = maintenance::db_path(db)?;
    Ok(Registry::open(&path, Catalog::embedded())?)
}

fn show_details(token: &TokenDetails, registry: &Registry, json: bool) -> CliResult<Outcome> {
    if json {
        output::json(token)?;
    } else {
        output::stdout_line(&output::token_details(token, registry.catalog()))?;
    }
    Ok(Outcome::Done)
}

/// Confirms a change: the token as JSON on stdout, or a sentence on stderr.
fn confirm(token: &TokenDetails, json: bool, message: &str) -> CliResult<Outcome> {
    if json {
        output::json(token)?;
    } else {
        output::note(message);
    }
    Ok(Outcome::Done)
}

fn expiry_phrase(token: &TokenDetails) -> String {
    token.summary.expires_at.map_or_else(
        || "never expires (consider an expiry date and rotating the token)".to_string(),
        |at| format!("expires {}", output::local_time(at)),
    )
}

/// What `create --json` prints: the token's fields plus its secret, once.
#[derive(Serialize)]
struct CreatedJson<'a> {
    #[serde(flatten)]
    token: &'a TokenDetails,
    secret: &'a str,
}

/// Counts bytes, to size the zeroizing buffer the secret is serialized into before it is written.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn create(
    registry: &mut Registry,
    args: &CreateArgs,
    json: bool,
    now: DateTime<Utc>,
) -> CliResult<Outcome> {
    let selections = args
        .allow
        .iter()
        .map(|spec| parse::allow(spec))
        .collect::<CliResult<Vec<_>>>()?;
    let numbers = args
        .numbers
        .iter()
        .map(|spec| parse::number(spec))
        .collect::<CliResult<Vec<_>>>()?;
    let expiry = parse::expiry(&args.expiry)?.unwrap_or(Expiry::Days {
        days: DEFAULT_EXPIRY_DAYS,
    });
    let composition = registry
        .catalog()
        .expand(&selections)?
        .into_iter()
        .collect();
    let request = NewToken {
        name: args.name.clone(),
        description: args.description.clone(),
        expiry,
        composition,
        numbers,
    };
    let created = registry.create_token(&request, now)?;
    let token = &created.token;
    if json {
        let shown = CreatedJson {
            token,
            secret: created.secret.expose_secret(),
        };
        let encode_error = |error: serde_json::Error| CliError::Io {
            context: "cannot encode the output".into(),
            source: error.into(),
        };
        // Serialize into a buffer of the exact size, so it never reallocates and leaves no
        // unzeroized copy of the secret behind; it is wiped when dropped.
        let mut counter = ByteCounter(0);
        serde_json::to_writer_pretty(&mut counter, &shown).map_err(encode_error)?;
        let mut buffer = Zeroizing::new(Vec::with_capacity(counter.0));
        serde_json::to_writer_pretty(&mut *buffer, &shown).map_err(encode_error)?;
        output::secret_line(&String::from_utf8_lossy(&buffer))?;
    } else {
        output::secret_line(created.secret.expose_secret())?;
    }
    output::note(&format!(
        "Created token '{}' (id {}), {}. Store the secret now: it will not be shown again.",
        token.summary.name,
        token.summary.id,
        expiry_phrase(token)
    ));
    Ok(Outcome::Done)
}

fn list(
    registry: &Registry,
    args: &ListArgs,
    json: bool,
    now: DateTime<Utc>,
) -> CliResult<Outcome> {
    let query = ListQuery {
        status: match args.status {
            StatusArg::Current => StatusFilter::Current,
            StatusArg::Active => StatusFilter::Active,
            StatusArg::Expired => StatusFilter::Expired,
            StatusArg::Revoked => StatusFilter::Revoked,
            StatusArg::All => StatusFilter::All,
        },
        search: args.search.clone(),
        sort: match args.sort {
            SortArg::Created => SortKey::CreatedAt,
            SortArg::Expires => SortKey::ExpiresAt,
            SortArg::LastUsed => SortKey::LastUsedAt,
            SortArg::Name => SortKey::Name,
        },
        descending: !args.asc,
        offset: args.offset,
        limit: args.limit,
    };
    let page = registry.list_tokens(&query, now)?;
    if json {
        output::json(&page)?;
        return Ok(Outcome::Done);
    }
    if page.items.is_empty() {
        if page.total == 0 {
            output::note(
                "No tokens match. A token lets a program call the ClaPay API for chosen countries, operators \
                 and methods; create one with: clapay-tokens-cli create --name NAME --allow CI:OM:MERCHANT",
            );
        } else {
            output::note(&format!(
                "No tokens past row {} ({} match in all)",
                args.offset, page.total
            ));
        }
        return Ok(Outcome::Done);
    }
    output::stdout_line(&output::token_table(&page.items))?;
    let shown = page.items.len() as u64;
    if shown < page.total {
        let first = u64::from(args.offset) + 1;
        output::note(&format!(
            "Showing {first}-{} of {} tokens; use --offset and --limit for more",
            u64::from(args.offset) + shown,
            page.total
        ));
    }
    Ok(Outcome::Done)
}

fn update(
    registry: &mut Registry,
    args: &UpdateArgs,
    json: bool,
    now: DateTime<Utc>,
) -> CliResult<Outcome> {
    let changes = TokenChanges {
        name: args.name.clone(),
        description: args.description.clone(),
        expiry: parse::expiry(&args.expiry)?,
    };
    if changes == TokenChanges::default() {
        return Err(CliError::input(
            "nothing_to_change",
            "nothing to change; give --name, --description, --expires-in-days, --expires-on or --no-expiry",
        ));
    }
    let id = resolve(registry, &args.token)?;
    let token = registry.update_token(&id, &changes, now)?;
    let message = format!(
        "Updated token '{}' (id {}); it {}",
        token.summary.name,
        token.summary.id,
        expiry_phrase(&token)
    );
    confirm(&token, json, &message)
}

fn compose(
    registry: &mut Registry,
    args: &ComposeArgs,
    json: bool,
    now: DateTime<Utc>,
) -> CliResult<Outcome> {
    let selections = args
        .allow
        .iter()
        .map(|spec| parse::allow(spec))
        .collect::<CliResult<Vec<_>>>()?;
    let removals = args
        .remove
        .iter()
        .map(|spec| parse::removal(spec))
        .collect::<CliResult<Vec<_>>>()?;
    if selections.is_empty() && removals.is_empty() {
        return Err(CliError::input(
            "nothing_to_change",
            "nothing to change; give --allow or --remove",
        ));
    }
    let id = resolve(registry, &args.token)?;
    // One core call: additions and removals apply in one transaction with one history event,
    // so the command is all or nothing and never overwrites a concurrent edit.
    let token = registry.edit_composition(&id, &selections, &removals, args.with_numbers, now)?;
    let message = format!(
        "Updated the composition of '{}':\n{}",
        token.summary.name,
        output::composition_text(&token, registry.catalog(), "  ")
    );
    confirm(&token, json, &message)
}

fn numbers(
    registry: &mut Registry,
    command: &NumbersCommand,
    json: bool,
    now: DateTime<Utc>,
) -> CliResult<Outcome> {
    match command {
        NumbersCommand::Add {
            token,
            country,
            phone,
        } => {
            let id = resolve(registry, token)?;
            let details = registry.add_number(&id, country, phone, now)?;
            let shown = clapay_core::numbers::normalize(registry.catalog(), country, phone)
                .map(|number| clapay_core::numbers::format_international(&number))
                .unwrap_or_else(|_| phone.clone());
            let message = format!("Whitelisted {shown} on token '{}'", details.summary.name);
            confirm(&details, json, &message)
        }
        NumbersCommand::Disable(target) | NumbersCommand::Enable(target) => {
            let enabled = matches!(command, NumbersCommand::Enable(_));
            phone_given(&target.phone)?;
            let id = resolve(registry, &target.token)?;
            let details = registry.set_number_enabled(&id, &target.phone, enabled, now)?;
            let state = if enabled { "Enabled" } else { "Disabled" };
            let message = format!(
                "{state} {} on token '{}'",
                target.phone.trim(),
                details.summary.name
            );
            confirm(&details, json, &message)
        }
        NumbersCommand::Remove(target) => {
            phone_given(&target.phone)?;
            let id = resolve(registry, &target.token)?;
            let details = registry.remove_number(&id, &target.phone, now)?;
            let message = format!(
                "Removed {} from token '{}'",
                target.phone.trim(),
                details.summary.name
            );
            confirm(&details, json, &message)
        }
        NumbersCommand::List(target) => {
            let id = resolve(registry, &target.token)?;
            let details = registry.get_token(&id, now)?;
            if json {
                output::json(&details.numbers)?;
            } else if details.numbers.is_empty() {
                output::note(&format!(
                    "Token '{}' has no whitelisted numbers (no phone restriction)",
                    details.summary.name
                ));
            } else {
                output::stdout_line(&output::number_table(&details.numbers))?;
            }
            Ok(Outcome::Done)
        }
    }
}

fn revoke(
    registry: &mut Registry,
    token: &str,
    json: bool,
    now: DateTime<Utc>,
) -> CliResult<Outcome> {
    let id = resolve(registry, token)?;
    let before = registry.get_token(&id, now)?;
    let details = registry.revoke_token(&id, now)?;
    let message = if before.summary.revoked_at.is_some() {
        format!(
            "Token '{}' (id {}) was already revoked; nothing changed",
            details.summary.name, details.summary.id
        )
    } else {
        format!(
            "Revoked token '{}' (id {}); it can no longer authorize payments. {} number(s) released",
            details.summary.name,
            details.summary.id,
            before.numbers.len()
        )
    };
    confirm(&details, json, &message)
}

fn authorize(
    registry: &mut Registry,
    args: &AuthorizeArgs,
    json: bool,
    now: DateTime<Utc>,
) -> CliResult<Outcome> {
    let secret = secret_input::read_secret()?;
    let request = AuthorizeRequest {
        secret,
        country: args.country.clone(),
        operator: args.operator.clone(),
        method: args.method.clone(),
        phone: args.phone.clone(),
    };
    let decision = registry.authorize(&request, now)?;
    drop(request);
    if json {
        output::json(&decision)?;
    } else if decision.allowed {
        output::stdout_line(&decision.message)?;
    } else {
        output::note(&decision.message);
    }
    Ok(if decision.allowed {
        Outcome::Done
    } else {
        Outcome::Denied
    })
}

fn history(registry: &Registry, token: &str, json: bool) -> CliResult<Outcome> {
    let id = resolve(registry, token)?;
    let events = registry.token_history(&id)?;
    if json {
        output::json(&events)?;
    } else {
        output::stdout_line(&output::history_table(&events))?;
    }
    Ok(Outcome::Done)
}
