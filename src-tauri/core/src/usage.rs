//! Usage recording: what authorize writes (`used` / `denied` events and `last_used_at`), kept off
//! the decision path.
//!
//! A check must not wait for an fsync (about 20 times the cost of the decision itself), so:
//! - `last_used_at` is coalesced: it is written at most every [`LAST_USED_REFRESH_MILLIS`] per token
//!   (GitLab does the same for its tokens); the newest value is kept in memory, shown by the reads of
//!   this registry, and written when due or at the next flush;
//! - usage events go through a bounded channel to a writer thread that owns its own connection and
//!   commits them in batches (group commit: every [`BATCH_EVENTS`] events or [`BATCH_MILLIS`]
//!   milliseconds, whichever comes first), each batch in one `synchronous=FULL` transaction.
//!
//! A flush ([`crate::Registry::flush_usage`], also run when the registry is dropped and before each
//! merchant change, so the history stays in causal order) writes what is pending and waits for it.
//! What a crash can lose is bounded: the events of the last batch interval and the `last_used_at`
//! refreshes of the last ten minutes. Merchant changes never go through here: they keep their own
//! durable transactions.
//!
//! A registry on an in-memory database has no file for a second connection: it writes usage on
//! its own connection at once (there is no fsync to save).

use crate::db::Cached;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};
use serde_json::json;

use crate::authorize::DenyReason;
use crate::error::{Error, Result};

/// `last_used_at` is written at most this often per token (ten minutes).
pub const LAST_USED_REFRESH_MILLIS: i64 = 10 * 60 * 1000;
/// The writer commits when this many usage records are waiting.
pub const BATCH_EVENTS: usize = 512;
/// The writer commits records at most this long after the first of them arrived.
pub const BATCH_MILLIS: u64 = 100;
/// Records the channel holds before a check waits for the writer (back-pressure, bounded memory).
const CHANNEL_CAPACITY: usize = 64 * 1024;

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

impl UsageEvent {
    fn kind(&self) -> &'static str {
        if self.reason.is_some() {
            "denied"
        } else {
            "used"
        }
    }

    fn detail(&self) -> String {
        let mut detail = json!({
            "country": self.country,
            "operator": self.operator,
            "method": self.method,
            "phone": self.phone,
        });
        if let Some(reason) = self.reason {
            detail["reason"] = json!(reason.code());
        }
        detail.to_string()
    }
}

enum Record {
    Event(UsageEvent),
    LastUsed { token_id: String, at: i64 },
}

enum Message {
    Record(Record),
    Flush(SyncSender<std::result::Result<(), String>>),
}

/// What this registry knows about one token's last use beyond the database.
struct LastUse {
    /// The newest value sent to be written.
    written: i64,
    /// The newest allowed check seen.
    newest: i64,
}

struct Writer {
    sender: SyncSender<Message>,
    thread: JoinHandle<()>,
    /// Set by the writer while it sleeps with nothing to write: the next record wakes it. While
    /// it holds records it wakes by itself when they are due, so a check never pays for a wake-up
    /// (a futex call and a context switch per check, measured at several microseconds).
    idle: Arc<AtomicBool>,
}

impl Writer {
    fn wake(&self) {
        self.thread.thread().unpark();
    }
}

/// The usage side of a registry.
pub(crate) struct UsageRecorder {
    /// The database file; `None` for an in-memory registry (usage written inline).
    path: Option<PathBuf>,
    writer: Option<Writer>,
    last_used: HashMap<String, LastUse>,
    /// Records sent to the writer since the last completed flush.
    unflushed: AtomicUsize,
}

impl UsageRecorder {
    pub(crate) fn new(path: Option<&Path>) -> UsageRecorder {
        UsageRecorder {
            path: path.map(Path::to_path_buf),
            writer: None,
            last_used: HashMap::new(),
            unflushed: AtomicUsize::new(0),
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
        let known = self.last_used.get(token_id).map(|entry| entry.written);
        let written = known.max(stored);
        match written {
            Some(written) if at - written < LAST_USED_REFRESH_MILLIS => {
                // Not due: remember the newest value; a flush or a later due check writes it.
                let entry = self
                    .last_used
                    .entry(token_id.to_string())
                    .or_insert(LastUse {
                        written,
                        newest: written,
                    });
                entry.newest = entry.newest.max(at);
                Ok(())
            }
            _ => {
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
        }
    }

    /// The newest allowed check of this token seen by this registry and maybe not yet on disk.
    pub(crate) fn last_used(&self, token_id: &str) -> Option<i64> {
        self.last_used.get(token_id).map(|entry| entry.newest)
    }

    /// True when a flush would write something.
    pub(crate) fn has_pending(&self) -> bool {
        self.unflushed.load(Ordering::Acquire) > 0
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
        if self.writer.is_none() {
            self.writer = Some(spawn_writer(path)?);
        }
        let Some(writer) = &self.writer else {
            return Err(writer_stopped());
        };
        writer
            .sender
            .send(Message::Record(record))
            .map_err(|_| writer_stopped())?;
        let sent = self.unflushed.fetch_add(1, Ordering::AcqRel) + 1;
        if writer.idle.swap(false, Ordering::SeqCst) || sent % BATCH_EVENTS == 0 {
            writer.wake();
        }
        Ok(())
    }

    /// Waits until every record sent so far is committed.
    pub(crate) fn sync(&self) -> Result<()> {
        let Some(writer) = &self.writer else {
            return Ok(());
        };
        let sent = self.unflushed.load(Ordering::Acquire);
        if sent == 0 {
            return Ok(());
        }
        let (ack, done) = mpsc::sync_channel(1);
        writer
            .sender
            .send(Message::Flush(ack))
            .map_err(|_| writer_stopped())?;
        writer.wake();
        done.recv()
            .map_err(|_| writer_stopped())?
            .map_err(|message| Error::Io {
                context: "the checks could not be recorded".into(),
                source: std::io::Error::other(message),
            })?;
        self.unflushed.fetch_sub(sent, Ordering::AcqRel);
        Ok(())
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

impl Drop for UsageRecorder {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            // Closing the channel makes the writer commit what is left and stop.
            let Writer { sender, thread, .. } = writer;
            drop(sender);
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

fn writer_stopped() -> Error {
    Error::Io {
        context: "the usage writer stopped; checks can no longer be recorded".into(),
        source: std::io::Error::other("usage writer thread ended"),
    }
}

/// The writer's own connection: same durability pragmas as the registry's, no migration (the
/// registry's open did it).
fn open_writer_connection(path: &Path) -> Result<Connection> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(crate::db::BUSY_TIMEOUT)?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    // As on the registry's connection: no statement re-prepared at every call.
    connection.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(connection)
}

fn spawn_writer(path: &Path) -> Result<Writer> {
    let connection = open_writer_connection(path)?;
    let (sender, receiver) = mpsc::sync_channel(CHANNEL_CAPACITY);
    let idle = Arc::new(AtomicBool::new(false));
    let writer_idle = Arc::clone(&idle);
    let thread = std::thread::Builder::new()
        .name("clapay-usage-writer".into())
        .spawn(move || run_writer(connection, receiver, &writer_idle))
        .map_err(|source| Error::Io {
            context: "cannot start the usage writer thread".into(),
            source,
        })?;
    Ok(Writer {
        sender,
        thread,
        idle,
    })
}

fn run_writer(mut connection: Connection, receiver: Receiver<Message>, idle: &AtomicBool) {
    let interval = Duration::from_millis(BATCH_MILLIS);
    let mut batch: Vec<Record> = Vec::with_capacity(BATCH_EVENTS);
    let mut flushes = Vec::new();
    let mut oldest: Option<Instant> = None;
    loop {
        if oldest.is_none() {
            // Raised before the drain: a record sent after the drain finds it and wakes us; one
            // sent before is drained now.
            idle.store(true, Ordering::SeqCst);
        }
        let mut disconnected = false;
        loop {
            match receiver.try_recv() {
                Ok(Message::Record(record)) => {
                    batch.push(record);
                    oldest.get_or_insert_with(Instant::now);
                }
                Ok(Message::Flush(ack)) => flushes.push(ack),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    disconnected = true;
                    break;
                }
            }
        }
        let due = !flushes.is_empty()
            || disconnected
            || batch.len() >= BATCH_EVENTS
            || oldest.is_some_and(|since| since.elapsed() >= interval);
        if due {
            let result = commit(&mut connection, &mut batch).map_err(|error| error.to_string());
            // A failed commit (disk full, lock held too long) keeps the batch for the next try.
            oldest = (!batch.is_empty()).then(Instant::now);
            for ack in flushes.drain(..) {
                let _ = ack.send(result.clone());
            }
        }
        if disconnected {
            return;
        }
        match oldest {
            Some(since) => std::thread::park_timeout(interval.saturating_sub(since.elapsed())),
            None => {
                std::thread::park();
                idle.store(false, Ordering::SeqCst);
            }
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
