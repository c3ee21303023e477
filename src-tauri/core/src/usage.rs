//! Recording payment checks: a `used` or `denied` event per check, and `last_used_at` of the token
//! when allowed. This module is the one place that writes them.
//!
//! Two ways, one per kind of caller:
//! - **at once** ([`write()`], through [`crate::Registry::authorize`]): the app's "Check a payment"
//!   and the CLI's `authorize` are one check at a time, made by a person or a script that expects
//!   it on disk when the answer comes. One transaction per check.
//! - **in batches** ([`UsageWriter`], owned by a [`crate::Checker`]): the sandbox gateway answers
//!   many requests a second, and an fsync per request would cost many times the check itself. A
//!   writer thread with its own connection commits what was queued in one transaction at most
//!   [`BATCH_WINDOW`] after the first record of the batch (group commit). A flush (on stop, or
//!   when a caller asks) waits until everything queued is on disk. A crash (power loss, SIGKILL)
//!   can lose the records of the last batch window; a clean stop loses nothing.

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{params, Connection, TransactionBehavior};
use serde::Serialize;

use crate::authorize::DenyReason;
use crate::error::{Error, Result};

/// How long a batch waits for more records after its first one before it is committed.
pub const BATCH_WINDOW: Duration = Duration::from_millis(50);
/// Records queued before a check waits for the writer (back-pressure: memory stays bounded).
const QUEUE_CAPACITY: usize = 65_536;

/// One check to record. It holds no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageEvent {
    /// The token whose secret was checked; `None` when it is malformed or unknown.
    pub token_id: Option<String>,
    /// When, in milliseconds since the epoch.
    pub at: i64,
    /// Why it was denied; `None` when allowed.
    pub reason: Option<DenyReason>,
    /// The request's fields, each at most [`crate::authorize::FIELD_MAX`] characters.
    pub country: String,
    /// Operator code.
    pub operator: String,
    /// Method code.
    pub method: String,
    /// The customer's phone as given.
    pub phone: Option<String>,
}

/// The history detail of a check.
#[derive(Serialize)]
struct CheckDetail<'a> {
    country: &'a str,
    method: &'a str,
    operator: &'a str,
    phone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

impl UsageEvent {
    fn kind(&self) -> &'static str {
        if self.reason.is_some() {
            "denied"
        } else {
            "used"
        }
    }

    fn detail(&self) -> String {
        serde_json::to_string(&CheckDetail {
            country: &self.country,
            method: &self.method,
            operator: &self.operator,
            phone: self.phone.as_deref(),
            reason: self.reason.map(DenyReason::code),
        })
        .unwrap_or_else(|_| "{}".to_string())
    }
}

/// Writes checks in the caller's transaction: one event each, and for each token the newest of
/// its allowed uses as its `last_used_at` (one update per token however many uses; never moved
/// back).
pub fn write(connection: &Connection, events: &[UsageEvent]) -> Result<()> {
    let mut insert = connection.prepare_cached(
        "INSERT INTO history (token_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut newest: HashMap<&str, i64> = HashMap::new();
    for event in events {
        insert.execute(params![
            event.token_id,
            event.at,
            event.kind(),
            event.detail()
        ])?;
        if let (Some(token_id), None) = (&event.token_id, event.reason) {
            let at = newest.entry(token_id).or_insert(event.at);
            *at = (*at).max(event.at);
        }
    }
    let mut last_used = connection.prepare_cached(
        "UPDATE tokens SET last_used_at = ?2
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
    )?;
    for (token_id, at) in newest {
        last_used.execute(params![token_id, at])?;
    }
    Ok(())
}

enum Command {
    Record(UsageEvent),
    /// Commit everything queued before this, then answer.
    Flush(mpsc::Sender<Result<()>>),
}

/// A writer thread that records checks in batches (see the module's documentation). Dropping it
/// commits what is queued and stops the thread; [`UsageWriter::close`] does the same and says
/// whether the last commit succeeded.
pub struct UsageWriter {
    sender: Option<SyncSender<Command>>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl UsageWriter {
    /// Starts a writer on the database at `path`, which must already be open and migrated.
    pub fn start(path: &Path) -> Result<UsageWriter> {
        let connection = crate::db::open_existing(path)?;
        let (sender, receiver) = mpsc::sync_channel(QUEUE_CAPACITY);
        let thread = std::thread::Builder::new()
            .name("usage-writer".into())
            .spawn(move || run(connection, &receiver))
            .map_err(|source| Error::Io {
                context: "cannot start the usage writer".into(),
                source,
            })?;
        Ok(UsageWriter {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    /// Queues a check; it is on disk after the next commit (at most [`BATCH_WINDOW`] later).
    pub fn record(&self, event: UsageEvent) -> Result<()> {
        self.send(Command::Record(event))
    }

    /// Waits until every check queued so far is on disk.
    pub fn flush(&self) -> Result<()> {
        let (answer, done) = mpsc::channel();
        self.send(Command::Flush(answer))?;
        done.recv().map_err(|_| stopped())?
    }

    /// Commits what is queued, stops the thread and reports the last commit's outcome.
    pub fn close(mut self) -> Result<()> {
        self.stop()
    }

    fn send(&self, command: Command) -> Result<()> {
        self.sender
            .as_ref()
            .ok_or_else(stopped)?
            .send(command)
            .map_err(|_| stopped())
    }

    fn stop(&mut self) -> Result<()> {
        // Closing the channel tells the thread to commit what is left and end.
        self.sender.take();
        match self.thread.take() {
            Some(thread) => thread.join().map_err(|_| stopped())?,
            None => Ok(()),
        }
    }
}

impl Drop for UsageWriter {
    fn drop(&mut self) {
        // Nobody is left to report a failure to.
        let _ = self.stop();
    }
}

fn stopped() -> Error {
    Error::Io {
        context: "the usage writer stopped".into(),
        source: std::io::Error::from(std::io::ErrorKind::BrokenPipe),
    }
}

/// The writer thread: wait for a first command, let the batch gather for the batch window (asleep,
/// so a check that queues a record never has to wake it), take what arrived, commit, answer the
/// flushes. Returns the outcome of the last commit once every sender is gone.
fn run(mut connection: Connection, receiver: &Receiver<Command>) -> Result<()> {
    let mut pending: Vec<UsageEvent> = Vec::new();
    let mut waiting: Vec<mpsc::Sender<Result<()>>> = Vec::new();
    let mut open = true;
    while open || !pending.is_empty() {
        if pending.is_empty() {
            match receiver.recv() {
                Ok(command) => take(command, &mut pending, &mut waiting),
                Err(_) => break,
            }
        }
        // A flush commits at once; records wait for the rest of their batch.
        if waiting.is_empty() && open {
            std::thread::sleep(BATCH_WINDOW);
        }
        loop {
            match receiver.try_recv() {
                Ok(command) => take(command, &mut pending, &mut waiting),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
            }
        }
        let committed = commit(&mut connection, &pending);
        if committed.is_ok() {
            pending.clear();
        }
        for flush in waiting.drain(..) {
            let _ = flush.send(committed.as_ref().map(|_| ()).map_err(clone_error));
        }
        if let Err(error) = committed {
            if !open {
                return Err(error);
            }
            // Kept for the next attempt (the database stayed locked past the busy timeout, the
            // disk is full): nothing acknowledged by a flush is dropped.
            std::thread::sleep(BATCH_WINDOW);
        }
    }
    Ok(())
}

fn take(
    command: Command,
    pending: &mut Vec<UsageEvent>,
    waiting: &mut Vec<mpsc::Sender<Result<()>>>,
) {
    match command {
        Command::Record(event) => pending.push(event),
        Command::Flush(answer) => waiting.push(answer),
    }
}

fn commit(connection: &mut Connection, events: &[UsageEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    write(&transaction, events)?;
    transaction.commit()?;
    Ok(())
}

/// Errors are not `Clone`; a flush gets the same words.
fn clone_error(error: &Error) -> Error {
    Error::Io {
        context: format!("the checks could not be recorded: {error}"),
        source: std::io::Error::other("usage commit failed"),
    }
}
