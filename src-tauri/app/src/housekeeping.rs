//! The app's background work, on one thread, at start and then every hour while it runs:
//! - record the end of roll graces that passed (`grace_ended` in the history);
//! - show the expiry reminders that are due as desktop notifications (once per threshold per
//!   token, recorded in the history; the setting `reminders` turns them off);
//! - once a day, prune usage events older than the retention setting, and take the daily backup
//!   when the newest is a day old.
//!
//! Nothing runs before the start-up integrity check has reported, and nothing runs on a database
//! open read-only. The database lock is held for one step at a time, so the window never waits
//! for more than one of them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clapay_core::Reminder;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;

use crate::backups;
use crate::database::DatabaseSlot;
use crate::settings::{Language, Settings};
use crate::state::AppState;

/// How often the work runs.
const EVERY: Duration = Duration::from_secs(60 * 60);
/// How long after the integrity check the first round waits: the window's first actions come
/// first.
const FIRST_ROUND_DELAY: Duration = Duration::from_secs(20);
/// How often the daily steps (prune, backup) run.
const DAILY: Duration = Duration::from_secs(24 * 60 * 60);

/// Starts the background thread.
pub fn spawn<R: Runtime>(
    app: AppHandle<R>,
    slot: Arc<DatabaseSlot>,
    db_path: PathBuf,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("housekeeping".into())
        .spawn(move || {
            match slot.integrity_problem() {
                Ok(None) => {}
                // Read-only or unusable: nothing to keep.
                Ok(Some(_)) | Err(_) => return,
            }
            std::thread::sleep(FIRST_ROUND_DELAY);
            let mut last_daily: Option<Instant> = None;
            loop {
                let settings = app
                    .try_state::<AppState>()
                    .and_then(|state| state.settings().ok())
                    .unwrap_or_default();
                let now = Utc::now();
                hourly(&app, &slot, &settings, now);
                if last_daily.is_none_or(|at| at.elapsed() >= DAILY) {
                    daily(&slot, &db_path, &settings, now);
                    last_daily = Some(Instant::now());
                }
                std::thread::sleep(EVERY);
            }
        })
        .map(|_| ())
}

fn hourly<R: Runtime>(
    app: &AppHandle<R>,
    slot: &DatabaseSlot,
    settings: &Settings,
    now: DateTime<Utc>,
) {
    let Ok(mut database) = slot.lock_checked() else {
        return;
    };
    let Ok(registry) = database.registry.as_mut() else {
        return;
    };
    match registry.record_ended_graces(now) {
        Ok(0) => {}
        Ok(ended) => log::info!("{ended} roll grace period(s) ended"),
        Err(error) => log::warn!("ended grace periods not recorded: {error}"),
    }
    if !settings.reminders {
        return;
    }
    let due = match registry.reminders_due(&settings.reminder_days, now) {
        Ok(due) => due,
        Err(error) => {
            log::warn!("expiry reminders not computed: {error}");
            return;
        }
    };
    if due.is_empty() {
        return;
    }
    // Recorded before they are shown: a failure after this shows nothing twice.
    if let Err(error) = registry.record_reminders(&due, now) {
        log::warn!("expiry reminders not recorded, not shown: {error}");
        return;
    }
    drop(database);
    let french = match settings.language {
        Language::Fr => true,
        Language::En => false,
        Language::System => sys_locale::get_locale().is_some_and(|locale| locale.starts_with("fr")),
    };
    for (title, body) in notifications(&due, french) {
        if let Err(error) = app
            .notification()
            .builder()
            .title(&title)
            .body(&body)
            .show()
        {
            log::warn!("an expiry reminder could not be shown: {error}");
        }
    }
    log::info!("{} expiry reminder(s) shown", due.len());
}

fn daily(slot: &DatabaseSlot, db_path: &std::path::Path, settings: &Settings, now: DateTime<Utc>) {
    if let Ok(mut database) = slot.lock_checked() {
        if let Ok(registry) = database.registry.as_mut() {
            match registry.prune_usage(settings.usage_retention_days, now) {
                Ok(0) => {}
                Ok(pruned) => log::info!(
                    "{pruned} usage event(s) older than {} days pruned",
                    settings.usage_retention_days
                ),
                Err(error) => log::warn!("usage events not pruned: {error}"),
            }
        }
    }
    if !backups::due_in(&clapay_core::backup::backups_dir(db_path), now).is_zero() {
        return;
    }
    let taken = match slot.lock_checked() {
        Ok(database) => backups::take(&database, db_path, now),
        Err(_) => return,
    };
    if let Err(error) = taken {
        log::warn!("daily backup skipped: {error}");
    }
}

/// The notifications for the reminders due: one per threshold, naming the token when it is the
/// only one. `(title, body)` pairs, in English or French.
fn notifications(due: &[Reminder], french: bool) -> Vec<(String, String)> {
    let mut thresholds: Vec<u32> = due.iter().map(|reminder| reminder.threshold_days).collect();
    thresholds.sort_unstable_by(|a, b| b.cmp(a));
    thresholds.dedup();
    thresholds
        .into_iter()
        .map(|days| {
            let tokens: Vec<&Reminder> = due.iter().filter(|r| r.threshold_days == days).collect();
            let title = if french { "ClaPay Tokens : expiration" } else { "ClaPay Tokens: expiry" };
            let body = match (tokens.as_slice(), french) {
                ([one], false) => match days {
                    0 => format!("Token '{}' has expired. Roll it to keep payments working.", one.token_name),
                    1 => format!("Token '{}' expires within a day. Roll it before it stops working.", one.token_name),
                    _ => format!("Token '{}' expires within {days} days. Roll it before it stops working.", one.token_name),
                },
                ([one], true) => match days {
                    0 => format!("Le jeton « {} » a expiré. Renouvelez-le pour que les paiements continuent.", one.token_name),
                    1 => format!("Le jeton « {} » expire dans moins d'un jour. Renouvelez-le avant qu'il ne s'arrête.", one.token_name),
                    _ => format!("Le jeton « {} » expire dans moins de {days} jours. Renouvelez-le avant qu'il ne s'arrête.", one.token_name),
                },
                (many, false) => match days {
                    0 => format!("{} tokens have expired. Roll them to keep payments working.", many.len()),
                    1 => format!("{} tokens expire within a day.", many.len()),
                    _ => format!("{} tokens expire within {days} days.", many.len()),
                },
                (many, true) => match days {
                    0 => format!("{} jetons ont expiré. Renouvelez-les pour que les paiements continuent.", many.len()),
                    1 => format!("{} jetons expirent dans moins d'un jour.", many.len()),
                    _ => format!("{} jetons expirent dans moins de {days} jours.", many.len()),
                },
            };
            (title.to_owned(), body)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reminder(name: &str, days: u32) -> Reminder {
        Reminder {
            token_id: format!("id-{name}"),
            token_name: name.to_owned(),
            threshold_days: days,
            expires_at: Utc::now(),
        }
    }

    #[test]
    fn one_notification_per_threshold_naming_a_lone_token() {
        let due = [
            reminder("shop", 7),
            reminder("kiosk", 1),
            reminder("depot", 1),
        ];
        let shown = notifications(&due, false);
        assert_eq!(shown.len(), 2);
        assert!(
            shown[0].1.contains("'shop' expires within 7 days"),
            "{shown:?}"
        );
        assert!(
            shown[1].1.starts_with("2 tokens expire within a day"),
            "{shown:?}"
        );
        let french = notifications(&[reminder("shop", 0)], true);
        assert!(french[0].1.contains("« shop » a expiré"), "{french:?}");
    }
}
