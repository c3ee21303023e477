//! The files the core writes are the merchant's alone: `0600` in `0700` folders on Unix, whatever
//! the mode of what they were copied from, and never written through a planted link.
#![cfg(unix)]

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

use clapay_core::{backup, db, Catalog, Registry};

use crate::support::{new_token, now, record_secret};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn the_database_its_wal_and_its_folder_are_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("new").join("clapay");
    let path = folder.join("tokens.db");
    let mut registry = Registry::open(&path, Catalog::embedded()).expect("open");
    let created = registry
        .create_token(&new_token("shop"), now())
        .expect("create");
    record_secret(&created.secret);
    assert_eq!(mode(&folder), 0o700, "a folder the core creates");
    assert_eq!(mode(folder.parent().expect("parent")), 0o700);
    for file in ["tokens.db", "tokens.db-wal", "tokens.db-shm"] {
        assert_eq!(mode(&folder.join(file)), 0o600, "{file}");
    }
}

#[test]
fn a_database_left_readable_by_others_is_made_private_when_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    drop(Registry::open(&path, Catalog::embedded()).expect("create"));
    set_mode(&path, 0o644);
    drop(Registry::open(&path, Catalog::embedded()).expect("reopen"));
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn backups_restores_and_their_leftovers_are_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    let mut registry = Registry::open(&path, Catalog::embedded()).expect("open");
    let created = registry
        .create_token(&new_token("shop"), now())
        .expect("create");
    record_secret(&created.secret);

    let rolling = backup::rotate(&backup::backups_dir(&path), &registry, now(), 7).expect("rotate");
    assert_eq!(
        rolling.parent(),
        Some(dir.path().join("tokens.db-backups").as_path())
    );
    assert_eq!(mode(&dir.path().join("tokens.db-backups")), 0o700);
    assert_eq!(mode(&rolling), 0o600, "a rolling backup");
    let manual = dir.path().join("manual.db");
    registry.backup_to(&manual).expect("backup");
    assert_eq!(mode(&manual), 0o600, "a backup to a file");
    drop(registry);

    // A backup someone left readable by everyone is restored private.
    set_mode(&manual, 0o644);
    set_mode(&path, 0o644);
    db::restore(&manual, &path).expect("restore");
    assert_eq!(mode(&path), 0o600, "the restored database");
    assert_eq!(
        mode(&dir.path().join("tokens.db.before-restore")),
        0o600,
        "the replaced one"
    );
}

#[test]
fn a_backup_never_writes_through_a_link_planted_at_its_destination() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    let registry = Registry::open(&path, Catalog::embedded()).expect("open");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "someone else's file").expect("victim");
    let planted = dir.path().join("backup.db");
    symlink(&victim, &planted).expect("plant a link");
    registry.backup_to(&planted).expect("backup");
    assert_eq!(
        std::fs::read_to_string(&victim).expect("read"),
        "someone else's file",
        "the link's target is untouched"
    );
    let meta = std::fs::symlink_metadata(&planted).expect("stat");
    assert!(
        meta.file_type().is_file(),
        "the link was replaced by the backup itself"
    );
    assert_eq!(mode(&planted), 0o600);
}

#[test]
fn databases_in_one_folder_keep_their_backups_apart() {
    let shared = std::env::temp_dir();
    let first = backup::backups_dir(&shared.join("a.db"));
    let second = backup::backups_dir(&shared.join("b.db"));
    assert_ne!(first, second, "never one shared backups folder");
    assert_eq!(first, shared.join("a.db-backups"));
}
