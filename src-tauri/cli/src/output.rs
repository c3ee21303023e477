//! Rendering: tables and detail views for people, JSON for programs, and the two output streams.
//!
//! Data a command was asked for goes to stdout; everything addressed to a person (confirmations,
//! warnings, a denial's reason, paging notes) goes to stderr, so a script can capture stdout
//! without parsing prose. Tables follow `gh`: aligned columns separated by two spaces, no box
//! drawing, upper-case headers. Times are stored in UTC and shown in local time as
//! `YYYY-MM-DD HH:MM`. Nothing here ever receives a secret, except [`secret_line`], which writes
//! the one line a `create` prints.

use std::io::Write;

use chrono::{DateTime, Local, Utc};
use clapay_core::{Catalog, HistoryEvent, NumberEntry, TokenDetails, TokenSummary};
use serde::Serialize;

use crate::error::{CliError, CliResult};

/// Writes `text` (a newline is added) to stdout; a closed pipe or a full disk is an error.
pub fn stdout_line(text: &str) -> CliResult<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|source| CliError::Io {
            context: "cannot write to standard output".into(),
            source,
        })
}

/// Writes `text` to stdout as it is (no newline): a document printed in pieces.
pub fn stdout_raw(text: &str) -> CliResult<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| CliError::Io {
            context: "cannot write to standard output".into(),
            source,
        })
}

/// Writes a secret and a newline to stdout, without any intermediate `String` copy of it.
pub fn secret_line(secret: &str) -> CliResult<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(secret.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|source| CliError::Io {
            context: "cannot write the secret to standard output".into(),
            source,
        })
}

/// Writes a message for a person to stderr. Failing to write it changes nothing for the caller.
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// `text` with control characters and invisible direction or zero-width marks escaped (`\n`,
/// `\u{1b}`, `\u{202e}`), so a message that quotes user input stays on one line, cannot send
/// escape sequences to the terminal and cannot reorder what it shows.
pub fn printable(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            c if c.is_control() || is_invisible_format(c) => {
                shown.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => shown.push(c),
        }
    }
    shown
}

/// Bidi embeddings, overrides and isolates, direction marks, zero-width characters and the BOM.
fn is_invisible_format(character: char) -> bool {
    matches!(
        character,
        '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{061c}'
            | '\u{feff}'
    )
}

/// Prints a value as pretty JSON on stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> CliResult<()> {
    let text = serde_json::to_string_pretty(value).map_err(|error| CliError::Io {
        context: "cannot encode the output as JSON".into(),
        source: std::io::Error::other(error),
    })?;
    stdout_line(&text)
}

/// A UTC time in local time, `YYYY-MM-DD HH:MM`.
pub fn local_time(time: DateTime<Utc>) -> String {
    time.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn optional_time(time: Option<DateTime<Utc>>, none: &str) -> String {
    time.map_or_else(|| none.to_string(), local_time)
}

/// Lays rows out in aligned columns under upper-case headers; the last column is not padded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers
        .iter()
        .map(|header| header.chars().count())
        .collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let header_cells: Vec<String> = headers.iter().map(|header| header.to_string()).collect();
    for row in std::iter::once(&header_cells).chain(rows) {
        let mut line = String::new();
        for (index, cell) in row.iter().enumerate() {
            if index + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = widths[index].saturating_sub(cell.chars().count());
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text.pop();
    text
}

/// Shortens text for a table cell: one line, at most `max` characters.
fn cell(text: &str, max: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut short: String = one_line.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

fn numbers_cell(total: u32, enabled: u32) -> String {
    if total == enabled {
        total.to_string()
    } else {
        format!("{total} ({} disabled)", total - enabled)
    }
}

/// The token list as a table.
pub fn token_table(items: &[TokenSummary]) -> String {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|token| {
            vec![
                token.id.clone(),
                cell(&token.name, 40),
                token.environment.to_string(),
                if token.expiring {
                    format!("{} (expiring)", token.status)
                } else {
                    token.status.to_string()
                },
                local_time(token.created_at),
                optional_time(token.expires_at, "never"),
                optional_time(token.last_used_at, "never"),
                token.countries.join(" "),
                numbers_cell(token.number_count, token.enabled_number_count),
                cell(&token.description, 40),
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "NAME",
            "ENV",
            "STATUS",
            "CREATED",
            "EXPIRES",
            "LAST USED",
            "COMPOSITION",
            "NUMBERS",
            "DESCRIPTION",
        ],
        &rows,
    )
}

fn number_rows(numbers: &[NumberEntry], indent: &str) -> Vec<Vec<String>> {
    numbers
        .iter()
        .map(|entry| {
            vec![
                format!("{indent}{}", entry.country),
                entry.formatted.clone(),
                if entry.enabled {
                    "enabled".into()
                } else {
                    "disabled".into()
                },
                format!("added {}", local_time(entry.added_at)),
            ]
        })
        .collect()
}

/// A token's numbers as a table.
pub fn number_table(numbers: &[NumberEntry]) -> String {
    table(
        &["COUNTRY", "NUMBER", "STATE", "ADDED"],
        &number_rows(numbers, ""),
    )
}

/// The composition, one block per country: `CI  Côte d'Ivoire` then `OM  Orange Money  MERCHANT, CASHIN`,
/// with operator columns aligned across all countries.
pub fn composition_text(token: &TokenDetails, catalog: &Catalog, indent: &str) -> String {
    let mut operator_rows = Vec::new();
    let mut first_row_of_country = Vec::new();
    for card in &token.composition {
        first_row_of_country.push((operator_rows.len(), card.country.as_str()));
        for operator in &card.operators {
            let methods: Vec<&str> = operator
                .methods
                .iter()
                .map(|method| method.code())
                .collect();
            operator_rows.push(vec![
                format!("{indent}  {}", operator.operator),
                catalog
                    .operator_name(&card.country, &operator.operator)
                    .to_string(),
                methods.join(", "),
            ]);
        }
    }
    let rendered = table(&["", "", ""], &operator_rows);
    let mut lines = Vec::new();
    let mut headers = first_row_of_country.into_iter().peekable();
    for (index, line) in rendered.lines().skip(1).enumerate() {
        while let Some((_, country)) = headers.next_if(|(row, _)| *row == index) {
            lines.push(format!(
                "{indent}{country}  {}",
                catalog.country_name(country)
            ));
        }
        lines.push(line.to_string());
    }
    lines.join("\n")
}

/// Every field of a token, its composition and its numbers.
pub fn token_details(token: &TokenDetails, catalog: &Catalog) -> String {
    let summary = &token.summary;
    let description = if summary.description.is_empty() {
        "-".to_string()
    } else {
        summary.description.replace('\n', "\n              ")
    };
    let mut text = format!(
        "Name:         {}\nID:           {}\nEnvironment:  {}\nStatus:       {}{}\nHint:         {}\nDescription:  {}\n\
         Created:      {}\nExpires:      {}\nRevoked:      {}\nLast used:    {}\n",
        summary.name,
        summary.id,
        summary.environment,
        summary.status,
        if summary.expiring { " (expiring soon)" } else { "" },
        summary.hint,
        description,
        local_time(summary.created_at),
        optional_time(summary.expires_at, "never"),
        optional_time(summary.revoked_at, "-"),
        optional_time(summary.last_used_at, "never"),
    );
    if let Some(successor) = &token.successor {
        text.push_str(&format!(
            "Rolled to:    {} (id {}); grace {} {}\n",
            successor.name,
            successor.id,
            if summary.status == clapay_core::Status::Rolling {
                "ends"
            } else {
                "ended"
            },
            optional_time(summary.grace_ends_at, "-")
        ));
    }
    if let Some(previous) = &token.rolled_from {
        text.push_str(&format!(
            "Rolled from:  {} (id {})\n",
            previous.name, previous.id
        ));
    }
    text.push_str(&format!(
        "\nComposition ({} countries, {} allowed operator-methods)\n",
        token.composition.len(),
        summary.triple_count
    ));
    text.push_str(&composition_text(token, catalog, "  "));
    text.push('\n');
    if token.numbers.is_empty() {
        text.push_str("\nNumbers: none (no phone restriction)");
    } else {
        text.push_str(&format!(
            "\nNumbers ({}, {} enabled)\n",
            summary.number_count, summary.enabled_number_count
        ));
        let block = table(&["", "", "", ""], &number_rows(&token.numbers, "  "));
        text.push_str(&block.lines().skip(1).collect::<Vec<_>>().join("\n"));
        text.push_str("\n\nWho may pay\n");
        text.push_str(&whitelist_rules(token, catalog).join("\n"));
    }
    text
}

/// A history detail object as `key: value` pairs on one line.
fn detail_text(detail: &serde_json::Value) -> String {
    let serde_json::Value::Object(fields) = detail else {
        return if detail.is_null() {
            String::new()
        } else {
            detail.to_string()
        };
    };
    let mut parts = Vec::new();
    for (key, value) in fields {
        let shown = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Array(items) if items.is_empty() => continue,
            serde_json::Value::Array(items) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| item.to_string(), str::to_string)
                })
                .collect::<Vec<_>>()
                .join(" "),
            other => other.to_string(),
        };
        parts.push(format!("{key}: {shown}"));
    }
    parts.join("; ")
}

/// A page of a token's history as a table, with its header when `header` is set (the first page).
pub fn history_table(events: &[HistoryEvent], header: bool) -> String {
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|event| {
            let kind = serde_json::to_value(event.kind)
                .ok()
                .and_then(|value| value.as_str().map(str::to_string))
                .unwrap_or_default();
            vec![
                event.id.to_string(),
                local_time(event.at),
                kind,
                detail_text(&event.detail),
            ]
        })
        .collect();
    let text = table(&["EVENT", "WHEN", "KIND", "DETAIL"], &rows);
    if header {
        text
    } else {
        text.lines().skip(1).collect::<Vec<_>>().join("\n")
    }
}

/// The countries where every whitelisted number of the token is disabled: the token is paused
/// there (a country with numbers accepts only its enabled ones).
pub fn paused_countries(token: &TokenDetails) -> Vec<String> {
    let mut countries: Vec<String> = token.numbers.iter().map(|n| n.country.clone()).collect();
    countries.dedup();
    countries.retain(|country| {
        token
            .numbers
            .iter()
            .filter(|n| &n.country == country)
            .all(|n| !n.enabled)
    });
    countries
}

/// What the numbers of each country mean for a payment, in words.
fn whitelist_rules(token: &TokenDetails, catalog: &Catalog) -> Vec<String> {
    let paused = paused_countries(token);
    token
        .composition
        .iter()
        .map(|card| {
            let name = catalog.country_name(&card.country);
            let here = token.numbers.iter().filter(|n| n.country == card.country).count();
            let rule = if here == 0 {
                "any phone may pay (no whitelisted number)".to_string()
            } else if paused.contains(&card.country) {
                format!("paused: every number is disabled, no number of {name} can pay until one is enabled")
            } else {
                "only the enabled whitelisted numbers may pay".to_string()
            };
            format!("  {}  {name}: {rule}", card.country)
        })
        .collect()
}

/// The catalog: countries, then their operators and methods.
pub fn catalog_text(catalog: &Catalog) -> String {
    let mut lines = vec![format!("Catalog {}", catalog.version)];
    for country in &catalog.countries {
        lines.push(String::new());
        lines.push(format!(
            "{}  {}  {}  {}",
            country.iso, country.name, country.calling_code, country.currency
        ));
        let rows: Vec<Vec<String>> = country
            .operators
            .iter()
            .map(|operator| {
                let methods: Vec<&str> = operator
                    .methods
                    .iter()
                    .map(|method| method.code())
                    .collect();
                vec![
                    format!("  {}", operator.code),
                    operator.name.clone(),
                    methods.join(" "),
                ]
            })
            .collect();
        lines.extend(
            table(&["", "", ""], &rows)
                .lines()
                .skip(1)
                .map(str::to_string),
        );
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns_and_trims_the_last() {
        let rows = vec![
            vec!["a".to_string(), "bb".to_string()],
            vec!["ccc".to_string(), "d".to_string()],
        ];
        assert_eq!(
            table(&["X", "Y"], &rows),
            "X    Y\na    bb\nccc  d",
            "columns line up two spaces apart"
        );
    }

    #[test]
    fn printable_escapes_controls_and_direction_marks() {
        assert_eq!(
            printable("a\nb\u{1b}[31m\u{202e}c\u{200b}d, Côte d'Ivoire"),
            "a\\nb\\u{1b}[31m\\u{202e}c\\u{200b}d, Côte d'Ivoire"
        );
    }

    #[test]
    fn cells_are_one_line_and_bounded() {
        assert_eq!(cell("line one\nline two", 100), "line one line two");
        assert_eq!(
            cell("abcdef", 4).chars().count(),
            4,
            "a long cell is cut with an ellipsis"
        );
    }
}
