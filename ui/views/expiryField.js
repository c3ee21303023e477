// The expiry chooser: day presets, a custom date, or no expiry (with a visible warning).
import { h, uid } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatDay } from '../i18n.js';
import { localDate, endOfLocalDay, setFieldError } from './fields.js';

const PRESETS = [7, 30, 60, 90, 365];

/** `initial` is an Expiry ({kind:"days"|"date"|"never"}). Returns { element, read, setError }. */
export function createExpiryField({ initial }) {
  const group = uid('expiry');
  let choice = initial.kind === 'never' ? 'never'
    : initial.kind === 'date' ? 'custom'
      : PRESETS.includes(initial.days) ? String(initial.days) : 'custom';
  const errorEl = h('p', { class: 'field-error', id: 'error-expiry', testid: 'error-expiry', hidden: true });
  const dateInput = h('input', {
    type: 'date',
    id: uid('expiry-date'),
    class: 'input input-date',
    min: localDate(1),
    value: initial.kind === 'date' ? initial.date : (initial.kind === 'days' && choice === 'custom' ? localDate(initial.days) : ''),
    testid: 'field-expiry-date',
    'aria-describedby': 'error-expiry',
    onInput: () => update(),
  });
  const dateField = h('div', { class: 'field field-inline' },
    h('label', { for: dateInput.id, class: 'label' }, t('expiry.customDate')), dateInput);
  const summary = h('p', { class: 'hint-text', testid: 'expiry-summary', 'aria-live': 'polite' });
  const warning = h('div', { class: 'alert alert-warning', testid: 'no-expiry-warning', role: 'note' },
    icon('alert'), h('span', {}, t('expiry.neverWarning')));

  const option = (value, label) => {
    const id = uid('expiry-option');
    return h('span', { class: 'segment' },
      h('input', {
        type: 'radio', name: group, id, value, checked: choice === value, testid: `duration-${value}`,
        onChange: () => { choice = value; update(); if (value === 'custom') dateInput.focus(); },
      }),
      h('label', { for: id }, label));
  };

  function update() {
    dateField.hidden = choice !== 'custom';
    warning.hidden = choice !== 'never';
    setFieldError(dateInput, errorEl, null);
    if (choice === 'never') summary.textContent = '';
    else if (choice === 'custom') {
      summary.textContent = dateInput.value ? t('expiry.expiresOn', { date: formatDay(endOfLocalDay(dateInput.value)) }) : '';
    } else {
      summary.textContent = t('expiry.expiresOn', { date: formatDay(endOfLocalDay(localDate(Number(choice)))) });
    }
  }

  /** The Expiry to send, or null after showing why the choice is not valid. */
  function read() {
    if (choice === 'never') return { kind: 'never' };
    if (choice !== 'custom') return { kind: 'days', days: Number(choice) };
    if (!dateInput.value) return fail(t('expiry.errorRequired'));
    if (dateInput.value <= localDate(0)) return fail(t('expiry.errorPast'));
    return { kind: 'date', date: dateInput.value };
  }

  function fail(message) {
    setError(message);
    dateInput.focus();
    return null;
  }

  function setError(message) {
    if (message && choice !== 'custom') {
      errorEl.hidden = false;
      errorEl.textContent = message;
      return;
    }
    setFieldError(dateInput, errorEl, message);
  }

  const element = h('fieldset', { class: 'field fieldset', testid: 'field-expiry' },
    h('legend', { class: 'label' }, t('expiry.label')),
    h('div', { class: 'segmented' },
      PRESETS.map((d) => option(String(d), d === 365 ? t('expiry.year') : t('expiry.days', { count: d }))),
      option('custom', t('expiry.custom')),
      option('never', t('expiry.never'))),
    dateField,
    summary,
    warning,
    errorEl);
  update();
  return { element, read, setError };
}
