// Screen 5: the whitelisted numbers of a token, per country of its composition.
import * as api from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatNumber } from '../i18n.js';
import { errorText, dateText } from '../format.js';
import { findCountry, countryLabel, countryName } from '../state.js';
import { toast } from '../toast.js';
import { openModal } from './modal.js';
import { field } from './fields.js';

/** The sentence for a number_taken error, naming the token that holds the number. */
export async function numberTakenText(error, country, phone) {
  if (error.kind !== 'number_taken') return errorText(error);
  try {
    const { taken_by: holder } = await api.checkPhone({ country, phone });
    if (holder) return t('numbers.takenBy', { name: holder.name, status: t(`status.${holder.status.toLowerCase()}`) });
  } catch {
    // Fall back to the backend's own sentence below.
  }
  return errorText(error);
}

export function openNumbersModal(id, { onChanged }) {
  let changed = false;
  const modal = openModal({
    title: t('numbers.title'),
    testid: 'numbers-dialog',
    size: 'lg',
    body: h('p', { class: 'muted', testid: 'modal-loading' }, t('common.loading')),
    footer: [h('button', { type: 'button', class: 'btn', testid: 'numbers-close-button', onClick: () => modal.close() }, t('common.close'))],
    onClose: () => { if (changed) onChanged(); },
  });
  api.getToken({ id }).then((token) => render(token), (error) => {
    replaceChildren(modal.body, h('div', { class: 'alert alert-error', role: 'alert' }, errorText(error)));
  });

  const countrySelect = h('select', { id: 'numbers-country', class: 'select', testid: 'field-number-country' });
  const phoneInput = h('input', {
    id: 'numbers-phone', class: 'input', type: 'tel', inputmode: 'tel', autocomplete: 'off', testid: 'field-phone',
    placeholder: t('numbers.phonePlaceholder'),
    onKeydown: (event) => { if (event.key === 'Enter') { event.preventDefault(); add(); } },
  });
  const phone = field({ name: 'phone', label: t('numbers.phone'), control: phoneInput });
  const addButton = h('button', { type: 'button', class: 'btn btn-primary', testid: 'add-number', onClick: add }, icon('plus'), t('numbers.add'));
  const listError = h('div', { class: 'alert alert-error', role: 'alert', testid: 'numbers-error', hidden: true });
  const groups = h('div', { class: 'number-groups' });
  let current = null;

  function render(token) {
    current = token;
    modal.dialog.querySelector('.modal-title').textContent = t('numbers.titleNamed', { name: token.name });
    const countries = token.composition.map((card) => card.country);
    const previous = countrySelect.value;
    replaceChildren(countrySelect, countries.map((iso) =>
      h('option', { value: iso, selected: iso === previous }, `${countryName(iso)} (${findCountry(iso)?.calling_code || ''})`)));
    replaceChildren(groups, countries.map((iso) => group(iso, token.numbers.filter((n) => n.country === iso))));
    if (!modal.body.contains(groups)) {
      const readOnly = token.status === 'REVOKED';
      replaceChildren(modal.body,
        h('p', { class: 'section-help' }, t('numbers.help')),
        readOnly ? h('p', { class: 'muted' }, t('numbers.revokedReadOnly')) : h('div', { class: 'add-number-row' },
          h('div', { class: 'field' }, h('label', { class: 'label', for: 'numbers-country' }, t('numbers.country')), countrySelect),
          phone.element,
          h('div', { class: 'field field-button' }, addButton)),
        listError,
        groups);
      if (!readOnly) countrySelect.focus();
    }
  }

  function group(iso, numbers) {
    const enabled = numbers.filter((n) => n.enabled).length;
    return h('section', { class: 'number-group', testid: 'numbers-country-group', 'data-country': iso },
      h('h3', { class: 'number-group-title' }, countryLabel(iso),
        h('span', { class: 'muted count-note' }, t('numbers.countNote', { count: numbers.length, enabled: formatNumber(enabled) }))),
      // Fail closed: a country whose numbers are all disabled accepts no phone at all.
      numbers.length > 0 && enabled === 0
        ? h('p', { class: 'alert alert-warning', testid: 'numbers-paused', role: 'status' }, t('numbers.pausedNote'))
        : null,
      numbers.length === 0
        ? h('p', { class: 'muted empty-line' }, t('numbers.noneForCountry'))
        : h('ul', { class: 'number-list' }, numbers.map(numberItem)));
  }

  /**
   * Asks below a number's row before a change that pauses its country (the last enabled number
   * disabled) or opens it to any phone (the last number removed); `run` makes the change.
   */
  function confirmBelow(item, message, confirmLabel, run) {
    item.parentElement.querySelector('[data-testid="numbers-confirm"]')?.remove();
    const cancel = h('button', { type: 'button', class: 'btn btn-sm', testid: 'numbers-confirm-cancel', onClick: () => { box.remove(); item.querySelector('button')?.focus(); } }, t('numbers.cancel'));
    const confirm = h('button', { type: 'button', class: 'btn btn-sm btn-danger', testid: 'numbers-confirm-button', onClick: run }, confirmLabel);
    const box = h('li', { class: 'alert alert-warning number-confirm', role: 'alertdialog', 'aria-label': message, testid: 'numbers-confirm' },
      h('span', {}, message), h('span', { class: 'number-actions' }, cancel, confirm));
    item.after(box);
    cancel.focus();
  }

  function numberItem(entry) {
    const readOnly = current.status === 'REVOKED';
    const sameCountry = current.numbers.filter((n) => n.country === entry.country);
    const lastEnabled = entry.enabled && sameCountry.filter((n) => n.enabled).length === 1;
    const last = sameCountry.length === 1;
    const country = countryName(entry.country);
    const toggle = () => mutate(() => api.setNumberEnabled({ id: current.id, number: entry.number, enabled: !entry.enabled }), entry.number, 'toggle-number');
    const remove = (confirmed) => mutate(() => api.removeNumber({ id: current.id, number: entry.number, confirmLiftRestriction: confirmed }), null, null);
    const item = h('li', { class: `number-item${entry.enabled ? '' : ' number-disabled'}`, testid: 'number-row', 'data-number': entry.number },
      h('span', { class: 'mono number-value', testid: 'number-value' }, entry.formatted),
      h('span', { class: `badge ${entry.enabled ? 'badge-enabled' : 'badge-disabled'}`, testid: 'number-status', 'data-enabled': String(entry.enabled) },
        h('span', { class: 'badge-dot', 'aria-hidden': 'true' }), entry.enabled ? t('numbers.enabled') : t('numbers.disabled')),
      h('span', { class: 'muted small' }, t('numbers.added'), ' ', dateText(entry.added_at)),
      readOnly ? null : h('span', { class: 'number-actions' },
        h('button', {
          type: 'button', class: 'btn btn-sm', testid: 'toggle-number', 'data-number': entry.number,
          'aria-label': t(entry.enabled ? 'numbers.disableNamed' : 'numbers.enableNamed', { number: entry.formatted }),
          onClick: () => (lastEnabled
            ? confirmBelow(item, t('numbers.confirmDisableLast', { country }), t('numbers.confirmDisableButton', { country }), toggle)
            : toggle()),
        }, icon('power', { size: 14 }), entry.enabled ? t('numbers.disable') : t('numbers.enable')),
        h('button', {
          type: 'button', class: 'btn btn-sm btn-danger-ghost', testid: 'remove-number', 'data-number': entry.number,
          'aria-label': t('numbers.removeNamed', { number: entry.formatted }),
          onClick: () => (last
            ? confirmBelow(item, t('numbers.confirmRemoveLast', { country }), t('numbers.confirmRemoveButton'), () => remove(true))
            : remove(false)),
        }, icon('trash', { size: 14 }), t('numbers.remove'))));
    return item;
  }

  /** Runs a change, re-renders and puts focus back on the same control (or the phone input). */
  async function mutate(action, number, testid) {
    listError.hidden = true;
    try {
      render(await action());
      changed = true;
      const again = number && groups.querySelector(`[data-testid="${testid}"][data-number="${CSS.escape(number)}"]`);
      (again || phoneInput).focus();
    } catch (error) {
      listError.hidden = false;
      listError.textContent = errorText(error);
    }
  }

  async function add() {
    const raw = phoneInput.value.trim();
    phone.setError(null);
    if (!raw) {
      phone.setError(t('numbers.errorRequired'));
      phoneInput.focus();
      return;
    }
    addButton.disabled = true;
    try {
      render(await api.addNumber({ id: current.id, country: countrySelect.value, phone: raw }));
      changed = true;
      phoneInput.value = '';
      toast(t('numbers.addedToast'));
    } catch (error) {
      phone.setError(await numberTakenText(error, countrySelect.value, raw));
    } finally {
      addButton.disabled = false;
      phoneInput.focus();
    }
  }
}
