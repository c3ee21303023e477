//! `clapay-tokens-cli`: the command-line companion of ClaPay Tokens.
//!
//! A thin front end over the core library (`clapay_core`), on the same SQLite database as the
//! desktop app, for scripts and servers. It links no GUI library. This file only parses the
//! command line, runs the command and turns the outcome into an exit code; see `commands` for
//! what each command does, `output` for how results are shown and `error` for the exit codes.

mod args;
mod commands;
mod error;
mod export;
mod maintenance;
mod output;
mod parse;
mod sandbox;
mod secret_input;

use std::process::ExitCode;

/// mimalloc rather than the system allocator: under `sandbox`, the gateway's workers allocate
/// each check's record and the usage writer's thread frees it, and glibc's malloc serialises such
/// frees on a lock per arena; at a few thousand requests a second the threads spent more time
/// waiting on those locks than checking (scripts/bench-sandbox.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

use crate::args::Cli;
use crate::error::{CliError, EXIT_INVALID_INPUT};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    match commands::run(&cli) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(error) => {
            report(&error, cli.json);
            ExitCode::from(error.exit_code())
        }
    }
}

/// Prints an error on stderr: one line for a person, or `{"error": {...}}` with `--json`.
fn report(error: &CliError, json: bool) {
    if json {
        let value =
            serde_json::json!({ "error": { "kind": error.kind(), "message": error.to_string() } });
        output::note(&value.to_string());
    } else {
        // One line, and no control or bidi character reaches the terminal: messages quote what
        // the user typed, which may hold a newline, an escape sequence or a right-to-left override.
        output::note(&format!("error: {}", output::printable(&error.to_string())));
    }
}

/// clap's own errors: help and version exit 0; usage mistakes exit 2 (clap's default) as one line
/// (`error: ...`, with clap's tip if it has one), or in JSON when `--json` was asked for.
fn usage_error(error: clap::Error) -> ExitCode {
    if !error.use_stderr() {
        // Prints help or version on stdout and exits 0.
        error.exit();
    }
    let json_requested = std::env::args_os().skip(1).any(|arg| arg == "--json");
    let rendered = error.render().to_string();
    let first_line = rendered
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("invalid usage");
    let mut message = first_line
        .strip_prefix("error: ")
        .unwrap_or(first_line)
        .to_string();
    for tip in rendered
        .lines()
        .filter_map(|line| line.trim().strip_prefix("tip: "))
    {
        message.push_str(&format!(" ({tip})"));
    }
    if !json_requested {
        message.push_str("; see --help");
    }
    report(&CliError::input("usage", message), json_requested);
    ExitCode::from(EXIT_INVALID_INPUT)
}
