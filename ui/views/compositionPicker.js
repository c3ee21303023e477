// "Add composition": pick a country (or all countries) and tick methods per operator.
import { h, replaceChildren, uid } from '../dom.js';
import { t } from '../i18n.js';
import { state, countryName, methodName } from '../state.js';
import { normalise, replaceCountry } from '../composition.js';
import { openModal } from './modal.js';

const ALL = '*';

// An operator's methods, each once. The catalog's `unverified_methods` is not more methods: it marks
// which of `methods` no public source confirms.
const offered = (operator) => operator.methods;

function sortedCountries() {
  return [...state.catalog.countries].sort((a, b) => countryName(a.iso).localeCompare(countryName(b.iso)));
}

function allMethods() {
  const codes = new Set();
  for (const country of state.catalog.countries) {
    for (const operator of country.operators) offered(operator).forEach((m) => codes.add(m));
  }
  return state.catalog.methods.map((m) => m.code).filter((code) => codes.has(code));
}

export function openCompositionPicker({ triples, country = '', onSave }) {
  const errorEl = h('p', { class: 'field-error', id: 'error-picker', testid: 'error-picker', hidden: true });
  const groups = h('div', { class: 'picker-groups', testid: 'picker-groups' });
  const select = h('select', {
    id: 'picker-country', class: 'select', testid: 'picker-country', 'aria-describedby': 'error-picker',
    onChange: () => renderGroups(),
  },
  h('option', { value: '' }, t('picker.chooseCountry')),
  h('option', { value: ALL }, t('picker.allCountries')),
  sortedCountries().map((c) => h('option', { value: c.iso, selected: c.iso === country }, countryName(c.iso))));

  function methodCheckbox(operatorCode, method, { checked, unverified }) {
    const id = uid('method');
    return h('div', { class: 'check' },
      h('input', {
        type: 'checkbox', id, checked, testid: 'picker-method', data: { operator: operatorCode, method }, onChange: syncAll,
      }),
      h('label', { for: id }, methodName(method), ' ', h('span', { class: 'mono muted' }, method),
        unverified ? h('span', { class: 'tag tag-warning', title: t('method.unverifiedHelp') }, t('picker.unverified')) : null));
  }

  function group(operatorCode, title, methods, isChecked, unverified) {
    const allId = uid('all');
    return h('fieldset', { class: 'picker-group', testid: 'picker-operator', 'data-operator': operatorCode },
      h('legend', {}, title),
      h('div', { class: 'check check-all' },
        h('input', { type: 'checkbox', id: allId, testid: 'picker-all-methods', data: { operator: operatorCode }, onChange: toggleAll }),
        h('label', { for: allId }, t('picker.allMethods'))),
      h('div', { class: 'picker-methods' }, methods.map((m) =>
        methodCheckbox(operatorCode, m, { checked: isChecked(m), unverified: unverified.includes(m) }))));
  }

  function renderGroups() {
    errorEl.hidden = true;
    const iso = select.value;
    if (iso === '') {
      replaceChildren(groups, h('p', { class: 'muted' }, t('picker.pickFirst')));
    } else if (iso === ALL) {
      replaceChildren(groups,
        h('p', { class: 'muted' }, t('picker.allHelp')),
        group(ALL, t('picker.everyOperator'), allMethods(), () => false, []));
    } else {
      const chosen = state.catalog.countries.find((c) => c.iso === iso);
      const has = (op, m) => triples.some((x) => x.country === iso && x.operator === op && x.method === m);
      replaceChildren(groups, chosen.operators.map((op) =>
        group(op.code, op.name, offered(op), (m) => has(op.code, m), op.unverified_methods || [])));
      if (chosen.operators.some((op) => (op.unverified_methods || []).length > 0)) {
        groups.prepend(h('p', { class: 'hint-text picker-note', testid: 'picker-unverified-note' },
          h('span', { class: 'tag tag-warning' }, t('picker.unverified')), ' ', t('method.unverifiedHelp')));
      }
    }
    groups.querySelectorAll('fieldset').forEach(syncGroup);
  }

  function syncGroup(fieldset) {
    const boxes = [...fieldset.querySelectorAll('[data-testid="picker-method"]')];
    const all = fieldset.querySelector('[data-testid="picker-all-methods"]');
    const ticked = boxes.filter((b) => b.checked).length;
    all.checked = ticked === boxes.length && boxes.length > 0;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  function syncAll(event) {
    syncGroup(event.target.closest('fieldset'));
  }

  function toggleAll(event) {
    const fieldset = event.target.closest('fieldset');
    fieldset.querySelectorAll('[data-testid="picker-method"]').forEach((b) => { b.checked = event.target.checked; });
    syncGroup(fieldset);
  }

  function selection() {
    return [...groups.querySelectorAll('[data-testid="picker-method"]:checked')]
      .map((b) => ({ operator: b.dataset.operator, method: b.dataset.method }));
  }

  function save() {
    const iso = select.value;
    const ticked = selection();
    if (iso === '' || ticked.length === 0) {
      errorEl.hidden = false;
      errorEl.textContent = iso === '' ? t('picker.errorCountry') : t('picker.errorMethods');
      (iso === '' ? select : groups.querySelector('input')).focus();
      return;
    }
    let next;
    if (iso === ALL) {
      const methods = new Set(ticked.map((x) => x.method));
      const added = state.catalog.countries.flatMap((c) => c.operators.flatMap((op) =>
        offered(op).filter((m) => methods.has(m)).map((method) => ({ country: c.iso, operator: op.code, method }))));
      next = normalise([...triples, ...added]);
    } else {
      next = replaceCountry(triples, iso, ticked.map((x) => ({ country: iso, ...x })));
    }
    modal.close();
    onSave(next);
  }

  const modal = openModal({
    title: country ? t('picker.editTitle', { country: countryName(country) }) : t('picker.title'),
    testid: 'composition-picker',
    body: [
      h('div', { class: 'field' },
        h('label', { for: 'picker-country', class: 'label' }, t('picker.country')),
        select),
      errorEl,
      groups,
    ],
    footer: [
      h('button', { type: 'button', class: 'btn', testid: 'picker-cancel', onClick: () => modal.close() }, t('common.cancel')),
      h('button', { type: 'button', class: 'btn btn-primary', testid: 'picker-save', onClick: save }, t('common.save')),
    ],
  });
  renderGroups();
}
