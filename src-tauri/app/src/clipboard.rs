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
//!   clipboard no longer needs watching.
//!
//! [`ClipboardBackend`] hides the system clipboard so command tests run without an X server.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

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

enum Request {
    Copy {
        secret: Zeroizing<String>,
        clear_after: Duration,
        reply: Sender<Result<(), String>>,
    },
    ClearNow {
        reply: Sender<()>,
    },
}

/// The handle the commands use (cheap to clone); the clipboard itself lives in the owner thread.
#[derive(Clone)]
pub struct SecretClipboard {
    requests: Sender<Request>,
}

/// The copy the owner thread watches until its deadline.
struct Watched {
    secret: Zeroizing<String>,
    deadline: Instant,
}

impl SecretClipboard {
    /// Starts the owner thread. The backend is created on the first copy, so an app that never
    /// copies never connects to the clipboard.
    pub fn spawn(factory: BackendFactory) -> Result<SecretClipboard, String> {
        let (sender, receiver) = mpsc::channel();
        thread::Builder::new()
            .name("clipboard-owner".to_owned())
            .spawn(move || own_clipboard(factory, receiver))
            .map_err(|error| format!("could not start the clipboard thread: {error}"))?;
        Ok(SecretClipboard { requests: sender })
    }

    /// Copies `secret` and arranges for it to be cleared after `clear_after` if it is still there.
    /// A previous copy that is still watched is replaced (its deadline no longer matters: the
    /// clipboard now holds the new secret).
    pub fn copy(&self, secret: Zeroizing<String>, clear_after: Duration) -> Result<(), String> {
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

    fn send(&self, request: Request) -> Result<(), String> {
        self.requests
            .send(request)
            .map_err(|_| "the clipboard thread has stopped".to_owned())
    }
}

fn own_clipboard(factory: BackendFactory, requests: Receiver<Request>) {
    let mut factory = Some(factory);
    let mut backend: Option<Box<dyn ClipboardBackend>> = None;
    let mut watched: Option<Watched> = None;
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
                watched = match result {
                    Ok(()) => Some(Watched {
                        secret,
                        deadline: Instant::now() + clear_after,
                    }),
                    // The new secret is not on the clipboard; an older one may still be.
                    Err(_) => watched,
                };
                let _ = reply.send(result);
            }
            Some(Request::ClearNow { reply }) => {
                clear_if_still_held(&mut backend, watched.take());
                let _ = reply.send(());
            }
            None => clear_if_still_held(&mut backend, watched.take()),
        }
    }
    clear_if_still_held(&mut backend, watched.take());
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

fn clear_if_still_held(backend: &mut Option<Box<dyn ClipboardBackend>>, watched: Option<Watched>) {
    let (Some(clipboard), Some(copy)) = (backend.as_mut(), watched) else {
        return;
    };
    match clipboard.text() {
        Ok(Some(current)) if current.as_str() == copy.secret.as_str() => {
            if let Err(error) = clipboard.clear() {
                log::warn!("{error}");
            } else {
                log::info!("clipboard cleared: it still held a token secret");
            }
        }
        Ok(_) => log::info!("clipboard left alone: it no longer holds the token secret"),
        Err(error) => log::warn!("{error}"),
    }
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
