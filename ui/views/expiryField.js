// The expiry chooser: day presets, a custom date, or no expiry (with a visible warning).
//
// What the summary says is what will be stored. A preset is a number of days counted from the
// moment the token is created (or the change saved): the summary says so, and names the day that
// gives today. A custom date is typed as YYYY-MM-DD (a text field: the date control of WebKitGTK
// turned typed digits into other years) and read strictly, or refused saying what to type; the token
// works through that day and expires when the next one starts, local time, as the core stores it,
// and the summary gives that exact instant (`data-iso`).
import { h, uid, append } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatDay, formatDateTime } from '../i18n.js';
import { localDate, setFieldError } from './fields.js';

const PRESETS = [7, 30, 60, 90, 365];
// The core refuses an expiry more than ten years ahead (token.rs, DAYS_MAX).
const MAX_DAYS = 3650;

/**
 * A typed date: { ymd } for a real calendar day written YYYY-MM-DD (one-digit month and day
 * accepted), { error } otherwise.
 */
export function parseDate(text) {
  const match = String(text).trim().match(/^(\d{4})-(\d{1,2})-(\d{1,2})$/);
  if (!match) return { error: 'format' };
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(year, month - 1, day);
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) {
    return { error: 'format' };
  }
  const pad = (n) => String(n).padStart(2, '0');
  return { ymd: `${year}-${pad(month)}-${pad(day)}` };
}

/** The instant a token valid through local day `ymd` expires: the start of the next local day. */
export function expiryOfDay(ymd) {
  const [y, m, d] = ymd.split('-').map(Number);
  return new Date(y, m - 1, d + 1, 0, 0, 0);
}

/**
 * `initial` is an Expiry ({kind:"days"|"date"|"at"|"never"}); `counted` says where preset days count
 * from: 'created' (a new token) or 'saved' (a change to an existing one). An `at` (a duplicate of
 * a token whose lifetime is not whole days: the same lifetime from now) is offered as a choice of
 * its own, "Same as the original", that keeps that exact instant.
 * Returns { element, read, setError }.
 */
export function createExpiryField({ initial, counted = 'created' }) {
  const group = uid('expiry');
  const keptAt = initial.kind === 'at' ? initial.at : null;
  let choice = initial.kind === 'never' ? 'never'
    : initial.kind === 'at' ? 'at'
      : initial.kind === 'date' ? 'custom'
        : PRESETS.includes(initial.days) ? String(initial.days) : 'custom';
  const errorEl = h('p', { class: 'field-error', id: 'error-expiry', testid: 'error-expiry', hidden: true });
  const hintId = uid('expiry-hint');
  const dateInput = h('input', {
    type: 'text',
    id: uid('expiry-date'),
    class: 'input input-date mono',
    inputmode: 'numeric',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: t('expiry.datePlaceholder'),
    value: initial.kind === 'date' ? initial.date : (initial.kind === 'days' && choice === 'custom' ? localDate(initial.days) : ''),
    testid: 'field-expiry-date',
    'aria-describedby': `${hintId} error-expiry`,
    onInput: () => update(),
    // A finished entry (Tab, Enter, a click elsewhere) is checked at once; while typing, only
    // the summary follows.
    onChange: () => { if (dateInput.value.trim()) read({ focus: false }); },
  });
  const dateField = h('div', { class: 'field field-inline' },
    h('label', { for: dateInput.id, class: 'label' }, t('expiry.customDate')), dateInput,
    h('p', { class: 'hint-text', id: hintId }, t('expiry.dateHint', { example: localDate(30) })));
  const summary = h('p', { class: 'hint-text', testid: 'expiry-summary', 'aria-live': 'polite' });
  const warning = h('div', { class: 'alert alert-warning', testid: 'no-expiry-warning', role: 'note' },
    icon('alert'), h('span', {}, t('expiry.neverWarning')));

  const segmented = h('div', { class: 'segmented' });
  // The focus ring of the choices shows for the keyboard: WebKit does not match :focus-visible on a
  // radio the arrow keys moved to, so the group marks itself while the keyboard is used in it.
  segmented.addEventListener('keydown', () => { segmented.dataset.keyboard = 'true'; });
  segmented.addEventListener('pointerdown', () => { delete segmented.dataset.keyboard; });

  const option = (value, label) => {
    const id = uid('expiry-option');
    return h('span', { class: 'segment' },
      h('input', {
        type: 'radio', name: group, id, value, checked: choice === value, testid: `duration-${value}`,
        onChange: () => { choice = value; update(); if (value === 'custom') dateInput.focus(); },
      }),
      h('label', { for: id }, label));
  };

  function setSummary(text, iso = null) {
    summary.textContent = text;
    if (iso) summary.dataset.iso = iso;
    else delete summary.dataset.iso;
  }

  function update() {
    dateField.hidden = choice !== 'custom';
    warning.hidden = choice !== 'never';
    setFieldError(dateInput, errorEl, null);
    if (choice === 'never') setSummary('');
    else if (choice === 'at') setSummary(t('expiry.keptAt', { exact: formatDateTime(keptAt) }), keptAt);
    else if (choice === 'custom') {
      const parsed = parseDate(dateInput.value);
      if (parsed.ymd && parsed.ymd > localDate(0) && parsed.ymd <= localDate(MAX_DAYS)) {
        const expires = expiryOfDay(parsed.ymd);
        setSummary(t('expiry.throughDay', { day: formatDay(new Date(expires.getTime() - 1)), exact: formatDateTime(expires) }),
          expires.toISOString());
      } else {
        setSummary('');
      }
    } else {
      const days = Number(choice);
      const key = counted === 'saved' ? 'expiry.afterDaysSaved' : 'expiry.afterDaysCreated';
      setSummary(t(key, { count: days, date: formatDay(new Date(Date.now() + days * 86_400_000)) }));
    }
  }

  /** The Expiry to send, or null after showing why the choice is not valid. */
  function read({ focus = true } = {}) {
    if (choice === 'never') return { kind: 'never' };
    if (choice === 'at') return { kind: 'at', at: keptAt };
    if (choice !== 'custom') return { kind: 'days', days: Number(choice) };
    const fail = (message) => {
      setError(message);
      setSummary('');
      if (focus) dateInput.focus();
      return null;
    };
    if (!dateInput.value.trim()) return fail(t('expiry.errorRequired'));
    const parsed = parseDate(dateInput.value);
    if (parsed.error) return fail(t('expiry.errorFormat', { text: dateInput.value.trim(), example: localDate(30) }));
    if (parsed.ymd <= localDate(0)) return fail(t('expiry.errorPast', { text: parsed.ymd }));
    if (parsed.ymd > localDate(MAX_DAYS)) return fail(t('expiry.errorTooFar'));
    return { kind: 'date', date: parsed.ymd };
  }

  function setError(message) {
    if (message && choice !== 'custom') {
      errorEl.hidden = false;
      errorEl.textContent = message;
      return;
    }
    setFieldError(dateInput, errorEl, message);
  }

  append(segmented, [
    keptAt ? option('at', t('expiry.sameAsOriginal')) : null,
    PRESETS.map((d) => option(String(d), d === 365 ? t('expiry.year') : t('expiry.days', { count: d }))),
    option('custom', t('expiry.custom')),
    option('never', t('expiry.never'))]);
  const element = h('fieldset', { class: 'field fieldset', testid: 'field-expiry' },
    h('legend', { class: 'label' }, t('expiry.label')),
    segmented,
    dateField,
    summary,
    warning,
    errorEl);
  update();
  return { element, read, setError };
}
