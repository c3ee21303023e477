// Form field building blocks with labels, hints and errors linked by aria-describedby.
import { h } from '../dom.js';

/**
 * A labelled control. `name` keys the error element `error-<name>` (the API error's `field`).
 * Returns { element, control, setError, replaceControl }. An error goes as soon as the control is
 * edited: it described the value the merchant has just changed.
 */
export function field({ name, label, control, hint = null, optional = null }) {
  const errorId = `error-${name}`;
  const hintId = hint ? `hint-${name}` : null;
  const errorEl = h('p', { class: 'field-error', id: errorId, testid: errorId, hidden: true });
  const clearError = () => setFieldError(result.control, errorEl, null);
  const wire = (target) => {
    target.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
    target.addEventListener('input', clearError);
    target.addEventListener('change', clearError);
  };
  wire(control);
  const element = h('div', { class: 'field' },
    h('label', { class: 'label', for: control.id }, label, optional ? h('span', { class: 'optional' }, optional) : null),
    control,
    hint ? h('p', { class: 'hint-text', id: hintId }, hint) : null,
    errorEl);
  const result = {
    element,
    control,
    setError: (message) => setFieldError(result.control, errorEl, message),
    /** Puts `fresh` (with the same id) in the control's place. */
    replaceControl(fresh) {
      wire(fresh);
      result.control.replaceWith(fresh);
      result.control = fresh;
    },
  };
  return result;
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
