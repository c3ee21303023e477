//! Files and folders that only the merchant may read: the database with its WAL and shm, backups,
//! the copies kept before a migration or a restore, exports.
//!
//! They hold customers' phone numbers. On Unix every file the core creates is `0600` and every
//! folder it creates `0700`; SQLite gives a database's `-wal` and `-shm` files the mode of the
//! database file itself, so creating that file `0600` covers them. On Windows the per-user
//! app-data folder's ACL already keeps other users out, and these functions only create.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `path` and its missing parents; each folder created is `0700` on Unix. Folders that
/// already exist are left as they are (a folder given by `--db` may be shared, like `/tmp`).
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// Creates a new file at `path` that only its owner can read and write. Fails if anything exists
/// at `path`, a symbolic link included (`O_EXCL` never follows one), so a file planted there in
/// advance is never written through.
pub fn create_new(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Makes an existing file readable and writable by its owner only (a database made before this
/// rule, a restored copy that came with its backup's mode). Does nothing on other systems.
pub fn restrict(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)?.permissions().mode() & 0o777;
        if mode != 0o600 {
            fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates the database file at `path` as a private empty file if nothing is there yet, so that
/// SQLite opens a file of mode `0600` (and gives its WAL and shm the same mode), or restricts the
/// file that is there. A file that exists but cannot be restricted (another user's, a read-only
/// mount) is left to SQLite, which reports what it cannot do with it.
pub fn prepare_database_file(path: &Path) -> io::Result<()> {
    match create_new(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            let _ = restrict(path);
            Ok(())
        }
        Err(error) => Err(error),
    }
}
