//! A consistent snapshot of the whole registry for export: every token of every status with its
//! composition, numbers and digest. No secret exists to export: the database holds digests only.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Result;
use crate::{Registry, TokenDetails, Triple};

/// One token as exported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportedToken {
    /// All the token's fields, composition and numbers.
    #[serde(flatten)]
    pub details: TokenDetails,
    /// The composition as flat (country, operator, method) triples, simplest to re-import.
    pub triples: Vec<Triple>,
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

impl Registry {
    /// Every token, oldest first, read in one read transaction so the result is consistent even
    /// while the desktop app or another process writes.
    pub fn export_tokens(&self, now: DateTime<Utc>) -> Result<Vec<ExportedToken>> {
        // A deferred transaction on this connection: the first SELECT fixes the snapshot that every
        // later read (including get_token) sees. It only reads; dropping it ends it.
        let snapshot = self.connection.unchecked_transaction()?;
        let rows: Vec<(String, Vec<u8>, String)> = snapshot
            .prepare("SELECT id, digest, digest_scheme FROM tokens ORDER BY created_at, id")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut tokens = Vec::with_capacity(rows.len());
        for (id, digest, digest_scheme) in rows {
            let details = self.get_token(&id, now)?;
            tokens.push(ExportedToken {
                triples: details.triples().into_iter().collect(),
                details,
                digest: hex(&digest),
                digest_scheme,
            });
        }
        drop(snapshot);
        Ok(tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_and_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0xab, 0x0f, 0xff]), "00ab0fff");
    }
}
