//! Shared fixtures: a registry on a temp file, a fixed clock, request builders.

use chrono::{DateTime, TimeZone, Utc};
use clapay_core::{Catalog, Expiry, Method, NewNumber, NewToken, Registry, Triple};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0)
        .single()
        .expect("valid date")
}

pub struct TempRegistry {
    pub registry: Registry,
    _dir: tempfile::TempDir,
}

pub fn temp_registry() -> TempRegistry {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    let registry = Registry::open(&path, Catalog::embedded()).expect("open");
    TempRegistry {
        registry,
        _dir: dir,
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
