//! `export`: the whole registry as one JSON document, for backups, audits and migrations.
//!
//! Every token of every status is included with all its fields, its composition as flat triples,
//! its numbers, and its digest (lowercase hex) with the digest scheme. No secret exists to export:
//! the database holds digests only. The document is read in one read transaction, so it is a
//! consistent snapshot even while the desktop app or another CLI writes. A file is written
//! atomically (a temporary file in the same folder, synced, then renamed over the target), so a
//! reader never sees half an export and a failed export leaves the previous file in place.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use clapay_core::{Registry, TokenDetails};
use serde::Serialize;

use crate::error::{CliError, CliResult};

/// The version of the export document; bump it when a field changes meaning or disappears.
pub const FORMAT_VERSION: u32 = 1;

/// The export document.
#[derive(Debug, Serialize)]
pub struct ExportDocument {
    /// Always `clapay-tokens-export`.
    pub format: &'static str,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// When the snapshot was taken (UTC).
    pub exported_at: String,
    /// The version of the catalog in use.
    pub catalog_version: String,
    /// How many tokens follow.
    pub token_count: usize,
    /// Every token, oldest first.
    pub tokens: Vec<ExportedToken>,
}

/// One token in the export.
#[derive(Debug, Serialize)]
pub struct ExportedToken {
    /// The fields the rest of the CLI shows (`--json` of `show`), with composition and numbers.
    #[serde(flatten)]
    pub details: TokenDetails,
    /// The composition as flat (country, operator, method) triples, simplest to re-import.
    pub triples: Vec<clapay_core::Triple>,
    /// SHA-256 of the secret, lowercase hex.
    pub digest: String,
    /// How the digest was computed (`sha256-v1`).
    pub digest_scheme: String,
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        })
}

/// Reads the whole registry as an export document.
pub fn snapshot(registry: &Registry, now: DateTime<Utc>) -> CliResult<ExportDocument> {
    // A deferred transaction on the shared connection: the first SELECT fixes the snapshot that
    // every later read (including the core's get_token) sees. It only reads; dropping it ends it.
    let snapshot = registry
        .connection()
        .unchecked_transaction()
        .map_err(clapay_core::Error::from)?;
    let rows: Vec<(String, Vec<u8>, String)> = {
        let mut statement = snapshot
            .prepare("SELECT id, digest, digest_scheme FROM tokens ORDER BY created_at, id")
            .map_err(clapay_core::Error::from)?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .map_err(clapay_core::Error::from)?;
        rows.collect::<Result<_, _>>()
            .map_err(clapay_core::Error::from)?
    };
    let mut tokens = Vec::with_capacity(rows.len());
    for (id, digest, digest_scheme) in rows {
        let details = registry.get_token(&id, now)?;
        tokens.push(ExportedToken {
            triples: details.triples().into_iter().collect(),
            details,
            digest: hex(&digest),
            digest_scheme,
        });
    }
    drop(snapshot);
    Ok(ExportDocument {
        format: "clapay-tokens-export",
        format_version: FORMAT_VERSION,
        exported_at: now.to_rfc3339_opts(SecondsFormat::Millis, true),
        catalog_version: registry.catalog().version.clone(),
        token_count: tokens.len(),
        tokens,
    })
}

/// Writes `text` to `path` atomically: temporary file in the same folder, fsync, rename.
pub fn write_atomically(path: &Path, text: &str) -> CliResult<()> {
    let io_error = |context: String| move |source: std::io::Error| CliError::Io { context, source };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".clapay-export-")
        .suffix(".tmp")
        .tempfile_in(folder)
        .map_err(io_error(format!(
            "cannot create a temporary file in {}",
            folder.display()
        )))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.as_file().sync_all())
        .map_err(io_error(format!(
            "cannot write the export next to {}",
            path.display()
        )))?;
    file.persist(path).map_err(|error| CliError::Io {
        context: format!("cannot move the export into place at {}", path.display()),
        source: error.error,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_and_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0xab, 0x0f, 0xff]), "00ab0fff");
    }

    #[test]
    fn atomic_write_replaces_the_file() {
        let folder = tempfile::tempdir().expect("temp dir");
        let path = folder.path().join("export.json");
        std::fs::write(&path, "old").expect("seed");
        write_atomically(&path, "{}").expect("write");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "{}\n",
            "the new content replaced the old"
        );
        let leftovers = std::fs::read_dir(folder.path()).expect("list").count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }
}
