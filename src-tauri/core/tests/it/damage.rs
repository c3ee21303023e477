//! Damaging a database on purpose, for the integrity tests of the core and of the app (the app's
//! command tests and end-to-end tests include this file with `#[path]`).

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

/// Overwrites page `number` (1-based) of the SQLite file at `path` with garbage (a fixed pattern,
/// so a failure replays) and returns how many pages the file has.
fn overwrite_page(path: &Path, number: impl Fn(usize) -> usize) -> usize {
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
    file.seek(SeekFrom::Start(((number(pages) - 1) * page_size) as u64))
        .expect("seek");
    file.write_all(&garbage).expect("write garbage");
    file.sync_all().expect("sync");
    pages
}

/// Overwrites the page in the middle of the SQLite file at `path` with garbage and returns how
/// many pages the file had.
#[allow(dead_code)] // Each including test crate uses one of the two.
pub fn damage_middle_page(path: &Path) -> usize {
    overwrite_page(path, |pages| pages / 2 + 1)
}

/// Overwrites the root page of the B-tree `name` (a table or an index) with the same garbage, so
/// that every read through it fails and `quick_check` reports it, while the other B-trees still
/// read: which reads must keep working does not depend on where the file's pages happen to lie
/// (a schema change moves them). The database must be closed (its WAL checkpointed).
#[allow(dead_code)] // Each including test crate uses one of the two.
pub fn damage_root_page_of(path: &Path, name: &str) {
    let root: i64 = rusqlite::Connection::open(path)
        .expect("open to find the root page")
        .query_row(
            "SELECT rootpage FROM sqlite_schema WHERE name = ?1",
            [name],
            |row| row.get(0),
        )
        .expect("the B-tree exists");
    let root = usize::try_from(root).expect("a page number");
    overwrite_page(path, |_| root);
}
