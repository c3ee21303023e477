//! The rules of a token's fields: name, description and expiry. Each refusal says what is wrong
//! and how to fix it.

use chrono::{DateTime, Days, Local, TimeZone, Utc};

use crate::error::{Error, Result};
use crate::token::Expiry;

/// Longest name, in characters.
pub const NAME_MAX: usize = 100;
/// Longest description, in characters.
pub const DESCRIPTION_MAX: usize = 1000;
/// Longest duration, in days (ten years).
pub const DAYS_MAX: u32 = 3650;

/// Checks and trims a name.
pub fn validate_name(name: &str) -> Result<String> {
    let trimmed = name.trim();
    let invalid = |reason: String| Err(Error::InvalidName { reason });
    if trimmed.is_empty() {
        return invalid("the name is empty; give the token a name, e.g. 'shop-checkout'".into());
    }
    let count = trimmed.chars().count();
    if count > NAME_MAX {
        return invalid(format!(
            "the name has {count} characters; the limit is {NAME_MAX}"
        ));
    }
    if trimmed.chars().any(is_forbidden_in_text) {
        return invalid("the name contains control or invisible formatting characters; use letters, digits, spaces and punctuation".into());
    }
    Ok(trimmed.to_string())
}

/// Checks a description (newlines allowed, other control characters not).
pub fn validate_description(description: &str) -> Result<String> {
    let trimmed = description.trim();
    let count = trimmed.chars().count();
    if count > DESCRIPTION_MAX {
        return Err(Error::InvalidDescription {
            reason: format!(
                "the description has {count} characters; the limit is {DESCRIPTION_MAX}"
            ),
        });
    }
    if trimmed
        .chars()
        .any(|c| c != '\n' && is_forbidden_in_text(c))
    {
        return Err(Error::InvalidDescription {
            reason: "the description contains control or invisible formatting characters; only line breaks are allowed".into(),
        });
    }
    Ok(trimmed.to_string())
}

/// Control characters, the bidirectional overrides that make a name display as something else
/// than it is ("Trojan Source"), and the zero-width characters that make two names look alike.
fn is_forbidden_in_text(character: char) -> bool {
    character.is_control()
        || matches!(
            character,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}'
            // Zero-width space, word joiner and BOM: invisible, so 'shop-a' and 'shop\u{200B}-a'
            // would look like one name. ZWNJ/ZWJ (U+200C/D) stay: scripts such as Persian need them.
            | '\u{200B}' | '\u{2060}' | '\u{FEFF}'
        )
}

/// The key of the case-insensitive uniqueness rule (Unicode-aware lower case).
pub(crate) fn name_key(name: &str) -> String {
    name.to_lowercase()
}

impl Expiry {
    /// The expiry instant, checked to be in the future and within ten years.
    pub fn resolve(self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let invalid = |reason: String| Err(Error::InvalidExpiry { reason });
        let instant = match self {
            Expiry::Never => return Ok(None),
            Expiry::Days { days } => {
                if days == 0 || days > DAYS_MAX {
                    return invalid(format!(
                        "the duration must be 1 to {DAYS_MAX} days, not {days}"
                    ));
                }
                now + chrono::Duration::days(i64::from(days))
            }
            Expiry::Date { date } => {
                // "Valid through that day": it expires when the next day starts, local time.
                let Some(next_day) = date.checked_add_days(Days::new(1)) else {
                    return invalid(format!("{date} is too far in the future"));
                };
                let midnight = next_day.and_hms_opt(0, 0, 0).unwrap_or_default();
                let local = Local
                    .from_local_datetime(&midnight)
                    .earliest()
                    .map(|time| time.with_timezone(&Utc))
                    .unwrap_or_else(|| Utc.from_utc_datetime(&midnight));
                if local <= now {
                    return invalid(format!("{date} is in the past; pick a later date"));
                }
                local
            }
            Expiry::At { at } => at,
        };
        if instant <= now {
            return invalid("the expiry must be in the future".into());
        }
        if instant > now + chrono::Duration::days(i64::from(DAYS_MAX) + 1) {
            return invalid(format!(
                "the expiry must be within {DAYS_MAX} days (ten years)"
            ));
        }
        Ok(Some(instant))
    }
}
