//! The catalog file a merchant imported (`catalog.json` in the app's data folder): read at start,
//! written when a newer catalog is imported.

use std::path::Path;
use std::sync::Arc;

use clapay_core::{private_files, Catalog};

use crate::error::CommandError;

/// The catalog to start with: `catalog.json` if the merchant imported one and it is still valid,
/// else the embedded one (with a logged warning when a file was there but unusable).
pub fn load_catalog(path: &Path) -> Arc<Catalog> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Catalog::embedded(),
        Err(error) => {
            log::warn!(
                "imported catalog {} unreadable, using the embedded one: {error}",
                path.display()
            );
            return Catalog::embedded();
        }
    };
    match Catalog::from_json(&text) {
        Ok(catalog) => {
            log::info!(
                "using the imported catalog {} (version {})",
                path.display(),
                catalog.version
            );
            Arc::new(catalog)
        }
        Err(error) => {
            log::warn!(
                "imported catalog {} is invalid, using the embedded one: {error}",
                path.display()
            );
            Catalog::embedded()
        }
    }
}

/// Writes an imported catalog next to the other app data, atomically (a new private temporary
/// file renamed over the old one), so a crash mid-write never leaves a half file that would be
/// refused at start.
pub fn save_catalog(path: &Path, text: &str) -> Result<(), CommandError> {
    use std::io::Write;
    let failed = |error: std::io::Error| CommandError {
        kind: "storage",
        message: format!("The catalog cannot be saved to {}: {error}", path.display()),
        field: None,
    };
    if let Some(parent) = path.parent() {
        private_files::create_dir_all(parent).map_err(failed)?;
    }
    let temporary = path.with_extension(format!("json.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&temporary);
    let mut file = private_files::create_new(&temporary).map_err(failed)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(failed)
}
