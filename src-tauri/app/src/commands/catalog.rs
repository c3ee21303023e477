//! The catalog in use, and importing a newer one.

use std::sync::Arc;

use clapay_core::catalog::CatalogChanges;
use clapay_core::Catalog;
use serde::{Serialize, Serializer};
use tauri::State;

use crate::catalog_file::save_catalog;
use crate::error::CommandError;
use crate::state::{run_blocking, AppState};

/// A catalog shared with the registry, serialized as the catalog itself.
#[derive(Debug)]
pub struct SharedCatalog(Arc<Catalog>);

impl Serialize for SharedCatalog {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// The catalog in use.
#[tauri::command]
pub async fn get_catalog(state: State<'_, AppState>) -> Result<SharedCatalog, CommandError> {
    state
        .with_registry(|registry| Ok(SharedCatalog(Arc::clone(registry.catalog()))))
        .await
}

/// `preview_catalog` result: the file's version and what applying it would change.
#[derive(Debug, Serialize)]
pub struct CatalogPreview {
    version: String,
    current_version: String,
    changes: CatalogChanges,
}

/// Validates a replacement catalog and says what it would add and remove, applying nothing
/// (the import dialog shows it, then `import_catalog` applies the same text).
#[tauri::command]
pub async fn preview_catalog(
    state: State<'_, AppState>,
    json: String,
) -> Result<CatalogPreview, CommandError> {
    state
        .with_registry(move |registry| {
            let current = registry.catalog();
            let (new, changes) = current.preview_replacement(&json)?;
            Ok(CatalogPreview {
                version: new.version,
                current_version: current.version.clone(),
                changes,
            })
        })
        .await
}

/// Validates a replacement catalog, keeps it for the next start and puts it in use.
#[tauri::command]
pub async fn import_catalog(
    state: State<'_, AppState>,
    json: String,
) -> Result<SharedCatalog, CommandError> {
    let path = state.paths.catalog.clone();
    let catalog = run_blocking(move || {
        let catalog = Arc::new(Catalog::from_json(&json)?);
        save_catalog(&path, &json)?;
        Ok(catalog)
    })
    .await?;
    log::info!("catalog version {} imported", catalog.version);
    state
        .with_registry(move |registry| {
            registry.set_catalog(Arc::clone(&catalog));
            Ok(SharedCatalog(catalog))
        })
        .await
}
