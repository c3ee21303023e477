// Screen 8: settings, catalog import and app information.
import * as api from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatNumber, formatDateTime } from '../i18n.js';
import { errorText } from '../format.js';
import { state } from '../state.js';
import { toast } from '../toast.js';
import { field } from './fields.js';
import { openRestoreModal } from './restoreModal.js';
import { openCatalogImportModal } from './catalogImportModal.js';

const DURATIONS = ['7', '30', '60', '90', '365', 'never'];
// The ranges the shell checks again (settings.rs; core reminders.rs and history.rs).
const REMINDER_MAX_DAYS = 90;
const REMINDERS_MAX = 5;
const RETENTION_MIN_DAYS = 30;
const RETENTION_MAX_DAYS = 3650;

/**
 * The reminder thresholds typed as days separated by commas ("7, 1, 0"): { days } from the farthest
 * to the nearest, each once, or { error } saying what to type.
 */
function parseThresholds(text) {
  const parts = String(text).split(/[\s,;]+/).filter(Boolean);
  if (parts.length === 0) return { error: t('settings.reminderDaysEmpty') };
  const days = [];
  for (const part of parts) {
    if (!/^\d{1,4}$/.test(part)) return { error: t('settings.reminderDaysNotNumber', { text: part }) };
    const value = Number(part);
    if (value > REMINDER_MAX_DAYS) return { error: t('settings.reminderDaysTooFar', { days: value, max: REMINDER_MAX_DAYS }) };
    if (!days.includes(value)) days.push(value);
  }
  if (days.length > REMINDERS_MAX) return { error: t('settings.reminderDaysTooMany', { max: REMINDERS_MAX }) };
  return { days: days.sort((a, b) => b - a) };
}
// The catalog file limit of catalog.rs (MAX_CATALOG_BYTES): a larger file is refused before it is read.
const MAX_CATALOG_BYTES = 1024 * 1024;

const options = (values, current, label) =>
  values.map((value) => h('option', { value, selected: value === current }, label(value)));

export function mount(container, { applySettings, databaseReplaced }) {
  const s = state.settings;
  const clipboard = field({
    name: 'clipboard_clear_secs',
    label: t('settings.clipboard'),
    hint: t('settings.clipboardHint'),
    control: h('input', {
      id: 'settings-clipboard', class: 'input input-number', type: 'number', min: 5, max: 300, step: 1,
      value: String(s.clipboard_clear_secs), testid: 'settings-clipboard-secs',
    }),
  });
  const duration = field({
    name: 'default_duration_days',
    label: t('settings.defaultDuration'),
    control: h('select', { id: 'settings-duration', class: 'select', testid: 'settings-default-duration' },
      options(DURATIONS, s.default_duration_days === null ? 'never' : String(s.default_duration_days),
        (v) => (v === 'never' ? t('expiry.never') : v === '365' ? t('expiry.year') : t('expiry.days', { count: Number(v) })))),
  });
  const language = field({
    name: 'language',
    label: t('settings.language'),
    control: h('select', { id: 'settings-language', class: 'select', testid: 'settings-language' },
      options(['system', 'en', 'fr'], s.language, (v) => t(`settings.language.${v}`))),
  });
  const theme = field({
    name: 'theme',
    label: t('settings.theme'),
    control: h('select', { id: 'settings-theme', class: 'select', testid: 'settings-theme' },
      options(['system', 'light', 'dark'], s.theme, (v) => t(`settings.theme.${v}`))),
  });
  const remindersBox = h('input', {
    type: 'checkbox', id: 'settings-reminders', checked: s.reminders !== false, testid: 'settings-reminders',
    'aria-describedby': 'hint-reminders', onChange: () => { reminderDays.control.disabled = !remindersBox.checked; },
  });
  const reminderDays = field({
    name: 'reminder_days',
    label: t('settings.reminderDays'),
    hint: t('settings.reminderDaysHint', { max: REMINDER_MAX_DAYS }),
    control: h('input', {
      id: 'settings-reminder-days', class: 'input input-days', type: 'text', inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false',
      value: (s.reminder_days || [7, 1, 0]).join(', '), testid: 'settings-reminder-days', disabled: s.reminders === false,
    }),
  });
  const retention = field({
    name: 'usage_retention_days',
    label: t('settings.retention'),
    hint: t('settings.retentionHint', { min: formatNumber(RETENTION_MIN_DAYS), max: formatNumber(RETENTION_MAX_DAYS) }),
    control: h('input', {
      id: 'settings-retention', class: 'input input-number', type: 'number', min: RETENTION_MIN_DAYS, max: RETENTION_MAX_DAYS, step: 1,
      value: String(s.usage_retention_days ?? 365), testid: 'settings-retention-days',
    }),
  });
  const formError = h('div', { class: 'alert alert-error', role: 'alert', testid: 'settings-error', hidden: true });
  const fields = {
    clipboard_clear_secs: clipboard, default_duration_days: duration, language, theme,
    reminder_days: reminderDays, usage_retention_days: retention,
  };

  async function save(event) {
    event.preventDefault();
    Object.values(fields).forEach((f) => f.setError(null));
    formError.hidden = true;
    // Every field is checked before the first error is focused, so all the wrong ones say so at once.
    const invalid = [];
    const seconds = Number(clipboard.control.value);
    if (!Number.isInteger(seconds) || seconds < 5 || seconds > 300) {
      clipboard.setError(t('settings.clipboardError'));
      invalid.push(clipboard);
    }
    const thresholds = parseThresholds(reminderDays.control.value);
    if (thresholds.error) {
      reminderDays.setError(thresholds.error);
      invalid.push(reminderDays);
    }
    const keepDays = Number(retention.control.value);
    if (retention.control.value.trim() === '' || !Number.isInteger(keepDays) || keepDays < RETENTION_MIN_DAYS || keepDays > RETENTION_MAX_DAYS) {
      retention.setError(t('settings.retentionError', { min: formatNumber(RETENTION_MIN_DAYS), max: formatNumber(RETENTION_MAX_DAYS) }));
      invalid.push(retention);
    }
    if (invalid.length > 0) {
      // A disabled field cannot take focus: the thresholds are enabled to be corrected.
      invalid[0].control.disabled = false;
      invalid[0].control.focus();
      return;
    }
    // Every setting is sent: the shell stores the whole object, and one left out would fall back
    // to its default.
    const settings = {
      clipboard_clear_secs: seconds,
      default_duration_days: duration.control.value === 'never' ? null : Number(duration.control.value),
      language: language.control.value,
      theme: theme.control.value,
      reminders: remindersBox.checked,
      reminder_days: thresholds.days,
      usage_retention_days: keepDays,
    };
    try {
      const saved = await api.updateSettings({ settings });
      await applySettings(saved);
      toast(t('settings.saved'));
      document.querySelector('[data-testid="settings-save"]')?.focus();
    } catch (error) {
      const target = fields[error.field];
      if (target) {
        target.setError(errorText(error));
        target.control.disabled = false;
        target.control.focus();
      } else { formError.hidden = false; formError.textContent = errorText(error); }
    }
  }

  const fileInput = h('input', {
    type: 'file', id: 'settings-catalog-file', accept: '.json,application/json', class: 'file-input',
    testid: 'settings-import-catalog', 'aria-describedby': 'hint-catalog error-catalog', onChange: importFile,
  });
  const catalogError = h('p', { class: 'field-error', id: 'error-catalog', testid: 'error-catalog', hidden: true });

  // The file is validated and compared with the catalog in use by Rust (preview_catalog), then the
  // dialog shows what changes; nothing is applied before its Apply.
  function importFile() {
    const file = fileInput.files && fileInput.files[0];
    if (!file) return;
    catalogError.hidden = true;
    const fail = (text) => {
      catalogError.hidden = false;
      catalogError.textContent = text;
      fileInput.value = '';
    };
    if (file.size > MAX_CATALOG_BYTES) {
      fail(t('settings.catalogTooLarge'));
      return;
    }
    const reader = new FileReader();
    reader.onload = async () => {
      const json = String(reader.result);
      let preview;
      try {
        preview = await api.previewCatalog({ json });
      } catch (error) {
        fail(error.kind === 'invalid_catalog' ? t('settings.catalogInvalid', { message: error.message }) : errorText(error));
        return;
      }
      fileInput.value = '';
      openCatalogImportModal(json, preview, {
        onApplied: async (catalog) => {
          state.catalog = catalog;
          state.info = { ...state.info, catalog_version: catalog.version };
          await applySettings(state.settings);
          toast(t('settings.catalogImported', { version: catalog.version }));
        },
      });
    };
    reader.onerror = () => fail(t('settings.catalogUnreadable'));
    reader.readAsText(file);
  }

  const backupError = h('div', { class: 'alert alert-error', role: 'alert', testid: 'backup-error', hidden: true });
  const backupList = h('ul', { class: 'backup-list', testid: 'backup-list', 'aria-label': t('backups.listLabel') });
  let alive = true;

  async function loadBackups() {
    try {
      const backups = await api.listBackups();
      if (!alive) return;
      replaceChildren(backupList, backups.length === 0
        ? h('li', { class: 'muted', testid: 'backup-empty' }, t('backups.empty'))
        : backups.map((backup) => {
          const date = formatDateTime(backup.at);
          return h('li', { class: 'backup-row', testid: 'backup-row', data: { file: backup.file } },
            h('span', { class: 'backup-date', testid: 'backup-date' }, date),
            h('span', { class: 'muted mono' }, backup.file),
            h('span', { class: 'muted' }, t('backups.size', { size: formatNumber(Math.max(1, Math.round(backup.size / 1024))) })),
            h('button', {
              type: 'button', class: 'btn btn-sm', testid: 'backup-restore', 'aria-label': t('backups.restoreNamed', { date }),
              onClick: () => openRestoreModal(backup, {
                onRestored: async () => { await databaseReplaced(); await loadBackups(); },
              }),
            }, t('backups.restore')));
        }));
    } catch (error) {
      backupError.hidden = false;
      backupError.textContent = errorText(error);
    }
  }

  async function backupNow(event) {
    const button = event.currentTarget;
    button.disabled = true;
    backupError.hidden = true;
    try {
      await api.backupNow();
      toast(t('backups.done'));
      await loadBackups();
    } catch (error) {
      backupError.hidden = false;
      backupError.textContent = errorText(error);
    } finally {
      button.disabled = false;
    }
  }

  const countries = state.catalog.countries;
  const operatorCount = countries.reduce((sum, c) => sum + c.operators.length, 0);
  const aboutItem = (label, value, testid, mono = false) =>
    [h('dt', {}, label), h('dd', { testid, class: mono ? 'mono selectable' : null }, value)];

  replaceChildren(container, h('div', { class: 'narrow' },
    h('header', { class: 'page-header' },
      h('div', {},
        h('h1', { class: 'page-title' }, t('settings.title')),
        h('p', { class: 'page-subtitle' }, t('settings.subtitle')))),
    h('form', { class: 'card form-card settings-form', testid: 'settings-form', novalidate: true, onSubmit: save },
      h('h2', { class: 'section-title' }, t('settings.preferences')),
      h('div', { class: 'settings-grid' }, clipboard.element, duration.element, language.element, theme.element),
      h('h3', { class: 'settings-subtitle' }, t('settings.remindersTitle')),
      h('div', { class: 'field' },
        h('div', { class: 'check' }, remindersBox, h('label', { for: 'settings-reminders' }, t('settings.reminders'))),
        h('p', { class: 'hint-text', id: 'hint-reminders' }, t('settings.remindersHint'))),
      h('div', { class: 'settings-grid' }, reminderDays.element, retention.element),
      formError,
      h('div', { class: 'form-footer form-footer-end' },
        h('button', { type: 'submit', class: 'btn btn-primary', testid: 'settings-save' }, t('common.save')))),
    h('section', { class: 'card', 'aria-labelledby': 'catalog-title' },
      h('h2', { id: 'catalog-title', class: 'section-title' }, t('settings.catalog')),
      h('p', { class: 'section-help' }, t('settings.catalogSummary', {
        version: state.catalog.version, countries: formatNumber(countries.length), operators: formatNumber(operatorCount),
      })),
      h('div', { class: 'file-field' },
        fileInput,
        h('label', { for: 'settings-catalog-file', class: 'btn' }, icon('upload'), t('settings.importCatalog')),
        h('p', { class: 'hint-text', id: 'hint-catalog' }, t('settings.importHint'))),
      catalogError),
    h('section', { class: 'card', 'aria-labelledby': 'backups-title', testid: 'backups-section' },
      h('h2', { id: 'backups-title', class: 'section-title' }, t('backups.title')),
      h('p', { class: 'section-help' }, t('backups.help', { count: formatNumber(7) })),
      h('div', { class: 'form-footer' },
        h('button', { type: 'button', class: 'btn', testid: 'backup-now', onClick: backupNow }, icon('clock'), t('backups.now'))),
      backupError,
      backupList),
    h('section', { class: 'card', 'aria-labelledby': 'about-title' },
      h('h2', { id: 'about-title', class: 'section-title' }, t('settings.about')),
      h('dl', { class: 'detail-grid' },
        aboutItem(t('settings.appVersion'), state.info.version, 'settings-app-version'),
        aboutItem(t('settings.catalogVersion'), state.info.catalog_version, 'settings-catalog-version'),
        aboutItem(t('settings.dbPath'), state.info.db_path, 'settings-db-path', true)))));
  loadBackups();
  return () => { alive = false; };
}
