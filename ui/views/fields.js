// Form field building blocks with labels, hints and errors linked by aria-describedby.
import { h } from '../dom.js';

/**
 * A labelled control. `name` keys the error element `error-<name>` (the API error's `field`).
 * Returns { element, control, setError }.
 */
export function field({ name, label, control, hint = null, optional = null }) {
  const errorId = `error-${name}`;
  const hintId = hint ? `hint-${name}` : null;
  const errorEl = h('p', { class: 'field-error', id: errorId, testid: errorId, hidden: true });
  control.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  const element = h('div', { class: 'field' },
    h('label', { class: 'label', for: control.id }, label, optional ? h('span', { class: 'optional' }, optional) : null),
    control,
    hint ? h('p', { class: 'hint-text', id: hintId }, hint) : null,
    errorEl);
  return { element, control, setError: (message) => setFieldError(control, errorEl, message) };
}

export function setFieldError(control, errorEl, message) {
  errorEl.hidden = !message;
  errorEl.textContent = message || '';
  if (message) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}

/** "YYYY-MM-DD" of a local date, `days` from today. */
export function localDate(days = 0) {
  const date = new Date();
  date.setDate(date.getDate() + days);
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The local end of a picked calendar day, as the backend reads a date expiry. */
export function endOfLocalDay(ymd) {
  const [y, m, d] = ymd.split('-').map(Number);
  return new Date(y, m - 1, d, 23, 59, 59).toISOString();
}
