//! The Tauri commands of docs/ipc.md, one module per area; `src/command_list.rs` lists them.
//! Each command takes its state, makes one core (or settings, or clipboard) call and converts the
//! error to `{kind, message, field}`; no SQL and no business rule lives here.
//!
//! Database work runs in the blocking pool through [`crate::state::AppState`]; the commands are
//! `async` so the UI thread never waits on SQLite. The only secrets that cross IPC are the ones
//! `create_token` and `roll_token` return, once each, and the sandbox's webhook keys, each only
//! when the merchant asks to see it (`sandbox_reveal_key`).

pub mod backups;
pub mod catalog;
pub mod info;
pub mod lifecycle;
pub mod sandbox;
pub mod secrets;
pub mod settings;
pub mod tokens;
