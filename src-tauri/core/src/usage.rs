//! Recording payment checks: a `used` or `denied` event per check, and `last_used_at` of the token
//! when allowed. This module is the one place that writes them.
//!
//! Two ways, one per kind of caller:
//! - **at once** ([`write`], through [`crate::Registry::authorize`]): the app's "Check a payment"
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
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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

/// Writes checks in the caller's transaction: one event each, and the newest allowed use of each
/// token as its `last_used_at` (never moved back).
pub fn write(connection: &Connection, events: &[UsageEvent]) -> Result<()> {
    let mut insert = connection.prepare_cached(
        "INSERT INTO history (token_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut last_used = connection.prepare_cached(
        "UPDATE tokens SET last_used_at = ?2
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
    )?;
    // A batch holds many checks of the same few tokens: one update per token, with its newest
    // allowed use, rather than one per check.
    let mut newest: HashMap<&str, i64> = HashMap::new();
    for event in events {
        insert.execute(params![
            event.token_id,
            event.at,
            event.kind(),
            event.detail()
        ])?;
        if let (Some(token_id), None) = (&event.token_id, event.reason) {
            let at = newest.entry(token_id.as_str()).or_insert(event.at);
            *at = (*at).max(event.at);
        }
    }
    for (token_id, at) in newest {
        last_used.execute(params![token_id, at])?;
    }
    Ok(())
}

/// What the callers hand the writer thread: the records of the next batch, the flushes waiting
/// for it, and whether the writer must stop.
#[derive(Default)]
struct Queue {
    pending: Vec<UsageEvent>,
    flushes: Vec<mpsc::Sender<Result<()>>>,
    closed: bool,
}

/// The queue and its two signals. A record wakes the writer only when it starts a batch (the
/// queue was empty): waking it for each record would cost a thread switch per check, many times
/// the check itself when the cores are busy.
#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    /// Something for the writer: a first record, a flush, or the stop.
    work: Condvar,
    /// Room in a full queue, for the callers waiting on it.
    room: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A writer thread that records checks in batches (see the module's documentation). Dropping it
/// commits what is queued and stops the thread; [`UsageWriter::close`] does the same and says
/// whether the last commit succeeded.
pub struct UsageWriter {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl UsageWriter {
    /// Starts a writer on the database at `path`, which must already be open and migrated.
    pub fn start(path: &Path) -> Result<UsageWriter> {
        let connection = crate::db::open_existing(path)?;
        let shared = Arc::new(Shared::default());
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("usage-writer".into())
            .spawn(move || run(connection, &for_thread))
            .map_err(|source| Error::Io {
                context: "cannot start the usage writer".into(),
                source,
            })?;
        Ok(UsageWriter {
            shared,
            thread: Some(thread),
        })
    }

    /// Queues a check; it is on disk after the next commit (at most [`BATCH_WINDOW`] later).
    /// Waits while [`QUEUE_CAPACITY`] records are already queued.
    pub fn record(&self, event: UsageEvent) -> Result<()> {
        let mut queue = self.shared.lock();
        while queue.pending.len() >= QUEUE_CAPACITY && !queue.closed {
            queue = self
                .shared
                .room
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if queue.closed {
            return Err(stopped());
        }
        queue.pending.push(event);
        if queue.pending.len() == 1 {
            self.shared.work.notify_one();
        }
        Ok(())
    }

    /// Waits until every check queued so far is on disk.
    pub fn flush(&self) -> Result<()> {
        let (answer, done) = mpsc::channel();
        {
            let mut queue = self.shared.lock();
            if queue.closed {
                return Err(stopped());
            }
            queue.flushes.push(answer);
            self.shared.work.notify_one();
        }
        done.recv().map_err(|_| stopped())?
    }

    /// Commits what is queued, stops the thread and reports the last commit's outcome.
    pub fn close(mut self) -> Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> Result<()> {
        {
            let mut queue = self.shared.lock();
            queue.closed = true;
            self.shared.work.notify_one();
            self.shared.room.notify_all();
        }
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

/// The writer thread: wait for a first record (or a flush), let the batch gather until its window
/// closes (a flush or the stop closes it at once), commit, answer the flushes. Returns the outcome
/// of the last commit once stopped with nothing left.
fn run(mut connection: Connection, shared: &Shared) -> Result<()> {
    loop {
        let (batch, flushes, closing) = {
            let mut queue = shared.lock();
            while queue.pending.is_empty() && queue.flushes.is_empty() && !queue.closed {
                queue = shared
                    .work
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            let deadline = Instant::now() + BATCH_WINDOW;
            while queue.flushes.is_empty() && !queue.closed {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                queue = shared
                    .work
                    .wait_timeout(queue, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            shared.room.notify_all();
            (
                std::mem::take(&mut queue.pending),
                std::mem::take(&mut queue.flushes),
                queue.closed,
            )
        };
        let committed = commit(&mut connection, &batch);
        for flush in flushes {
            let _ = flush.send(committed.as_ref().map(|_| ()).map_err(clone_error));
        }
        match committed {
            Ok(()) if closing => {
                // A record cannot arrive once closed; a last flush may have.
                if shared.lock().flushes.is_empty() {
                    return Ok(());
                }
            }
            Ok(()) => {}
            Err(error) if closing => return Err(error),
            Err(_) => {
                // Kept for the next attempt (the database stayed locked past the busy timeout,
                // the disk is full): nothing acknowledged by a flush is dropped.
                let mut queue = shared.lock();
                let newer = std::mem::replace(&mut queue.pending, batch);
                queue.pending.extend(newer);
                drop(queue);
                std::thread::sleep(BATCH_WINDOW);
            }
        }
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
