//! A bare Tauri window, the baseline of `scripts/app-start.sh`: the same Tauri version, window size
//! and release profile as the app, and nothing else. Its page calls `ready` two animation frames
//! after it loads (as the app's list calls `ui_ready`), and `ready` prints `bare-ready millis=<n>`.

// No console window on Windows release builds, as the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::io::Write;

/// Prints when the page has painted (`millis` is the page's `performance.now()`).
#[tauri::command]
fn ready(millis: f64) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "bare-ready millis={millis:.0}");
    let _ = out.flush();
}

fn main() {
    if let Err(error) = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
    {
        eprintln!("clapay-tokens-bare: {error}");
        std::process::exit(1);
    }
}
