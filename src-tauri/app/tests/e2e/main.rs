//! End-to-end tests of the desktop app through its real window: tauri-driver starts the built
//! binary under WebKitWebDriver, the tests click through the screens as a merchant would, then read
//! what the app left behind (its SQLite database, opened read-only; the X clipboard, with xclip;
//! the window list, with xwininfo).
//!
//! Run under an X server (the test command does it with Xvfb):
//! `xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace --test e2e`.
//! Needs tauri-driver (the version `scripts/setup.sh --test` installs; found in ~/.cargo/bin,
//! on PATH, or at $TAURI_DRIVER), WebKitWebDriver (webkit2gtk-driver), dbus-daemon, xclip and
//! xwininfo (x11-utils). Without DISPLAY every test fails with a message saying so.
//!
//! One module per feature; the helpers that drive the window are in `harness` and `flows`.

mod harness;

mod flows;

mod authorize;
mod clipboard;
mod create;
mod forms;
mod hardening;
mod language;
mod lifecycle;
mod list;
mod numbers;
mod reliability;
mod revoke;
mod sandbox;
mod scale;
mod settings;
mod single_instance;
mod validation;
