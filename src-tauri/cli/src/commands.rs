//! One function per command: parse the domain values, call the core, render the result.
//!
//! No SQL and no business rule lives here (the only SQL of the CLI is the export's read of the
//! digests, in [`crate::export`]): the core decides what is valid, and its errors travel up as
//! [`CliError::Core`]. The clock is read once per command and passed to the core, which derives
//! statuses from it. The secret of a new token goes to stdout once and nowhere else.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clapay_core::{
    AuthorizeRequest, Catalog, Environment, Expiry, Grace, ListQuery, NewToken, Page, Registry,
    Secret, SortKey, StatusFilter, TokenChanges, TokenDetails,
};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::args::{
    AuthorizeArgs, Cli, Command, ComposeArgs, CreateArgs, DuplicateArgs, EnvironmentArg,
    ExpiringArgs, GraceArg, HistoryArgs, ListArgs, NumbersCommand, RollArgs, SortArg, StatusArg,
    UpdateArgs,
};
use crate::error::{CliError, CliResult, EXIT_DENIED, EXIT_FAILURE, EXIT_OK};
use crate::{export, maintenance, output, parse, sandbox, secret_input};

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
        Command::Sandbox(args) => return sandbox::run(cli.db.clone(), args, json),
        _ => {}
    }
    let mut registry = open_registry(cli.db.clone())?;
    match &cli.command {
        Command::Create(args) => create(&mut registry, args, json, now),
        Command::List(args) => list(&registry, args, json, now),
        Command::Show(target) => {
            let id = resolve(&registry, &target.token)?;
            // A grace that passed since the last look is recorded before the token is shown.
            registry.record_ended_graces(now)?;
            let token = registry.get_token(&id, now)?;
            show_details(&token, &registry, json)
        }
        Command::Update(args) => update(&mut registry, args, json, now),
        Command::Compose(args) => compose(&mut registry, args, json, now),
        Command::Numbers(command) => numbers(&mut registry, command, json, now),
        Command::Revoke(target) => revoke(&mut registry, &target.token, json, now),
        Command::Roll(args) => roll(&mut registry, args, json, now),
        Command::EndGrace(target) => end_grace(&mut registry, &target.token, json, now),
        Command::Duplicate(args) => duplicate(&mut registry, args, json, now),
        Command::Expiring(args) => expiring(&registry, args, json, now),
        Command::Authorize(args) => authorize(&mut registry, args, json, now),
        Command::History(args) => history(&mut registry, args, json, now),
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
        Command::Catalog
        | Command::Backup(_)
        | Command::Restore(_)
        | Command::Check
        | Command::Sandbox(_) => Ok(Outcome::Done),
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
        environment: environment(args.environment),
        expiry,
        composition,
        numbers,
    };
    let created = registry.create_token(&request, now)?;
    print_secret(&created.token, &created.secret, json)?;
    output::note(&format!(
        "Created token '{}' ({}, id {}), {}. Store the secret now: it will not be shown again.",
        created.token.summary.name,
        created.token.summary.environment,
        created.token.summary.id,
        expiry_phrase(&created.token)
    ));
    Ok(Outcome::Done)
}

/// Prints a new secret once on stdout: alone, or with `--json` inside the token's fields.
fn print_secret(token: &TokenDetails, secret: &Secret, json: bool) -> CliResult<()> {
    if !json {
        return output::secret_line(secret.expose_secret());
    }
    let shown = CreatedJson {
        token,
        secret: secret.expose_secret(),
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
    output::secret_line(&String::from_utf8_lossy(&buffer))
}

fn environment(arg: EnvironmentArg) -> Environment {
    match arg {
        EnvironmentArg::Sandbox => Environment::Sandbox,
        EnvironmentArg::Live => Environment::Live,
    }
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
            StatusArg::Expiring => StatusFilter::Expiring,
            StatusArg::Rolling => StatusFilter::Rolling,
            StatusArg::Expired => StatusFilter::Expired,
            StatusArg::Rolled => StatusFilter::Rolled,
            StatusArg::Revoked => StatusFilter::Revoked,
            StatusArg::All => StatusFilter::All,
        },
        environment: args.environment.map(environment),
        search: args.search.clone(),
        sort: match args.sort {
            SortArg::Created => SortKey::CreatedAt,
            SortArg::Expires => SortKey::ExpiresAt,
            SortArg::LastUsed => SortKey::LastUsedAt,
            SortArg::Name => SortKey::Name,
        },
        descending: !args.asc,
        page: match (&args.after, &args.before) {
            (Some(after), _) => Page::After {
                cursor: after.trim().to_string(),
            },
            (None, Some(before)) => Page::Before {
                cursor: before.trim().to_string(),
            },
            (None, None) => Page::First,
        },
        limit: args.limit,
    };
    let page = registry.list_tokens(&query, now).map_err(|error| match error {
        clapay_core::Error::NotFound { id } => CliError::input(
            "not_found",
            format!(
                "no token has the id '{}' given to --after or --before; use an id from the ID column",
                shortened(&id)
            ),
        ),
        other => CliError::Core(other),
    })?;
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
                "No tokens on this side of that row ({} match in all)",
                page.total
            ));
        }
        return Ok(Outcome::Done);
    }
    output::stdout_line(&output::token_table(&page.items))?;
    let shown = page.items.len() as u64;
    if shown < page.total {
        let mut more = Vec::new();
        if let (true, Some(last)) = (page.has_next, page.items.last()) {
            more.push(format!("the next page: --after {}", last.id));
        }
        if let (true, Some(first)) = (page.has_previous, page.items.first()) {
            more.push(format!("the page before: --before {}", first.id));
        }
        output::note(&format!(
            "Showing {shown} of {} tokens; {}",
            page.total,
            more.join("; ")
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
            let mut message = format!(
                "{state} {} on token '{}'",
                target.phone.trim(),
                details.summary.name
            );
            if let Some(paused) = output::paused_countries(&details).first() {
                message.push_str(&format!(
                    ". No number of {} can pay with this token until you enable one",
                    registry.catalog().country_name(paused)
                ));
            }
            confirm(&details, json, &message)
        }
        NumbersCommand::Remove(args) => {
            let target = &args.target;
            phone_given(&target.phone)?;
            let id = resolve(registry, &target.token)?;
            let details = registry
                .remove_number(&id, &target.phone, args.lift_restriction, now)
                .map_err(|error| match error {
                    clapay_core::Error::LastNumberOfCountry { .. } => {
                        CliError::input(error.kind(), format!("{error} (add --lift-restriction)"))
                    }
                    other => CliError::Core(other),
                })?;
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
        environment: None,
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

/// Events printed per page read: the history is streamed, never held in memory whole.
const HISTORY_PAGE: u32 = 500;

fn history(
    registry: &mut Registry,
    args: &HistoryArgs,
    json: bool,
    now: DateTime<Utc>,
) -> CliResult<Outcome> {
    let id = resolve(registry, &args.token)?;
    registry.record_ended_graces(now)?;
    let mut before = args.before;
    let mut left = args.limit.unwrap_or(u64::MAX);
    let mut first_page = true;
    if json {
        output::stdout_raw("[")?;
    }
    while left > 0 {
        let wanted = u32::try_from(left.min(u64::from(HISTORY_PAGE))).unwrap_or(HISTORY_PAGE);
        let page = registry.token_history_page(&id, before, wanted)?;
        let Some(last) = page.events.last() else {
            break;
        };
        before = Some(last.id);
        left -= page.events.len() as u64;
        if json {
            for (index, event) in page.events.iter().enumerate() {
                let separator = if first_page && index == 0 { "" } else { "," };
                let text = serde_json::to_string(event).map_err(|error| CliError::Io {
                    context: "cannot encode the output".into(),
                    source: error.into(),
                })?;
                output::stdout_raw(&format!("{separator}\n  {text}"))?;
            }
        } else {
            output::stdout_line(&output::history_table(&page.events, first_page))?;
        }
        first_page = false;
        if page.older == 0 {
            break;
        }
    }
    if json {
        output::stdout_line(if first_page { "]" } else { "\n]" })?;
    } else if first_page {
        output::note("No events older than that");
    }
    Ok(Outcome::Done)
}

/// The answer of `roll` and `duplicate`: the new token's secret once on stdout, then a sentence.
fn roll(
    registry: &mut Registry,
    args: &RollArgs,
    json: bool,
    now: DateTime<Utc>,
) -> CliResult<Outcome> {
    let id = resolve(registry, &args.token)?;
    let grace = match args.grace {
        GraceArg::Now => Grace::Now,
        GraceArg::OneHour => Grace::OneHour,
        GraceArg::OneDay => Grace::OneDay,
        GraceArg::SevenDays => Grace::SevenDays,
    };
    let rolled = registry.roll_token(&id, grace, now)?;
    print_secret(&rolled.token, &rolled.secret, json)?;
    let old = &rolled.previous.summary;
    let until = match (grace, old.grace_ends_at) {
        (Grace::Now, _) | (_, None) => "has stopped working".to_string(),
        (_, Some(end)) => format!("keeps working until {}", output::local_time(end)),
    };
    output::note(&format!(
        "Rolled '{}': the new token (id {}) has the name, composition and numbers; the old one, \
         now '{}' (id {}), {until}. Store the new secret now: it will not be shown again.",
        rolled.token.summary.name, rolled.token.summary.id, old.name, old.id
    ));
    Ok(Outcome::Done)
}

fn end_grace(
    registry: &mut Registry,
    token: &str,
    json: bool,
    now: DateTime<Utc>,
) -> CliResult<Outcome> {
    let id = resolve(registry, token)?;
    let details = registry.end_grace(&id, now)?;
    let message = format!(
        "The grace period of '{}' (id {}) has ended: its secret no longer authorizes payments",
        details.summary.name, details.summary.id
    );
    confirm(&details, json, &message)
}

fn duplicate(
    registry: &mut Registry,
    args: &DuplicateArgs,
    json: bool,
    now: DateTime<Utc>,
) -> CliResult<Outcome> {
    let id = resolve(registry, &args.token)?;
    let created = registry.duplicate_token(&id, args.name.as_deref(), now)?;
    print_secret(&created.token, &created.secret, json)?;
    output::note(&format!(
        "Created token '{}' ({}, id {}) from '{}', {}; its numbers were not copied (a number belongs to one token). \
         Store the secret now: it will not be shown again.",
        created.token.summary.name,
        created.token.summary.environment,
        created.token.summary.id,
        args.token.trim(),
        expiry_phrase(&created.token)
    ));
    Ok(Outcome::Done)
}

fn expiring(
    registry: &Registry,
    args: &ExpiringArgs,
    json: bool,
    now: DateTime<Utc>,
) -> CliResult<Outcome> {
    let horizon = now + chrono::Duration::days(i64::from(args.within_days));
    let mut found = Vec::new();
    let mut page = Page::First;
    loop {
        let result = registry.list_tokens(
            &ListQuery {
                status: StatusFilter::Active,
                sort: SortKey::ExpiresAt,
                descending: false,
                page: page.clone(),
                limit: clapay_core::token::PAGE_MAX,
                ..ListQuery::default()
            },
            now,
        )?;
        let mut past_horizon = false;
        for item in result.items {
            match item.expires_at {
                Some(expiry) if expiry <= horizon => found.push(item),
                _ => {
                    past_horizon = true;
                    break;
                }
            }
        }
        match (past_horizon, result.has_next, found.last()) {
            (false, true, Some(last)) => {
                page = Page::After {
                    cursor: last.id.clone(),
                }
            }
            _ => break,
        }
    }
    if json {
        output::json(&found)?;
    } else if found.is_empty() {
        output::note(&format!(
            "No active token expires within {} days",
            args.within_days
        ));
    } else {
        output::stdout_line(&output::token_table(&found))?;
        output::note(&format!(
            "{} token(s) expire within {} days; roll them with: clapay-tokens-cli roll ID",
            found.len(),
            args.within_days
        ));
    }
    Ok(Outcome::Done)
}
