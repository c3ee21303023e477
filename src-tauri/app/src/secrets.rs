//! The secrets of tokens just created or rolled, held only until their dialog copies or discards
//! them, in zeroizing buffers keyed by token id. Nothing here writes a secret anywhere.

use std::collections::HashMap;
use std::sync::Mutex;

use zeroize::Zeroizing;

use crate::database::poisoned;
use crate::error::CommandError;

/// The secrets waiting for their dialog.
#[derive(Default)]
pub struct HeldSecrets(Mutex<HashMap<String, Zeroizing<String>>>);

impl HeldSecrets {
    /// Keeps the secret of a token until the dialog copies or discards it.
    pub fn hold(&self, id: &str, secret: Zeroizing<String>) -> Result<(), CommandError> {
        self.0
            .lock()
            .map_err(|_| poisoned())?
            .insert(id.to_owned(), secret);
        Ok(())
    }

    /// A zeroizing copy of a held secret, for the clipboard.
    pub fn get(&self, id: &str) -> Result<Zeroizing<String>, CommandError> {
        self.0
            .lock()
            .map_err(|_| poisoned())?
            .get(id)
            .cloned()
            .ok_or_else(CommandError::secret_gone)
    }

    /// Drops (and so zeroizes) a held secret, and says whether any is still held. Discarding
    /// twice is not an error: the dialog may close by Escape after Done.
    pub fn discard(&self, id: &str) -> Result<bool, CommandError> {
        let mut held = self.0.lock().map_err(|_| poisoned())?;
        held.remove(id);
        Ok(!held.is_empty())
    }
}
