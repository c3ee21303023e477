//! Expiry reminders: which tokens to remind the merchant of, and when.
//!
//! A token is "expiring" when it is active and expires within [`EXPIRING_WITHIN_DAYS`] days (the
//! list's badge, banner and filter). Desktop notifications come at thresholds (by default 7 days,
//! 1 day and at expiry), each once per token and expiry date: a reminder is recorded in the
//! history (`reminded`, with the threshold and the expiry it was about), so a restart does not
//! repeat it, and a token whose expiry is pushed back is reminded again before its new expiry.
//!
//! Each threshold has a window, from its time to the next threshold's (the last one, at expiry,
//! lasts a day): only the threshold whose window holds the present is due. An app that was closed
//! for a week therefore shows the one reminder that matters now, not every one it missed.
//! [`due_reminders`] decides this from the tokens and a clock alone.

use chrono::{DateTime, Duration, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Error, Result};
use crate::history::{self, EventKind};
use crate::token::{expiry_json, TokenRef};
use crate::{begin_write, from_millis, to_millis, Registry};

/// A token expiring within this many days is "expiring".
pub const EXPIRING_WITHIN_DAYS: i64 = 7;
/// The reminder thresholds unless the merchant sets others: days before expiry.
pub const DEFAULT_THRESHOLDS: [u32; 3] = [7, 1, 0];
/// The most thresholds a merchant may set, and the farthest one in days.
pub const THRESHOLDS_MAX: usize = 5;
/// The farthest threshold, in days before expiry.
pub const THRESHOLD_MAX_DAYS: u32 = 90;

/// A token that may be due a reminder, with the reminders already recorded for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderCandidate {
    /// The token.
    pub token: TokenRef,
    /// Its expiry.
    pub expires_at: DateTime<Utc>,
    /// Reminders recorded: (threshold in days, the expiry they were about).
    pub reminded: Vec<(u32, DateTime<Utc>)>,
}

/// A reminder to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// The token.
    pub token_id: String,
    /// Its name.
    pub token_name: String,
    /// The threshold reached, in days before expiry (0: at expiry).
    pub threshold_days: u32,
    /// The token's expiry.
    pub expires_at: DateTime<Utc>,
}

/// Checks reminder thresholds: 1 to [`THRESHOLDS_MAX`] values from 0 to [`THRESHOLD_MAX_DAYS`],
/// returned from the farthest to the nearest, each once.
pub fn validate_thresholds(thresholds: &[u32]) -> Result<Vec<u32>> {
    let invalid = |reason: String| Err(Error::InvalidThresholds { reason });
    if thresholds.is_empty() {
        return invalid("give at least one threshold, e.g. 7, 1 and 0 days".into());
    }
    if let Some(far) = thresholds.iter().find(|days| **days > THRESHOLD_MAX_DAYS) {
        return invalid(format!(
            "{far} days is too far ahead; use 0 to {THRESHOLD_MAX_DAYS} days"
        ));
    }
    let mut sorted = thresholds.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    if sorted.len() > THRESHOLDS_MAX {
        return invalid(format!("use at most {THRESHOLDS_MAX} thresholds"));
    }
    Ok(sorted)
}

/// The reminders due at `now`: for each candidate, the threshold whose window holds `now`, unless
/// it was already recorded for this expiry. `thresholds` are days before expiry, any order.
pub fn due_reminders(
    candidates: &[ReminderCandidate],
    thresholds: &[u32],
    now: DateTime<Utc>,
) -> Vec<Reminder> {
    let mut sorted = thresholds.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    let mut due = Vec::new();
    for candidate in candidates {
        let expiry = candidate.expires_at;
        let window = sorted.iter().enumerate().find_map(|(index, days)| {
            let start = expiry - Duration::days(i64::from(*days));
            let end = match sorted.get(index + 1) {
                Some(next) => expiry - Duration::days(i64::from(*next)),
                // The nearest threshold lasts until a day after the expiry (or the expiry).
                None if *days == 0 => expiry + Duration::days(1),
                None => expiry,
            };
            (start <= now && now < end).then_some(*days)
        });
        let Some(threshold) = window else {
            continue;
        };
        if candidate
            .reminded
            .iter()
            .any(|(days, about)| *days == threshold && *about == expiry)
        {
            continue;
        }
        due.push(Reminder {
            token_id: candidate.token.id.clone(),
            token_name: candidate.token.name.clone(),
            threshold_days: threshold,
            expires_at: expiry,
        });
    }
    due
}

impl Registry {
    /// The reminders due at `now` for the thresholds given (see [`due_reminders`]): tokens that
    /// are not revoked or rolled and expire within the farthest threshold (or expired within a
    /// day).
    pub fn reminders_due(&self, thresholds: &[u32], now: DateTime<Utc>) -> Result<Vec<Reminder>> {
        let thresholds = validate_thresholds(thresholds)?;
        let farthest = thresholds.first().copied().unwrap_or(0);
        let mut tokens = self.connection.prepare_cached(
            "SELECT id, name, expires_at FROM tokens
             WHERE revoked_at IS NULL AND grace_ends_at IS NULL AND expires_at > ?1 AND expires_at <= ?2",
        )?;
        let mut reminded = self.connection.prepare_cached(
            "SELECT detail ->> 'threshold_days', detail ->> 'expires_at' FROM history
             WHERE token_id = ?1 AND kind NOT IN ('used', 'denied') AND kind = 'reminded'",
        )?;
        let rows: Vec<(String, String, i64)> = tokens
            .query_map(
                params![
                    to_millis(now - Duration::days(1)),
                    to_millis(now + Duration::days(i64::from(farthest)))
                ],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?
            .collect::<rusqlite::Result<_>>()?;
        let mut candidates = Vec::with_capacity(rows.len());
        for (id, name, expires_at) in rows {
            let recorded = reminded
                .query_map([&id], |row| {
                    Ok((
                        row.get::<_, Option<u32>>(0)?,
                        row.get::<_, Option<String>>(1)?,
                    ))
                })?
                .filter_map(|row| match row {
                    // The expiry the reminder was about: a reminder for an earlier expiry does not
                    // count once the token was extended.
                    Ok((Some(days), Some(about))) => DateTime::parse_from_rfc3339(&about)
                        .ok()
                        .map(|about| Ok((days, about.with_timezone(&Utc)))),
                    Ok(_) => None,
                    Err(error) => Some(Err(error)),
                })
                .collect::<rusqlite::Result<_>>()?;
            candidates.push(ReminderCandidate {
                token: TokenRef { id, name },
                expires_at: from_millis(expires_at),
                reminded: recorded,
            });
        }
        Ok(due_reminders(&candidates, &thresholds, now))
    }

    /// Records reminders as shown (`reminded` events), so they are not shown again.
    pub fn record_reminders(&mut self, reminders: &[Reminder], now: DateTime<Utc>) -> Result<()> {
        let transaction = begin_write(&mut self.connection)?;
        for reminder in reminders {
            history::append(
                &transaction,
                Some(&reminder.token_id),
                EventKind::Reminded,
                &json!({
                    "threshold_days": reminder.threshold_days,
                    "expires_at": expiry_json(Some(reminder.expires_at)),
                }),
                now,
            )?;
        }
        transaction.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0)
            .single()
            .expect("valid date")
    }

    fn candidate(
        expires_at: DateTime<Utc>,
        reminded: &[(u32, DateTime<Utc>)],
    ) -> ReminderCandidate {
        ReminderCandidate {
            token: TokenRef {
                id: "t1".into(),
                name: "shop".into(),
            },
            expires_at,
            reminded: reminded.to_vec(),
        }
    }

    fn due_threshold(candidate: &ReminderCandidate, now: DateTime<Utc>) -> Option<u32> {
        let due = due_reminders(std::slice::from_ref(candidate), &DEFAULT_THRESHOLDS, now);
        assert!(due.len() <= 1, "one reminder per token at a time");
        due.first().map(|reminder| reminder.threshold_days)
    }

    #[test]
    fn each_threshold_is_due_in_its_own_window() {
        let expiry = at(20, 12);
        let token = candidate(expiry, &[]);
        assert_eq!(
            due_threshold(&token, at(13, 11)),
            None,
            "more than 7 days ahead"
        );
        assert_eq!(
            due_threshold(&token, at(13, 12)),
            Some(7),
            "exactly 7 days ahead"
        );
        assert_eq!(
            due_threshold(&token, at(19, 11)),
            Some(7),
            "still in the 7-day window"
        );
        assert_eq!(due_threshold(&token, at(19, 12)), Some(1), "one day ahead");
        assert_eq!(due_threshold(&token, at(20, 12)), Some(0), "at expiry");
        assert_eq!(
            due_threshold(&token, at(21, 11)),
            Some(0),
            "the day after expiry"
        );
        assert_eq!(
            due_threshold(&token, at(21, 12)),
            None,
            "a day after expiry: nothing more"
        );
    }

    #[test]
    fn a_threshold_fires_once_per_expiry() {
        let expiry = at(20, 12);
        let reminded = candidate(expiry, &[(7, expiry)]);
        assert_eq!(
            due_threshold(&reminded, at(14, 0)),
            None,
            "recorded: not again"
        );
        assert_eq!(
            due_threshold(&reminded, at(19, 12)),
            Some(1),
            "the next one still comes"
        );
        let pushed_back = candidate(at(27, 12), &[(7, expiry)]);
        assert_eq!(
            due_threshold(&pushed_back, at(21, 0)),
            Some(7),
            "a new expiry is reminded again"
        );
    }

    #[test]
    fn an_app_closed_for_days_shows_only_the_reminder_that_matters_now() {
        let expiry = at(20, 12);
        let token = candidate(expiry, &[]);
        assert_eq!(
            due_threshold(&token, at(20, 1)),
            Some(1),
            "not the missed 7-day one"
        );
    }

    #[test]
    fn thresholds_are_checked_and_sorted() {
        assert_eq!(validate_thresholds(&[0, 7, 1, 7]).ok(), Some(vec![7, 1, 0]));
        assert!(validate_thresholds(&[]).is_err());
        assert!(validate_thresholds(&[120]).is_err());
        assert!(validate_thresholds(&[1, 2, 3, 4, 5, 6]).is_err());
    }
}
