//! Whitelisted phone numbers: normalisation to E.164 and the one-token-per-number rule.
//!
//! Input may be national (`07 07 07 07 07` for Côte d'Ivoire), international (`+225 07...`) or with
//! the `00` prefix, with spaces, dashes, dots or parentheses. It is validated with libphonenumber
//! metadata (the `phonenumber` crate, pinned) for the chosen country and stored in E.164. Extensions,
//! letters and non-ASCII digits are refused rather than silently dropped (libphonenumber would drop
//! an extension and keep the rest, whitelisting a number the merchant did not type).
//!
//! The number is the table's primary key, so two tokens can never hold it, whichever writer wins
//! a race; the loser gets [`Error::NumberTaken`] naming the holder and its status.
//!
//! Fail closed: a country where a token has numbers, enabled or disabled, accepts only its enabled
//! numbers (authorize). Disabling every number of a country therefore pauses the token there, and
//! removing the last one lifts the restriction, which [`Registry::remove_number`] does only when
//! the caller confirms it.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;

use crate::catalog::{normalize_code, Catalog};
use crate::error::{Error, Result};
use crate::history::{self, EventKind};
use crate::token::{load_details, require_editable, Status, TokenDetails, TokenRef};
use crate::{begin_write, composition, from_millis, to_millis, Registry};

/// One whitelisted number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NumberEntry {
    /// E.164 form (`+2250707070707`).
    pub number: String,
    /// International display form (`+225 07 07 07 07 07`).
    pub formatted: String,
    /// ISO code of its country.
    pub country: String,
    /// Disabled numbers stay listed but do not authorize.
    pub enabled: bool,
    /// When it was whitelisted.
    pub added_at: DateTime<Utc>,
}

/// The answer to "can this number be whitelisted?" before the token exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneCheck {
    /// E.164 form.
    pub number: String,
    /// International display form.
    pub formatted: String,
    /// The token that already holds it, if any.
    pub taken_by: Option<TakenBy>,
}

/// The holder of a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TakenBy {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its status.
    pub status: Status,
}

/// Validates `input` as a phone number of `country` and returns its E.164 form.
pub fn normalize(catalog: &Catalog, country: &str, input: &str) -> Result<String> {
    let country_code = normalize_code(country);
    let entry = catalog.require_country(&country_code)?;
    let invalid = |reason: &str| Error::InvalidPhone {
        input: input.to_string(),
        country: entry.name.clone(),
        reason: reason.to_string(),
    };
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(invalid("the number is empty"));
    }
    if trimmed.chars().count() > 32 {
        return Err(invalid("it is too long to be a phone number"));
    }
    if trimmed
        .chars()
        .any(|c| c.is_numeric() && !c.is_ascii_digit())
    {
        return Err(invalid(
            "use the digits 0-9 (this looks like full-width or other non-ASCII digits)",
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_alphabetic() || c == '#' || c == ';' || c == ',')
    {
        return Err(invalid(
            "extensions and letters are not allowed; give the mobile number only",
        ));
    }
    let mut compact = String::with_capacity(trimmed.len());
    for character in trimmed.chars() {
        match character {
            '0'..='9' => compact.push(character),
            // A leading + may sit inside parentheses: "(+225) 07...".
            '+' if compact.is_empty() => compact.push(character),
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
            _ => {
                return Err(invalid(
                    "it contains characters other than digits, spaces, dashes and a leading +",
                ))
            }
        }
    }
    // "00" is the international prefix in every catalog country; libphonenumber needs "+".
    if let Some(rest) = compact.strip_prefix("00") {
        compact = format!("+{rest}");
    }
    let region: phonenumber::country::Id = country_code
        .parse()
        .map_err(|_| invalid("the country has no known numbering plan"))?;
    let parsed = phonenumber::parse(Some(region), &compact)
        .map_err(|_| invalid("it is not a phone number (check the digits)"))?;
    if parsed.extension().is_some() {
        return Err(invalid(
            "extensions are not allowed; give the mobile number only",
        ));
    }
    let expected_code = entry.calling_code.trim_start_matches('+');
    if parsed.code().value().to_string() != expected_code {
        let other = phonenumber::metadata::DATABASE
            .region(&parsed.code().value())
            .and_then(|regions| {
                regions
                    .first()
                    .and_then(|id| catalog.country(id))
                    .map(|c| c.name.clone())
            })
            .unwrap_or_else(|| format!("+{}", parsed.code().value()));
        return Err(invalid(&format!(
            "it is a number of {other}, not of {} ({})",
            entry.name, entry.calling_code
        )));
    }
    if !phonenumber::is_valid(&parsed) {
        return Err(invalid(&format!(
            "it does not match the numbering plan of {} (wrong length or prefix)",
            entry.name
        )));
    }
    Ok(parsed.format().mode(phonenumber::Mode::E164).to_string())
}

/// A valid mobile number of `country` in E.164 form, for seeding databases (benchmarks, demos)
/// and tests: libphonenumber's example mobile number for the country with its last six digits
/// replaced by `index` (modulo 1,000,000). Distinct indexes below 1,000,000 give distinct numbers.
/// Returns `None` when the country is not in the catalog, has no example, or the variant does not
/// pass [`normalize`] (a few prefixes are reserved in some numbering plans); callers try the next
/// index.
pub fn sample_number(catalog: &Catalog, country: &str, index: u32) -> Option<String> {
    let entry = catalog.country(country)?;
    let example = phonenumber::metadata::DATABASE
        .by_id(country)?
        .descriptors()
        .mobile()?
        .example()?;
    if example.len() <= 6 {
        return None;
    }
    let kept = &example[..example.len() - 6];
    let candidate = format!("{}{kept}{:06}", entry.calling_code, index % 1_000_000);
    normalize(catalog, country, &candidate).ok()
}

/// The international display form of a stored E.164 number.
pub fn format_international(e164: &str) -> String {
    phonenumber::parse(None, e164)
        .map(|parsed| {
            parsed
                .format()
                .mode(phonenumber::Mode::International)
                .to_string()
        })
        .unwrap_or_else(|_| e164.to_string())
}

pub(crate) fn load(connection: &Connection, token_id: &str) -> Result<Vec<NumberEntry>> {
    let mut statement = connection.prepare_cached(
        "SELECT number, country, enabled, added_at FROM numbers WHERE token_id = ?1 ORDER BY country, added_at, number",
    )?;
    let rows = statement.query_map([token_id], |row| {
        let number: String = row.get(0)?;
        Ok(NumberEntry {
            formatted: format_international(&number),
            number,
            country: row.get(1)?,
            enabled: row.get(2)?,
            added_at: from_millis(row.get(3)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn holder(connection: &Connection, number: &str, now: DateTime<Utc>) -> Result<Option<TakenBy>> {
    let row = connection
        .prepare_cached(
            "SELECT t.id, t.name, t.revoked_at, t.expires_at, t.grace_ends_at
             FROM numbers n JOIN tokens t ON t.id = n.token_id WHERE n.number = ?1",
        )?
        .query_row([number], |row| {
            let time = |index: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
                Ok(row.get::<_, Option<i64>>(index)?.map(from_millis))
            };
            Ok(TakenBy {
                id: row.get(0)?,
                name: row.get(1)?,
                status: Status::at(time(2)?, time(3)?, time(4)?, now),
            })
        })
        .optional()?;
    Ok(row)
}

/// Inserts a number; a number already held (even by a racing writer) becomes `NumberTaken`.
/// The primary key is the arbiter: the holder is looked up only when the insert is refused.
pub(crate) fn insert(
    connection: &Connection,
    token_id: &str,
    country: &str,
    number: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let inserted = connection
        .prepare_cached("INSERT INTO numbers (number, token_id, country, enabled, added_at) VALUES (?1, ?2, ?3, 1, ?4)")?
        .execute(params![number, token_id, country, to_millis(now)]);
    match inserted {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(code, _))
            if code.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            match holder(connection, number, now)? {
                Some(taken) => Err(taken_error(number, taken)),
                None => Err(Error::Storage(rusqlite::Error::SqliteFailure(code, None))),
            }
        }
        Err(error) => Err(error.into()),
    }
}

fn taken_error(number: &str, taken: TakenBy) -> Error {
    Error::NumberTaken {
        number: number.to_string(),
        token_id: taken.id,
        token_name: taken.name,
        status: taken.status,
    }
}

/// Finds a number of this token from what the user typed (E.164 or any accepted form).
fn find_on_token(
    connection: &Connection,
    catalog: &Catalog,
    token_id: &str,
    typed: &str,
) -> Result<(String, String, bool)> {
    let lookup = |number: &str| -> Result<Option<(String, String, bool)>> {
        Ok(connection
            .prepare_cached(
                "SELECT number, country, enabled FROM numbers WHERE token_id = ?1 AND number = ?2",
            )?
            .query_row(params![token_id, number], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .optional()?)
    };
    let compact: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let compact = compact
        .strip_prefix("00")
        .map(|rest| format!("+{rest}"))
        .unwrap_or(compact);
    if let Some(found) = lookup(&compact)? {
        return Ok(found);
    }
    // A national form: try it in each country of the token's composition.
    let countries: std::collections::BTreeSet<String> = composition::load(connection, token_id)?
        .into_iter()
        .map(|t| t.country)
        .collect();
    for country in countries {
        if let Ok(number) = normalize(catalog, &country, typed) {
            if let Some(found) = lookup(&number)? {
                return Ok(found);
            }
        }
    }
    Err(Error::NumberNotFound {
        number: typed.trim().to_string(),
    })
}

impl Registry {
    /// Validates a number for a country and says whether a token already holds it.
    pub fn check_phone(&self, country: &str, phone: &str) -> Result<PhoneCheck> {
        let number = normalize(&self.catalog, country, phone)?;
        Ok(PhoneCheck {
            formatted: format_international(&number),
            taken_by: holder(&self.connection, &number, Utc::now())?,
            number,
        })
    }

    /// Whitelists a number on a token, for a country of its composition.
    pub fn add_number(
        &mut self,
        id: &str,
        country: &str,
        phone: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenDetails> {
        let country = normalize_code(country);
        let number = normalize(&self.catalog, &country, phone)?;
        let transaction = begin_write(&mut self.connection)?;
        require_editable(&transaction, id)?;
        let in_composition = composition::load(&transaction, id)?
            .iter()
            .any(|t| t.country == country);
        if !in_composition {
            return Err(Error::CountryNotInComposition { country });
        }
        insert(&transaction, id, &country, &number, now)?;
        history::append(
            &transaction,
            Some(id),
            EventKind::NumberAdded,
            &json!({"number": number, "country": country}),
            now,
        )?;
        let details = load_details(&transaction, id, now)?;
        transaction.commit()?;
        Ok(details)
    }

    /// Disables or re-enables a number without removing it. A disabled number is denied, and
    /// still restricts its country: disabling every number of a country pauses the token there.
    pub fn set_number_enabled(
        &mut self,
        id: &str,
        number: &str,
        enabled: bool,
        now: DateTime<Utc>,
    ) -> Result<TokenDetails> {
        let transaction = begin_write(&mut self.connection)?;
        require_editable(&transaction, id)?;
        let (number, country, current) = find_on_token(&transaction, &self.catalog, id, number)?;
        if current != enabled {
            transaction
                .prepare_cached("UPDATE numbers SET enabled = ?2 WHERE number = ?1")?
                .execute(params![number, enabled])?;
            let kind = if enabled {
                EventKind::NumberEnabled
            } else {
                EventKind::NumberDisabled
            };
            history::append(
                &transaction,
                Some(id),
                kind,
                &json!({"number": number, "country": country}),
                now,
            )?;
        }
        let details = load_details(&transaction, id, now)?;
        transaction.commit()?;
        Ok(details)
    }

    /// Removes a number from a token. Removing the last number of a country lifts the phone
    /// restriction there (any phone may then pay in that country), so it needs
    /// `confirm_lift_restriction`; without it the call fails with
    /// [`Error::LastNumberOfCountry`] and changes nothing.
    pub fn remove_number(
        &mut self,
        id: &str,
        number: &str,
        confirm_lift_restriction: bool,
        now: DateTime<Utc>,
    ) -> Result<TokenDetails> {
        let transaction = begin_write(&mut self.connection)?;
        require_editable(&transaction, id)?;
        let (number, country, _) = find_on_token(&transaction, &self.catalog, id, number)?;
        let in_country: i64 = transaction
            .prepare_cached("SELECT count(*) FROM numbers WHERE token_id = ?1 AND country = ?2")?
            .query_row(params![id, country], |row| row.get(0))?;
        if in_country == 1 && !confirm_lift_restriction {
            return Err(Error::LastNumberOfCountry {
                country_name: self.catalog.country_name(&country).to_string(),
                country,
            });
        }
        transaction
            .prepare_cached("DELETE FROM numbers WHERE number = ?1")?
            .execute([&number])?;
        history::append(
            &transaction,
            Some(id),
            EventKind::NumberRemoved,
            &json!({"number": number, "country": country, "restriction_lifted": in_country == 1}),
            now,
        )?;
        let details = load_details(&transaction, id, now)?;
        transaction.commit()?;
        Ok(details)
    }

    /// The token holding a number, if any (for messages and the CLI).
    pub fn number_holder(&self, number: &str, now: DateTime<Utc>) -> Result<Option<TokenRef>> {
        Ok(
            holder(&self.connection, number, now)?.map(|taken| TokenRef {
                id: taken.id,
                name: taken.name,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(country: &str, input: &str) -> Result<String> {
        normalize(&Catalog::embedded(), country, input)
    }

    #[test]
    fn accepted_forms_normalise_to_e164() {
        for input in [
            "07 07 07 07 07",
            "0707070707",
            "+225 07 07 07 07 07",
            "00225-07-07-07-07-07",
            "(+225) 0707.070707",
        ] {
            assert_eq!(
                norm("CI", input).as_deref().ok(),
                Some("+2250707070707"),
                "input {input:?}"
            );
        }
        assert_eq!(
            norm("SN", "77 123 45 67").ok().as_deref(),
            Some("+221771234567")
        );
        assert_eq!(
            norm("BJ", "01 97 00 00 00").ok().as_deref(),
            Some("+2290197000000")
        );
    }

    #[test]
    fn rejected_forms_say_why() {
        let cases = [
            ("CI", "", "empty"),
            ("CI", "07 07 07 07", "numbering plan"),
            ("CI", "07070707", "numbering plan"),
            ("CI", "0707070707 ext. 12", "extensions"),
            ("CI", "0707070707x12", "extensions"),
            ("CI", "０７０７０７０７０７", "digits 0-9"),
            ("CI", "+221 77 123 45 67", "number of Senegal"),
            ("BJ", "97 00 00 00", "numbering plan"),
            ("CI", "07070707070707070707070707070707070", "too long"),
            ("CI", "07'07", "characters other than"),
            ("FR", "0612345678", "unknown country"),
        ];
        for (country, input, expected) in cases {
            let message = norm(country, input).expect_err(input).to_string();
            assert!(message.contains(expected), "{input:?}: {message}");
        }
    }

    #[test]
    fn international_format_groups_digits() {
        // The grouping is libphonenumber's for the country; the point is that it is readable.
        let shown = format_international("+2250707070707");
        assert!(shown.starts_with("+225 07 07"), "{shown}");
        assert_eq!(
            shown.replace(' ', ""),
            "+2250707070707",
            "formatting only adds spaces"
        );
    }

    #[test]
    fn sample_numbers_are_valid_and_distinct_in_every_catalog_country() {
        let catalog = Catalog::embedded();
        for country in &catalog.countries {
            let numbers: std::collections::BTreeSet<String> = (0..200)
                .filter_map(|index| sample_number(&catalog, &country.iso, index))
                .collect();
            assert!(
                numbers.len() >= 150,
                "{}: most sample indexes must give a valid number, got {}",
                country.iso,
                numbers.len()
            );
            for number in &numbers {
                assert_eq!(
                    norm(&country.iso, number).ok().as_deref(),
                    Some(number.as_str()),
                    "a sample number is stored as normalize would store it"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(digits in "0[157][0-9]{8}") {
            if let Ok(first) = norm("CI", &digits) {
                prop_assert_eq!(norm("CI", &first).ok(), Some(first.clone()));
                prop_assert_eq!(norm("CI", &format_international(&first)).ok(), Some(first));
            }
        }

        #[test]
        fn arbitrary_input_never_panics(input in ".{0,40}") {
            let _ = norm("CI", &input);
        }
    }
}
