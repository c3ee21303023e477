//! The request log: the last [`LOG_CAPACITY`] requests and webhook attempts, in memory, for the
//! app's Sandbox screen. It never holds a secret (no token, no webhook key) and shows phone
//! numbers masked.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Entries kept; older ones are dropped.
pub const LOG_CAPACITY: usize = 200;

/// The longest path kept in an entry, in characters.
const PATH_MAX: usize = 120;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A request the gateway answered.
    Request,
    /// An attempt to deliver a webhook.
    Webhook,
}

/// The outcome of a token check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// At least one operator was authorized.
    Allowed,
    /// The token or the payment was refused.
    Denied,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// Increases by one per entry, so a reader can tell which entries are new.
    pub seq: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// A request or a webhook attempt.
    pub kind: EntryKind,
    /// The HTTP verb.
    pub verb: String,
    /// The path (for a webhook, the callback URL).
    pub path: String,
    /// The status answered (for a webhook, the status received; 0 when none came).
    pub status: u16,
    /// The token's name, when the request named a known token.
    pub token_name: Option<String>,
    /// The country asked for.
    pub country: Option<String>,
    /// The operators asked for, comma-separated.
    pub operator: Option<String>,
    /// The payment method asked for.
    pub method: Option<String>,
    /// The customer's phone, masked.
    pub phone: Option<String>,
    /// Allowed or denied, for a checked request.
    pub decision: Option<Verdict>,
    /// The error code answered or the reason of a denial.
    pub reason: Option<String>,
    /// More words (a webhook's attempt number and outcome).
    pub detail: Option<String>,
}

impl LogEntry {
    /// An entry for a request, with the check's fields empty.
    pub fn request(verb: &str, path: &str, status: u16) -> LogEntry {
        LogEntry {
            seq: 0,
            at: Utc::now(),
            kind: EntryKind::Request,
            verb: verb.to_string(),
            path: shortened(path),
            status,
            token_name: None,
            country: None,
            operator: None,
            method: None,
            phone: None,
            decision: None,
            reason: None,
            detail: None,
        }
    }
}

/// The bounded log, shared by the handlers and the app.
#[derive(Debug, Default)]
pub struct RequestLog {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_seq: u64,
    entries: VecDeque<LogEntry>,
}

impl RequestLog {
    /// Appends an entry, dropping the oldest past [`LOG_CAPACITY`].
    pub fn push(&self, mut entry: LogEntry) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.next_seq += 1;
        entry.seq = inner.next_seq;
        if inner.entries.len() == LOG_CAPACITY {
            inner.entries.pop_front();
        }
        inner.entries.push_back(entry);
    }

    /// The entries, newest first.
    pub fn newest_first(&self) -> Vec<LogEntry> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.entries.iter().rev().cloned().collect()
    }
}

/// A phone number with all but its first four and last two characters hidden.
pub fn mask_phone(phone: &str) -> String {
    let characters: Vec<char> = phone.trim().chars().collect();
    if characters.len() <= 6 {
        return "•".repeat(characters.len());
    }
    let last = characters.len() - 2;
    characters
        .iter()
        .enumerate()
        .map(|(index, &character)| {
            if index < 4 || index >= last {
                character
            } else {
                '•'
            }
        })
        .collect()
}

fn shortened(path: &str) -> String {
    if path.chars().count() <= PATH_MAX {
        return path.to_string();
    }
    let mut short: String = path.chars().take(PATH_MAX - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_newest_entries_only() {
        let log = RequestLog::default();
        for index in 0..(LOG_CAPACITY + 5) {
            log.push(LogEntry::request("GET", &format!("/{index}"), 404));
        }
        let entries = log.newest_first();
        assert_eq!(entries.len(), LOG_CAPACITY, "bounded");
        assert_eq!(
            entries[0].path,
            format!("/{}", LOG_CAPACITY + 4),
            "newest first"
        );
        assert_eq!(entries[0].seq, (LOG_CAPACITY + 5) as u64);
    }

    #[test]
    fn phones_are_masked_but_recognisable() {
        assert_eq!(mask_phone("+2250707070789"), "+225••••••••89");
        assert_eq!(mask_phone("0707"), "••••", "a short value shows nothing");
    }

    #[test]
    fn long_paths_are_cut() {
        let entry = LogEntry::request("GET", &"a".repeat(500), 404);
        assert_eq!(entry.path.chars().count(), PATH_MAX);
    }
}
