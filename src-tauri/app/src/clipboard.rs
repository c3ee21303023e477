//! Copying a token secret to the system clipboard the way password managers do.
//!
//! One owner thread holds the clipboard for the whole life of the app: on X11 the content exists
//! only while the process that set it keeps its `arboard::Clipboard` alive, so a short-lived object
//! would empty the clipboard about 100 ms after the copy.
//!
//! Invariants:
//! - a copy is marked sensitive where the platform allows it (`exclude_from_history()` on Linux and
//!   macOS, `exclude_from_monitoring()` on Windows), so clipboard managers do not keep it;
//! - after the delay, and when the app exits, the clipboard is cleared with `clear()` only if it
//!   still holds the secret: a copy the user made in between is left alone, and no placeholder is
//!   ever written (a placeholder would itself become a history entry);
//! - the owner thread keeps its copy of the secret in a `Zeroizing` buffer and drops it once the
//!   clipboard no longer needs watching;
//! - each copy is numbered, and what became of it ([`ClearOutcome`]: cleared, left alone because
//!   the clipboard held something else by then, replaced by a later copy, or failed) is kept, so
//!   the dialog says what happened rather than assuming the clipboard was cleared.
//!
//! [`ClipboardBackend`] hides the system clipboard so command tests run without an X server.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;
use zeroize::Zeroizing;

/// What the owner thread needs from a clipboard. Implemented by [`SystemClipboard`] and, in tests,
/// by an in-memory fake.
pub trait ClipboardBackend {
    /// Puts `text` on the clipboard, marked as sensitive for clipboard managers.
    fn set_sensitive_text(&mut self, text: &str) -> Result<(), String>;
    /// The text on the clipboard now, if there is text.
    fn text(&mut self) -> Result<Option<Zeroizing<String>>, String>;
    /// Empties the clipboard.
    fn clear(&mut self) -> Result<(), String>;
}

/// Builds the backend inside the owner thread (arboard objects must live where they are used).
pub type BackendFactory = Box<dyn FnOnce() -> Result<Box<dyn ClipboardBackend>, String> + Send>;

/// The operating system's clipboard through `arboard`.
pub struct SystemClipboard(arboard::Clipboard);

impl SystemClipboard {
    /// Connects to the system clipboard (the X server on Linux).
    pub fn open() -> Result<Box<dyn ClipboardBackend>, String> {
        arboard::Clipboard::new()
            .map(|clipboard| Box::new(SystemClipboard(clipboard)) as Box<dyn ClipboardBackend>)
            .map_err(|error| format!("the system clipboard is not available: {error}"))
    }
}

impl ClipboardBackend for SystemClipboard {
    fn set_sensitive_text(&mut self, text: &str) -> Result<(), String> {
        let set = self.0.set();
        #[cfg(all(
            unix,
            not(any(
                target_os = "macos",
                target_os = "ios",
                target_os = "android",
                target_os = "emscripten"
            ))
        ))]
        let set = {
            use arboard::SetExtLinux;
            set.exclude_from_history()
        };
        #[cfg(target_os = "macos")]
        let set = {
            use arboard::SetExtApple;
            set.exclude_from_history()
        };
        // Compiled by the Windows lint of `make test`, never run here. arboard puts the
        // registered formats ExcludeClipboardContentFromMonitorProcessing and
        // CanIncludeInClipboardHistory (a DWORD 0) beside the text, as the Windows API's
        // "Clipboard Formats" page documents ("Cloud Clipboard and Clipboard History Formats"):
        // clipboard monitors, the clipboard history (Win+V) and the cloud clipboard skip it.
        #[cfg(windows)]
        let set = {
            use arboard::SetExtWindows;
            set.exclude_from_monitoring().exclude_from_history()
        };
        set.text(text)
            .map_err(|error| format!("could not copy to the clipboard: {error}"))
    }

    fn text(&mut self) -> Result<Option<Zeroizing<String>>, String> {
        match self.0.get_text() {
            Ok(text) => Ok(Some(Zeroizing::new(text))),
            // Empty, or something that is not text (an image, a file list): not our secret.
            Err(arboard::Error::ContentNotAvailable) => Ok(None),
            Err(error) => Err(format!("could not read the clipboard: {error}")),
        }
    }

    fn clear(&mut self) -> Result<(), String> {
        self.0
            .clear()
            .map_err(|error| format!("could not clear the clipboard: {error}"))
    }
}

/// What became of one copy of a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClearOutcome {
    /// Still on the clipboard (as far as the app knows), waiting for its deadline.
    Pending,
    /// The clipboard still held the secret at the deadline (or when the app quit) and was emptied.
    Cleared,
    /// The clipboard held something else by then (the merchant copied something): left as it was.
    LeftAlone,
    /// A later copy took its place before its deadline; that copy's outcome is the one that counts.
    Replaced,
    /// The clipboard could not be read or emptied.
    Failed,
}

/// How many outcomes are kept: the dialog only asks about the copy it just made.
const OUTCOMES_KEPT: usize = 16;

/// The outcome of each recent copy, by copy number, shared by the owner thread and the handles.
#[derive(Default)]
struct Outcomes {
    by_copy: Mutex<BTreeMap<u64, ClearOutcome>>,
    changed: Condvar,
}

impl Outcomes {
    fn record(&self, copy: u64, outcome: ClearOutcome) {
        let mut by_copy = self
            .by_copy
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        by_copy.insert(copy, outcome);
        while by_copy.len() > OUTCOMES_KEPT {
            by_copy.pop_first();
        }
        self.changed.notify_all();
    }
}

enum Request {
    Copy {
        secret: Zeroizing<String>,
        clear_after: Duration,
        reply: Sender<Result<u64, String>>,
    },
    ClearNow {
        reply: Sender<()>,
    },
}

/// The handle the commands use (cheap to clone); the clipboard itself lives in the owner thread.
#[derive(Clone)]
pub struct SecretClipboard {
    requests: Sender<Request>,
    outcomes: Arc<Outcomes>,
}

/// The copy the owner thread watches until its deadline.
struct Watched {
    copy: u64,
    secret: Zeroizing<String>,
    deadline: Instant,
}

impl SecretClipboard {
    /// Starts the owner thread. The backend is created on the first copy, so an app that never
    /// copies never connects to the clipboard.
    pub fn spawn(factory: BackendFactory) -> Result<SecretClipboard, String> {
        let (sender, receiver) = mpsc::channel();
        let outcomes = Arc::new(Outcomes::default());
        let owner_outcomes = Arc::clone(&outcomes);
        thread::Builder::new()
            .name("clipboard-owner".to_owned())
            .spawn(move || own_clipboard(factory, receiver, &owner_outcomes))
            .map_err(|error| format!("could not start the clipboard thread: {error}"))?;
        Ok(SecretClipboard {
            requests: sender,
            outcomes,
        })
    }

    /// Copies `secret` and arranges for it to be cleared after `clear_after` if it is still there.
    /// A previous copy that is still watched is replaced (its deadline no longer matters: the
    /// clipboard now holds the new secret). Returns the copy's number, for [`Self::outcome`].
    pub fn copy(&self, secret: Zeroizing<String>, clear_after: Duration) -> Result<u64, String> {
        let (reply, answer) = mpsc::channel();
        self.send(Request::Copy {
            secret,
            clear_after,
            reply,
        })?;
        answer
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| "the clipboard did not answer".to_owned())?
    }

    /// Clears the clipboard now if it still holds the watched secret, waiting at most `timeout`
    /// (called when the app exits).
    pub fn clear_if_still_held(&self, timeout: Duration) {
        let (reply, answer) = mpsc::channel();
        if self.send(Request::ClearNow { reply }).is_ok() {
            // On timeout the process is exiting anyway; on X11 that empties the clipboard too.
            let _ = answer.recv_timeout(timeout);
        }
    }

    /// What became of copy number `copy`, waiting at most `timeout` while it is still
    /// [`ClearOutcome::Pending`]. A number the owner never gave (or forgot, after many later
    /// copies) reads as `Failed`: nothing can be said about it.
    pub fn outcome(&self, copy: u64, timeout: Duration) -> ClearOutcome {
        let deadline = Instant::now() + timeout;
        let mut by_copy = self
            .outcomes
            .by_copy
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            match by_copy.get(&copy) {
                None => return ClearOutcome::Failed,
                Some(ClearOutcome::Pending) => {}
                Some(outcome) => return *outcome,
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return ClearOutcome::Pending;
            }
            by_copy = self
                .outcomes
                .changed
                .wait_timeout(by_copy, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    fn send(&self, request: Request) -> Result<(), String> {
        self.requests
            .send(request)
            .map_err(|_| "the clipboard thread has stopped".to_owned())
    }
}

fn own_clipboard(factory: BackendFactory, requests: Receiver<Request>, outcomes: &Outcomes) {
    let mut factory = Some(factory);
    let mut backend: Option<Box<dyn ClipboardBackend>> = None;
    let mut watched: Option<Watched> = None;
    let mut copies: u64 = 0;
    loop {
        let request = match &watched {
            Some(copy) => {
                match requests.recv_timeout(copy.deadline.saturating_duration_since(Instant::now()))
                {
                    Ok(request) => Some(request),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            None => match requests.recv() {
                Ok(request) => Some(request),
                Err(_) => break,
            },
        };
        match request {
            Some(Request::Copy {
                secret,
                clear_after,
                reply,
            }) => {
                let result =
                    ensure_backend(&mut backend, &mut factory).and_then(|()| {
                        match backend.as_mut() {
                            Some(clipboard) => clipboard.set_sensitive_text(&secret),
                            None => Err("the system clipboard is not available".to_owned()),
                        }
                    });
                let result = result.map(|()| {
                    copies += 1;
                    if let Some(previous) = watched.take() {
                        outcomes.record(previous.copy, ClearOutcome::Replaced);
                    }
                    outcomes.record(copies, ClearOutcome::Pending);
                    watched = Some(Watched {
                        copy: copies,
                        secret,
                        deadline: Instant::now() + clear_after,
                    });
                    copies
                });
                // On failure the new secret is not on the clipboard; an older one may still be,
                // and stays watched.
                let _ = reply.send(result);
            }
            Some(Request::ClearNow { reply }) => {
                clear_if_still_held(&mut backend, watched.take(), outcomes);
                let _ = reply.send(());
            }
            None => clear_if_still_held(&mut backend, watched.take(), outcomes),
        }
    }
    clear_if_still_held(&mut backend, watched.take(), outcomes);
}

fn ensure_backend(
    backend: &mut Option<Box<dyn ClipboardBackend>>,
    factory: &mut Option<BackendFactory>,
) -> Result<(), String> {
    if backend.is_none() {
        let make = factory
            .take()
            .ok_or_else(|| "the system clipboard is not available".to_owned())?;
        match make() {
            Ok(created) => *backend = Some(created),
            Err(error) => {
                // Keep no factory: a clipboard that failed once (no display) will not appear later,
                // and every copy then reports the same error.
                log::warn!("clipboard unavailable: {error}");
                return Err(error);
            }
        }
    }
    Ok(())
}

fn clear_if_still_held(
    backend: &mut Option<Box<dyn ClipboardBackend>>,
    watched: Option<Watched>,
    outcomes: &Outcomes,
) {
    let Some(copy) = watched else {
        return;
    };
    let Some(clipboard) = backend.as_mut() else {
        outcomes.record(copy.copy, ClearOutcome::Failed);
        return;
    };
    let outcome = match clipboard.text() {
        Ok(Some(current)) if current.as_str() == copy.secret.as_str() => {
            if let Err(error) = clipboard.clear() {
                log::warn!("{error}");
                ClearOutcome::Failed
            } else {
                log::info!("clipboard cleared: it still held a token secret");
                ClearOutcome::Cleared
            }
        }
        Ok(_) => {
            log::info!("clipboard left alone: it no longer holds the token secret");
            ClearOutcome::LeftAlone
        }
        Err(error) => {
            log::warn!("{error}");
            ClearOutcome::Failed
        }
    };
    outcomes.record(copy.copy, outcome);
    // `copy.secret` is zeroized here, when it drops.
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// An in-memory clipboard shared with the test, which plays the user.
    #[derive(Clone, Default)]
    pub(crate) struct MemoryClipboard {
        pub(crate) content: Arc<Mutex<Option<String>>>,
        pub(crate) sensitive: Arc<Mutex<bool>>,
    }

    impl MemoryClipboard {
        pub(crate) fn factory(&self) -> BackendFactory {
            let clone = self.clone();
            Box::new(move || Ok(Box::new(clone) as Box<dyn ClipboardBackend>))
        }

        pub(crate) fn current(&self) -> Option<String> {
            self.content.lock().expect("test lock").clone()
        }

        pub(crate) fn user_copies(&self, text: &str) {
            *self.content.lock().expect("test lock") = Some(text.to_owned());
            *self.sensitive.lock().expect("test lock") = false;
        }
    }

    impl ClipboardBackend for MemoryClipboard {
        fn set_sensitive_text(&mut self, text: &str) -> Result<(), String> {
            *self.content.lock().expect("test lock") = Some(text.to_owned());
            *self.sensitive.lock().expect("test lock") = true;
            Ok(())
        }

        fn text(&mut self) -> Result<Option<Zeroizing<String>>, String> {
            Ok(self
                .content
                .lock()
                .expect("test lock")
                .clone()
                .map(Zeroizing::new))
        }

        fn clear(&mut self) -> Result<(), String> {
            *self.content.lock().expect("test lock") = None;
            Ok(())
        }
    }

    fn wait_until(what: &str, condition: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !condition() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn copy_is_sensitive_and_cleared_after_the_delay() {
        let memory = MemoryClipboard::default();
        let clipboard = SecretClipboard::spawn(memory.factory()).expect("thread starts");
        clipboard
            .copy(
                Zeroizing::new("secret-one".to_owned()),
                Duration::from_millis(200),
            )
            .expect("copy succeeds");
        assert_eq!(
            memory.current().as_deref(),
            Some("secret-one"),
            "the copy must land at once"
        );
        assert!(
            *memory.sensitive.lock().expect("lock"),
            "a secret is always marked sensitive"
        );
        wait_until("the clipboard is cleared", || memory.current().is_none());
    }

    #[test]
    fn a_later_user_copy_is_left_alone() {
        let memory = MemoryClipboard::default();
        let clipboard = SecretClipboard::spawn(memory.factory()).expect("thread starts");
        clipboard
            .copy(
                Zeroizing::new("secret-two".to_owned()),
                Duration::from_millis(100),
            )
            .expect("copy succeeds");
        memory.user_copies("the user's own text");
        thread::sleep(Duration::from_millis(400));
        assert_eq!(
            memory.current().as_deref(),
            Some("the user's own text"),
            "the timer must not clear what the user copied after us"
        );
    }

    #[test]
    fn the_outcome_of_a_copy_says_whether_it_was_cleared_or_left_alone() {
        let memory = MemoryClipboard::default();
        let clipboard = SecretClipboard::spawn(memory.factory()).expect("thread starts");
        let cleared = clipboard
            .copy(
                Zeroizing::new("secret-five".to_owned()),
                Duration::from_millis(100),
            )
            .expect("copy succeeds");
        assert_eq!(
            clipboard.outcome(cleared, Duration::ZERO),
            ClearOutcome::Pending,
            "before its deadline a copy is pending"
        );
        assert_eq!(
            clipboard.outcome(cleared, Duration::from_secs(5)),
            ClearOutcome::Cleared,
            "the clipboard still held the secret at the deadline, so it was emptied"
        );

        let left = clipboard
            .copy(
                Zeroizing::new("secret-six".to_owned()),
                Duration::from_millis(100),
            )
            .expect("copy succeeds");
        memory.user_copies("the merchant's own text");
        assert_eq!(
            clipboard.outcome(left, Duration::from_secs(5)),
            ClearOutcome::LeftAlone,
            "the merchant copied something else: the dialog must not say the clipboard was cleared"
        );
        assert_eq!(
            memory.current().as_deref(),
            Some("the merchant's own text"),
            "and that text is still there"
        );
    }

    #[test]
    fn a_second_copy_replaces_the_first_and_only_its_outcome_counts() {
        let memory = MemoryClipboard::default();
        let clipboard = SecretClipboard::spawn(memory.factory()).expect("thread starts");
        let first = clipboard
            .copy(
                Zeroizing::new("secret-seven".to_owned()),
                Duration::from_secs(300),
            )
            .expect("copy succeeds");
        let second = clipboard
            .copy(
                Zeroizing::new("secret-seven".to_owned()),
                Duration::from_millis(100),
            )
            .expect("copy succeeds");
        assert_ne!(first, second, "each copy has its own number");
        assert_eq!(
            clipboard.outcome(first, Duration::ZERO),
            ClearOutcome::Replaced
        );
        assert_eq!(
            clipboard.outcome(second, Duration::from_secs(5)),
            ClearOutcome::Cleared
        );
        assert_eq!(
            clipboard.outcome(second + 100, Duration::ZERO),
            ClearOutcome::Failed,
            "a copy the owner never made has no outcome to report"
        );
    }

    #[test]
    fn exit_clears_a_secret_before_its_deadline() {
        let memory = MemoryClipboard::default();
        let clipboard = SecretClipboard::spawn(memory.factory()).expect("thread starts");
        clipboard
            .copy(
                Zeroizing::new("secret-three".to_owned()),
                Duration::from_secs(300),
            )
            .expect("copy succeeds");
        clipboard.clear_if_still_held(Duration::from_secs(2));
        assert_eq!(
            memory.current(),
            None,
            "quitting must not leave a secret on the clipboard"
        );
    }

    #[test]
    fn a_missing_clipboard_is_reported_not_panicked() {
        let clipboard = SecretClipboard::spawn(Box::new(|| Err("no display".to_owned())))
            .expect("thread starts");
        let error = clipboard
            .copy(
                Zeroizing::new("secret-four".to_owned()),
                Duration::from_secs(1),
            )
            .expect_err("copy without a clipboard must fail");
        assert!(error.contains("no display"), "the cause is kept: {error}");
    }
}
