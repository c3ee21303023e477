//! `export`: the whole registry as one JSON document, for backups, audits and migrations.
//!
//! Every token of every status is included with all its fields, its composition as flat triples,
//! its numbers, and its digest (lowercase hex) with the digest scheme, read by the core's
//! `Registry::export_tokens` in one consistent snapshot. No secret exists to export. A file is
//! written atomically (a temporary file in the same folder, synced, then renamed over the target), so a
//! reader never sees half an export and a failed export leaves the previous file in place.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use clapay_core::export::ExportedToken;
use clapay_core::Registry;
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

/// Reads the whole registry as an export document.
pub fn snapshot(registry: &Registry, now: DateTime<Utc>) -> CliResult<ExportDocument> {
    let tokens = registry.export_tokens(now)?;
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
