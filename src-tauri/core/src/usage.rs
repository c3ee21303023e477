//! Usage recording: what authorize writes (`used` / `denied` events and `last_used_at`), kept off
//! the decision path.
//!
//! A check must not wait for an fsync (about 20 times the cost of the decision itself), so:
//! - `last_used_at` is coalesced: it is written at most every [`LAST_USED_REFRESH_MILLIS`] per token
//!   (GitLab does the same for its tokens); the newest value is kept in memory, shown by the reads of
//!   this registry, and written when due or at the next flush;
//! - usage records are queued for a writer thread that owns its own connection and commits them
//!   in batches (group commit): [`BATCH_MILLIS`] milliseconds after the first record of a batch,
//!   or as soon as [`BATCH_EVENTS`] records wait, each batch in one `synchronous=FULL` transaction.
//!
//! There is **one writer per database file per process**, shared by every registry open on that
//! file: two threads checking payments, each with its own registry (its own read connection),
//! feed one writer, so their records share commits instead of competing for the write lock.
//!
//! A check only appends to the queue (a mutex held for a push); it wakes the writer once per batch,
//! not once per check. Commits are spaced by the batch interval because each one also costs the
//! readers: SQLite empties a connection's page cache when another connection has written.
//!
//! A flush ([`crate::Registry::flush_usage`], also run when the registry is dropped and before each
//! merchant change, so the history stays in causal order) asks for a commit now and waits until
//! everything this registry queued is on disk. What a crash can lose is bounded: the checks of the
//! last batch interval and the `last_used_at` refreshes of the last ten minutes. Merchant changes
//! never go through here: they keep their own durable transactions.
//!
//! A registry on an in-memory database has no file for a second connection: it writes usage on
//! its own connection at once (there is no fsync to save).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};
use serde::Serialize;

use crate::authorize::DenyReason;
use crate::db::Cached;
use crate::error::{Error, Result};

/// `last_used_at` is written at most this often per token (ten minutes).
pub const LAST_USED_REFRESH_MILLIS: i64 = 10 * 60 * 1000;
/// The writer commits early when this many records wait.
pub const BATCH_EVENTS: usize = 8192;
/// The writer commits records at most this long after the first of them was queued.
pub const BATCH_MILLIS: u64 = 100;
/// Records the queue holds before a check waits for the writer (back-pressure, bounded memory).
const QUEUE_CAPACITY: usize = 64 * 1024;

/// One check to record. The detail is serialised by the writer, not by the caller.
pub(crate) struct UsageEvent {
    pub token_id: Option<String>,
    pub at: i64,
    pub reason: Option<DenyReason>,
    pub country: String,
    pub operator: String,
    pub method: String,
    pub phone: Option<String>,
}

/// The history detail of a check. Fields in alphabetical order, as the history has always
/// stored them.
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

enum Record {
    Event(UsageEvent),
    LastUsed { token_id: String, at: i64 },
}

/// What this registry knows about one token's last use beyond the database.
struct LastUse {
    /// The newest value sent to be written.
    written: i64,
    /// The newest allowed check seen.
    newest: i64,
}

/// The records waiting for the writer, and how far it got. Records are numbered from 1 in the
/// order they were queued; a flush waits until `committed` reaches its own last number.
struct Queue {
    records: Vec<Record>,
    /// Number of the last record queued.
    queued: u64,
    /// Every record up to this number is on disk.
    committed: u64,
    /// When the first record now waiting was queued.
    oldest: Option<Instant>,
    /// A flush is waiting: commit now.
    urgent: bool,
    /// Commits attempted so far, and the error of the last one if it failed.
    attempts: u64,
    failure: Option<String>,
    /// No registry uses the writer any more: commit what is left and stop.
    closing: bool,
    /// The writer thread has ended.
    stopped: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Wakes the writer: the first record of a batch, a full batch, a flush, closing.
    work: Condvar,
    /// Wakes flushes waiting for a commit and checks waiting for room in the queue.
    progress: Condvar,
}

/// The writer of one database file; registries share it through [`writer_for`].
struct Writer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Writer {
    fn drop(&mut self) {
        // The last registry on this file is gone: the thread commits what is left and stops.
        lock(&self.shared.queue).closing = true;
        self.shared.work.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the queue leaves it consistent (pushes and counters only).
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The writer of the file at `path`, started if no registry of this process has one.
fn writer_for(path: &Path) -> Result<Arc<Writer>> {
    static WRITERS: OnceLock<Mutex<HashMap<PathBuf, Weak<Writer>>>> = OnceLock::new();
    // The same file reached by two spellings of its path must get the same writer.
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut writers = lock(WRITERS.get_or_init(Default::default));
    if let Some(writer) = writers.get(&key).and_then(Weak::upgrade) {
        return Ok(writer);
    }
    let writer = Arc::new(spawn_writer(&key)?);
    writers.retain(|_, writer| writer.strong_count() > 0);
    writers.insert(key, Arc::downgrade(&writer));
    Ok(writer)
}

/// The usage side of a registry.
pub(crate) struct UsageRecorder {
    /// The database file; `None` for an in-memory registry (usage written inline).
    path: Option<PathBuf>,
    writer: Option<Arc<Writer>>,
    last_used: HashMap<String, LastUse>,
    /// Number of the last record this registry queued.
    sent: u64,
}

impl UsageRecorder {
    pub(crate) fn new(path: Option<&Path>) -> UsageRecorder {
        UsageRecorder {
            path: path.map(Path::to_path_buf),
            writer: None,
            last_used: HashMap::new(),
            sent: 0,
        }
    }

    /// Records a check. `stored_last_used` is the token's `last_used_at` as the decision read it.
    pub(crate) fn record(
        &mut self,
        connection: &Connection,
        event: UsageEvent,
        stored_last_used: Option<i64>,
    ) -> Result<()> {
        if event.reason.is_none() {
            if let Some(token_id) = &event.token_id {
                self.note_use(connection, token_id, event.at, stored_last_used)?;
            }
        }
        self.send(connection, Record::Event(event))
    }

    fn note_use(
        &mut self,
        connection: &Connection,
        token_id: &str,
        at: i64,
        stored: Option<i64>,
    ) -> Result<()> {
        // Looked up by &str first: the key is allocated only for a token not seen yet.
        let (written, seen) = match self.last_used.get_mut(token_id) {
            Some(entry) => {
                entry.newest = entry.newest.max(at);
                (Some(entry.written).max(stored), true)
            }
            None => (stored, false),
        };
        if written.is_some_and(|written| at - written < LAST_USED_REFRESH_MILLIS) {
            // Not due: remember the newest value (done above for a token already seen); a flush
            // or a later due check writes it.
            if let (Some(written), false) = (written, seen) {
                self.last_used.insert(
                    token_id.to_string(),
                    LastUse {
                        written,
                        newest: at.max(written),
                    },
                );
            }
            return Ok(());
        }
        let entry = self
            .last_used
            .entry(token_id.to_string())
            .or_insert(LastUse {
                written: at,
                newest: at,
            });
        entry.written = at;
        entry.newest = entry.newest.max(at);
        self.send(
            connection,
            Record::LastUsed {
                token_id: token_id.to_string(),
                at,
            },
        )
    }

    /// The newest allowed check of this token seen by this registry and maybe not yet on disk.
    pub(crate) fn last_used(&self, token_id: &str) -> Option<i64> {
        self.last_used.get(token_id).map(|entry| entry.newest)
    }

    /// True when a flush would write something.
    pub(crate) fn has_pending(&self) -> bool {
        let queued = self
            .writer
            .as_ref()
            .is_some_and(|writer| lock(&writer.shared.queue).committed < self.sent);
        queued
            || self
                .last_used
                .values()
                .any(|entry| entry.newest > entry.written)
    }

    fn send(&mut self, connection: &Connection, record: Record) -> Result<()> {
        let Some(path) = &self.path else {
            // In memory: nothing to save by batching.
            return Ok(write_batch_on(connection, std::slice::from_ref(&record))?);
        };
        let writer = match &self.writer {
            Some(writer) => writer,
            None => self.writer.insert(writer_for(path)?),
        };
        let shared = &writer.shared;
        let mut queue = lock(&shared.queue);
        while queue.records.len() >= QUEUE_CAPACITY && !queue.stopped {
            // The writer is behind (a slow disk, a long lock held by another process): wait.
            shared.work.notify_one();
            queue = shared
                .progress
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if queue.stopped {
            return Err(writer_stopped());
        }
        queue.records.push(record);
        queue.queued += 1;
        self.sent = queue.queued;
        let waiting = queue.records.len();
        if waiting == 1 {
            queue.oldest = Some(Instant::now());
        }
        drop(queue);
        // One wake-up per batch: the writer then sleeps until the batch is due.
        if waiting == 1 || waiting == BATCH_EVENTS {
            shared.work.notify_one();
        }
        Ok(())
    }

    /// Waits until every record this registry queued is committed.
    pub(crate) fn sync(&self) -> Result<()> {
        let Some(writer) = &self.writer else {
            return Ok(());
        };
        let shared = &writer.shared;
        let mut queue = lock(&shared.queue);
        if queue.committed >= self.sent {
            return Ok(());
        }
        queue.urgent = true;
        let asked_at = queue.attempts;
        shared.work.notify_one();
        loop {
            if queue.committed >= self.sent {
                return Ok(());
            }
            if queue.attempts > asked_at {
                if let Some(message) = &queue.failure {
                    return Err(Error::Io {
                        context: "the checks could not be recorded".into(),
                        source: std::io::Error::other(message.clone()),
                    });
                }
            }
            if queue.stopped {
                return Err(writer_stopped());
            }
            queue = shared
                .progress
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Sends every coalesced `last_used_at` not yet written, then waits for all of it.
    pub(crate) fn flush(&mut self, connection: &Connection) -> Result<()> {
        let pending: Vec<(String, i64)> = self
            .last_used
            .iter()
            .filter(|(_, entry)| entry.newest > entry.written)
            .map(|(id, entry)| (id.clone(), entry.newest))
            .collect();
        for (token_id, at) in pending {
            self.send(connection, Record::LastUsed { token_id, at })?;
        }
        self.sync()?;
        // Everything known is on disk now; the database answers from here on.
        self.last_used.clear();
        Ok(())
    }
}

fn writer_stopped() -> Error {
    Error::Io {
        context: "the usage writer stopped; checks can no longer be recorded".into(),
        source: std::io::Error::other("usage writer thread ended"),
    }
}

/// The writer's own connection: same durability as the registry's, no migration (the
/// registry's open did it).
fn open_writer_connection(path: &Path) -> Result<Connection> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(crate::db::BUSY_TIMEOUT)?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    // No foreign-key probe per event: each token id written here was just read from `tokens` by
    // the decision, and tokens are never deleted (a trigger refuses it). The integrity check
    // still runs `foreign_key_check` over the whole file.
    connection.pragma_update(None, "foreign_keys", "OFF")?;
    // As on the registry's connection: no statement re-prepared at every call.
    connection.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(connection)
}

fn spawn_writer(path: &Path) -> Result<Writer> {
    let connection = open_writer_connection(path)?;
    let shared = Arc::new(Shared {
        queue: Mutex::new(Queue {
            records: Vec::new(),
            queued: 0,
            committed: 0,
            oldest: None,
            urgent: false,
            attempts: 0,
            failure: None,
            closing: false,
            stopped: false,
        }),
        work: Condvar::new(),
        progress: Condvar::new(),
    });
    let writer_shared = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("clapay-usage-writer".into())
        .spawn(move || {
            let stopped = Stopped(&writer_shared);
            run_writer(connection, stopped.0);
        })
        .map_err(|source| Error::Io {
            context: "cannot start the usage writer thread".into(),
            source,
        })?;
    Ok(Writer {
        shared,
        thread: Some(thread),
    })
}

/// Marks the writer stopped when its thread ends, even by a panic, so that no flush or check
/// waits for it forever.
struct Stopped<'a>(&'a Shared);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        lock(&self.0.queue).stopped = true;
        self.0.progress.notify_all();
    }
}

fn run_writer(mut connection: Connection, shared: &Shared) {
    let interval = Duration::from_millis(BATCH_MILLIS);
    // Records taken from the queue and not yet committed (kept when a commit fails).
    let mut batch: Vec<Record> = Vec::new();
    let mut retry_at: Option<Instant> = None;
    let mut queue = lock(&shared.queue);
    loop {
        let now = Instant::now();
        let due = queue.closing
            || (queue.urgent && !(queue.records.is_empty() && batch.is_empty()))
            || queue.records.len() >= BATCH_EVENTS
            || queue
                .oldest
                .is_some_and(|since| now.duration_since(since) >= interval)
            || retry_at.is_some_and(|at| now >= at);
        if !due {
            queue.urgent = false;
            let deadline = [queue.oldest.map(|since| since + interval), retry_at]
                .into_iter()
                .flatten()
                .min();
            queue = match deadline {
                Some(deadline) => {
                    shared
                        .work
                        .wait_timeout(queue, deadline.saturating_duration_since(now))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => shared
                    .work
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner),
            };
            continue;
        }
        batch.append(&mut queue.records);
        let last = queue.queued;
        let closing = queue.closing;
        queue.oldest = None;
        queue.urgent = false;
        drop(queue);
        // Room in the queue again for checks held back by a full one.
        shared.progress.notify_all();
        let result = commit(&mut connection, &mut batch);
        queue = lock(&shared.queue);
        queue.attempts += 1;
        match result {
            Ok(()) => {
                queue.committed = last;
                queue.failure = None;
                retry_at = None;
            }
            Err(error) => {
                // Disk full, a lock held too long: the batch stays for the next try.
                queue.failure = Some(error.to_string());
                retry_at = Some(Instant::now() + interval);
            }
        }
        shared.progress.notify_all();
        if closing {
            return;
        }
    }
}

/// Commits the batch in one transaction; on success the batch is emptied.
fn commit(
    connection: &mut Connection,
    batch: &mut Vec<Record>,
) -> std::result::Result<(), rusqlite::Error> {
    if batch.is_empty() {
        return Ok(());
    }
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    write_batch_on(&transaction, batch)?;
    transaction.commit()?;
    batch.clear();
    Ok(())
}

fn write_batch_on(
    connection: &Connection,
    batch: &[Record],
) -> std::result::Result<(), rusqlite::Error> {
    let mut insert = connection
        .cached("INSERT INTO history (token_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)")?;
    // Monotonic: another process (or an older batch) may have written a newer value.
    let mut touch = connection.cached(
        "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
    )?;
    for record in batch {
        match record {
            Record::Event(event) => {
                insert.execute(params![
                    event.token_id,
                    event.at,
                    event.kind(),
                    event.detail()
                ])?;
            }
            Record::LastUsed { token_id, at } => {
                touch.execute(params![token_id, at])?;
            }
        }
    }
    Ok(())
}
