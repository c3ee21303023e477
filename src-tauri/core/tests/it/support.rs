//! Shared fixtures: a registry on a temp file, a fixed clock, request builders.

use chrono::{DateTime, TimeZone, Utc};
use clapay_core::{Catalog, Environment, Expiry, Method, NewNumber, NewToken, Registry, Triple};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0)
        .single()
        .expect("valid date")
}

pub struct TempRegistry {
    pub registry: Registry,
    dir: Option<tempfile::TempDir>,
}

pub fn temp_registry() -> TempRegistry {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    let registry = Registry::open(&path, Catalog::embedded()).expect("open");
    TempRegistry {
        registry,
        dir: Some(dir),
    }
}

impl TempRegistry {
    /// Creates a token and returns its id (most tests need nothing else of it).
    pub fn create_id(&mut self, request: &NewToken) -> String {
        let created = self.registry.create_token(request, now()).expect("create");
        record_secret(&created.secret);
        created.token.summary.id
    }
}

impl Drop for TempRegistry {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            keep_for_leak_scan(dir);
        }
    }
}

/// The leak ledger of `make test` (scripts/leak_scan.py): while `CLAPAY_LEAK_LEDGER` is set,
/// every secret a test sees is appended to it, and the test's files are kept for the scan.
const LEDGER_ENV: &str = "CLAPAY_LEAK_LEDGER";

/// Records a generated secret in the leak ledger, if a scan will run.
pub fn record_secret(secret: &clapay_core::Secret) {
    use std::io::Write;
    if let Some(ledger) = std::env::var_os(LEDGER_ENV) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(ledger)
            .expect("the leak ledger is writable");
        writeln!(file, "{}", secret.expose_secret()).expect("write the leak ledger");
    }
}

/// Keeps a test's folder (database, WAL) for the leak scan, or deletes it when no scan runs.
pub fn keep_for_leak_scan(dir: tempfile::TempDir) {
    if std::env::var_os(LEDGER_ENV).is_some() {
        // The registry is dropped first (field order), so the files are complete.
        let _kept = dir.keep();
    }
}

pub fn triple(country: &str, operator: &str, method: Method) -> Triple {
    Triple {
        country: country.into(),
        operator: operator.into(),
        method,
    }
}

/// A token allowed to take Orange Money pay-ins in Côte d'Ivoire and Wave pay-outs in Senegal.
pub fn new_token(name: &str) -> NewToken {
    NewToken {
        name: name.into(),
        description: "checkout of the Abidjan shop".into(),
        environment: Environment::Live,
        expiry: Expiry::Days { days: 30 },
        composition: vec![
            triple("CI", "OM", Method::Merchant),
            triple("SN", "WAVE", Method::Cashin),
        ],
        numbers: vec![],
    }
}

pub fn number(country: &str, phone: &str) -> NewNumber {
    NewNumber {
        country: country.into(),
        phone: phone.into(),
    }
}

/// Every row of every table, as text, to prove a rejected call changed nothing.
pub fn dump(registry: &Registry) -> String {
    let connection = registry.connection();
    let mut out = String::new();
    for table in ["tokens", "composition", "numbers", "history"] {
        let mut statement = connection
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .expect("select");
        let columns = statement.column_count();
        let rows = statement
            .query_map([], |row| {
                let mut line = String::new();
                for index in 0..columns {
                    line.push_str(&format!(
                        "{:?}|",
                        row.get::<_, rusqlite::types::Value>(index)?
                    ));
                }
                Ok(line)
            })
            .expect("rows");
        for row in rows {
            out.push_str(table);
            out.push(':');
            out.push_str(&row.expect("row"));
            out.push('\n');
        }
    }
    out
}
