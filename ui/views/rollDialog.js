// "Roll…": replaces a token by a successor with a new secret, the old secret working on for a grace
// period the merchant chooses (none when it has leaked). The successor's secret is then shown once
// in the same dialog as after a create.
import * as api from '../api.js';
import { h, uid } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatDateTime, formatRelative } from '../i18n.js';
import { errorText } from '../format.js';
import { openModal } from './modal.js';
import { openSecretDialog } from './secretDialog.js';

// The graces the core accepts (lifecycle.rs, Grace), with their length; 24 hours is the default.
const GRACES = [
  { code: 'now', millis: 0 },
  { code: '1h', millis: 3_600_000 },
  { code: '24h', millis: 86_400_000 },
  { code: '7d', millis: 7 * 86_400_000 },
];
const DEFAULT_GRACE = '24h';

/**
 * `token` is a summary or details of a token that can be rolled (not revoked, not rolled).
 * `onRolled({ previous, token })` runs once the new secret's dialog is closed.
 */
export function openRollDialog(token, { onRolled }) {
  let grace = DEFAULT_GRACE;
  const group = uid('roll-grace');
  const summary = h('p', { class: 'roll-summary', testid: 'roll-summary', 'aria-live': 'polite' });
  const errorEl = h('div', { class: 'alert alert-error', role: 'alert', testid: 'roll-error', hidden: true });
  const confirm = h('button', { type: 'button', class: 'btn btn-primary', testid: 'confirm-roll', onClick: roll },
    icon('roll'), t('roll.confirm'));
  const cancel = h('button', { type: 'button', class: 'btn', testid: 'cancel-roll', onClick: () => modal.close() },
    t('common.cancel'));

  const choices = GRACES.map(({ code }) => {
    const id = uid('roll-grace-option');
    return h('div', { class: 'check roll-choice' },
      h('input', {
        type: 'radio', name: group, id, value: code, checked: code === grace, testid: `roll-grace-${code}`,
        'data-autofocus': code === grace ? '' : null,
        onChange: () => { grace = code; update(); },
      }),
      h('label', { for: id }, t(`roll.grace.${code}`)));
  });

  /** When the old secret stops working with the grace chosen: never later than its expiry. */
  function graceEnd() {
    const chosen = GRACES.find((g) => g.code === grace);
    const end = Date.now() + chosen.millis;
    const expiry = token.expires_at ? Date.parse(token.expires_at) : Infinity;
    return { end: Math.min(end, expiry), cutByExpiry: expiry < end };
  }

  function update() {
    confirm.className = grace === 'now' ? 'btn btn-danger' : 'btn btn-primary';
    if (grace === 'now') {
      summary.textContent = t('roll.summaryNow', { name: token.name });
      delete summary.dataset.iso;
      return;
    }
    const { end, cutByExpiry } = graceEnd();
    const iso = new Date(end).toISOString();
    summary.dataset.iso = iso;
    summary.textContent = t(cutByExpiry ? 'roll.summaryUntilExpiry' : 'roll.summaryUntil', {
      name: token.name, date: formatDateTime(iso), relative: formatRelative(iso),
    });
  }

  async function roll() {
    confirm.disabled = true;
    cancel.disabled = true;
    errorEl.hidden = true;
    let result;
    try {
      result = await api.rollToken({ id: token.id, grace });
    } catch (error) {
      errorEl.hidden = false;
      errorEl.textContent = errorText(error);
      confirm.disabled = false;
      cancel.disabled = false;
      confirm.focus();
      return;
    }
    modal.close();
    openSecretDialog(result.token, result.secret, { onDone: () => onRolled(result) });
  }

  const numbers = token.number_count ?? token.numbers?.length ?? 0;
  const modal = openModal({
    title: t('roll.title', { name: token.name }),
    testid: 'roll-dialog',
    size: 'md',
    body: [
      h('p', {}, t('roll.intro', { name: token.name })),
      numbers > 0 ? h('p', { class: 'muted', testid: 'roll-numbers' }, t('roll.numbers', { count: numbers })) : null,
      h('fieldset', { class: 'fieldset roll-graces' },
        h('legend', { class: 'label' }, t('roll.graceLabel')),
        choices),
      summary,
      errorEl,
    ],
    footer: [cancel, confirm],
  });
  update();
}
