//! The user's settings (docs/ipc.md, `Settings`), kept with `tauri-plugin-store` in
//! `settings.json` under the app config dir.
//!
//! Invariants: the file holds these values and nothing else, never a secret; a value out of range
//! is refused with `invalid_settings` naming the field; a damaged or out-of-range file at start is
//! replaced by the defaults in memory (with a logged warning), never a reason not to start; a file
//! written before a setting existed gets that setting's default.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::StoreExt;

use clapay_core::{history, reminders};

use crate::error::CommandError;

/// The key under which the settings object is stored.
const STORE_KEY: &str = "settings";

/// The allowed clipboard delays, in seconds.
pub const CLIPBOARD_CLEAR_SECS: std::ops::RangeInclusive<u32> = 5..=300;

/// The duration presets of the create form, in days (`None` is "no expiry").
pub const DURATION_PRESETS: [u32; 5] = [7, 30, 60, 90, 365];

/// The language of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Follow the operating system's locale.
    System,
    /// English.
    En,
    /// French.
    Fr,
}

/// The colour theme of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Follow the operating system.
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// All the user's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Seconds after which a copied secret is cleared from the clipboard.
    pub clipboard_clear_secs: u32,
    /// The duration preselected in the create form; `None` is "no expiry".
    pub default_duration_days: Option<u32>,
    /// The UI language.
    pub language: Language,
    /// The UI theme.
    pub theme: Theme,
    /// Desktop notifications before a token expires.
    #[serde(default = "default_true")]
    pub reminders: bool,
    /// When to remind, in days before expiry (0: at expiry).
    #[serde(default = "default_thresholds")]
    pub reminder_days: Vec<u32>,
    /// How long the history keeps usage events (checks allowed or denied), in days; state
    /// changes are kept forever.
    #[serde(default = "default_retention")]
    pub usage_retention_days: u32,
}

fn default_true() -> bool {
    true
}

fn default_thresholds() -> Vec<u32> {
    reminders::DEFAULT_THRESHOLDS.to_vec()
}

fn default_retention() -> u32 {
    history::RETENTION_DEFAULT_DAYS
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            clipboard_clear_secs: 30,
            default_duration_days: Some(30),
            language: Language::System,
            theme: Theme::System,
            reminders: true,
            reminder_days: default_thresholds(),
            usage_retention_days: default_retention(),
        }
    }
}

impl Settings {
    /// Checks every value against its range.
    pub fn validate(&self) -> Result<(), CommandError> {
        if !CLIPBOARD_CLEAR_SECS.contains(&self.clipboard_clear_secs) {
            return Err(CommandError::invalid_settings(
                "clipboard_clear_secs",
                format!(
                    "The clipboard delay must be between {} and {} seconds",
                    CLIPBOARD_CLEAR_SECS.start(),
                    CLIPBOARD_CLEAR_SECS.end()
                ),
            ));
        }
        if let Some(days) = self.default_duration_days {
            if !DURATION_PRESETS.contains(&days) {
                return Err(CommandError::invalid_settings(
                    "default_duration_days",
                    "The default duration must be 7, 30, 60, 90 or 365 days, or no expiry",
                ));
            }
        }
        if let Err(error) = reminders::validate_thresholds(&self.reminder_days) {
            return Err(CommandError::invalid_settings(
                "reminder_days",
                CommandError::from(error).message,
            ));
        }
        let retention = history::RETENTION_MIN_DAYS..=history::RETENTION_MAX_DAYS;
        if !retention.contains(&self.usage_retention_days) {
            return Err(CommandError::invalid_settings(
                "usage_retention_days",
                format!(
                    "Usage history is kept {} to {} days",
                    retention.start(),
                    retention.end()
                ),
            ));
        }
        Ok(())
    }
}

/// Reads the settings from the store at `path`, falling back to the defaults.
pub fn load<R: Runtime>(app: &AppHandle<R>, path: &Path) -> Settings {
    let store = match app.store(path) {
        Ok(store) => store,
        Err(error) => {
            log::warn!(
                "settings file {} unreadable, using defaults: {error}",
                path.display()
            );
            return Settings::default();
        }
    };
    let Some(value) = store.get(STORE_KEY) else {
        return Settings::default();
    };
    match serde_json::from_value::<Settings>(value) {
        Ok(settings) if settings.validate().is_ok() => settings,
        Ok(_) | Err(_) => {
            log::warn!("settings in {} are invalid, using defaults", path.display());
            Settings::default()
        }
    }
}

/// Validates and writes the settings to the store at `path`.
pub fn save<R: Runtime>(
    app: &AppHandle<R>,
    path: &Path,
    settings: &Settings,
) -> Result<(), CommandError> {
    settings.validate()?;
    let store = app.store(path).map_err(|error| {
        CommandError::internal(format!("The settings file cannot be opened: {error}"))
    })?;
    let value = serde_json::to_value(settings).map_err(|error| {
        CommandError::internal(format!("The settings cannot be encoded: {error}"))
    })?;
    store.set(STORE_KEY, value);
    store.save().map_err(|error| {
        CommandError::internal(format!("The settings file cannot be written: {error}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract() {
        let defaults = Settings::default();
        assert_eq!(
            defaults.clipboard_clear_secs, 30,
            "docs/ipc.md: default 30 s"
        );
        assert_eq!(defaults.default_duration_days, Some(30));
        assert!(defaults.validate().is_ok(), "the defaults must be valid");
        let json = serde_json::to_value(&defaults).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"clipboard_clear_secs": 30, "default_duration_days": 30,
                               "language": "system", "theme": "system", "reminders": true,
                               "reminder_days": [7, 1, 0], "usage_retention_days": 365}),
            "the shape is the one the UI reads"
        );
    }

    #[test]
    fn out_of_range_values_name_their_field() {
        let too_short = Settings {
            clipboard_clear_secs: 4,
            ..Settings::default()
        };
        assert_eq!(
            too_short.validate().map_err(|e| (e.kind, e.field)),
            Err(("invalid_settings", Some("clipboard_clear_secs")))
        );
        let too_long = Settings {
            clipboard_clear_secs: 301,
            ..Settings::default()
        };
        assert!(too_long.validate().is_err(), "300 s is the maximum");
        let odd_duration = Settings {
            default_duration_days: Some(45),
            ..Settings::default()
        };
        assert_eq!(
            odd_duration.validate().map_err(|e| e.field),
            Err(Some("default_duration_days")),
            "only the presets are allowed"
        );
        let no_expiry = Settings {
            default_duration_days: None,
            clipboard_clear_secs: 5,
            ..Settings::default()
        };
        assert!(
            no_expiry.validate().is_ok(),
            "no expiry and the 5 s minimum are valid"
        );
        for (settings, field) in [
            (
                Settings {
                    reminder_days: vec![],
                    ..Settings::default()
                },
                "reminder_days",
            ),
            (
                Settings {
                    reminder_days: vec![400],
                    ..Settings::default()
                },
                "reminder_days",
            ),
            (
                Settings {
                    usage_retention_days: 7,
                    ..Settings::default()
                },
                "usage_retention_days",
            ),
        ] {
            assert_eq!(settings.validate().map_err(|e| e.field), Err(Some(field)));
        }
    }

    #[test]
    fn a_file_from_before_the_reminders_gets_their_defaults() {
        let old: Settings = serde_json::from_value(serde_json::json!({
            "clipboard_clear_secs": 10, "default_duration_days": 90,
            "language": "fr", "theme": "dark"
        }))
        .expect("an older file still loads");
        assert_eq!(old.clipboard_clear_secs, 10);
        assert!(old.reminders);
        assert_eq!(old.reminder_days, [7, 1, 0]);
        assert_eq!(old.usage_retention_days, 365);
    }
}
