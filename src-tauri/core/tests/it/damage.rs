//! Damaging a database on purpose, for the integrity tests of the core and of the app (the app's
//! command tests and end-to-end tests include this file with `#[path]`).

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

/// Overwrites the page in the middle of the SQLite file at `path` with garbage (a fixed pattern,
/// so a failure replays) and returns how many pages the file had.
pub fn damage_middle_page(path: &Path) -> usize {
    let bytes = std::fs::read(path).expect("read");
    let page_size = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    let pages = bytes.len() / page_size;
    let garbage: Vec<u8> = (0..page_size)
        .map(|i| (i * 151 % 251) as u8 ^ 0x5a)
        .collect();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open for damage");
    file.seek(SeekFrom::Start(((pages / 2) * page_size) as u64))
        .expect("seek");
    file.write_all(&garbage).expect("write garbage");
    file.sync_all().expect("sync");
    pages
}
