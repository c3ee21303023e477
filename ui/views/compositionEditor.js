// The card editor shared by step 2 of the create form and the composition modal:
// one card per country, operators and methods inside, delete buttons shown on hover and focus.
import { h, replaceChildren } from '../dom.js';
import { icon } from '../icons.js';
import { t } from '../i18n.js';
import { countryLabel, countryName, operatorName, methodName } from '../state.js';
import { toCards, without, countriesOf } from '../composition.js';
import { openCompositionPicker } from './compositionPicker.js';

/**
 * `confirmRemoveCountry(iso)` may return a promise of false to keep a country the user was
 * about to remove. Returns { element, getTriples, setError }.
 */
export function createCompositionEditor({ triples, readOnly = false, onChange = () => {}, confirmRemoveCountry = null, errorId = 'error-composition' }) {
  let current = [...triples];
  const cardsEl = h('div', { class: 'cards', testid: 'composition-cards' });
  const errorEl = h('p', { class: 'field-error', id: errorId, testid: errorId, hidden: true });
  const addButton = readOnly ? null : h('button', {
    type: 'button',
    class: 'btn',
    testid: 'add-composition',
    onClick: () => openCompositionPicker({ triples: current, onSave: update }),
  }, icon('plus'), t('composition.add'));

  async function update(next) {
    const removed = countriesOf(current).filter((iso) => !countriesOf(next).includes(iso));
    if (confirmRemoveCountry) {
      for (const iso of removed) {
        if (!(await confirmRemoveCountry(iso))) return;
      }
    }
    current = next;
    setError(null);
    render();
    onChange(current);
  }

  function setError(message) {
    errorEl.hidden = !message;
    errorEl.textContent = message || '';
    cardsEl.toggleAttribute('aria-invalid', Boolean(message));
  }

  function removeButton(testid, label, data, onClick) {
    return h('button', {
      type: 'button', class: 'btn-icon btn-icon-sm btn-icon-danger reveal', testid, 'aria-label': label, title: label, data, onClick,
    }, icon('x', { size: 14 }));
  }

  function card({ country, operators }) {
    const name = countryName(country);
    return h('section', { class: 'card comp-card', testid: 'composition-card', 'data-country': country, 'aria-label': name },
      h('header', { class: 'comp-card-header' },
        h('h3', { class: 'comp-card-title' }, countryLabel(country)),
        readOnly ? null : h('div', { class: 'comp-card-actions' },
          h('button', {
            type: 'button', class: 'btn-icon btn-icon-sm reveal', testid: 'edit-country', data: { country },
            'aria-label': t('composition.editCountry', { country: name }), title: t('composition.editCountry', { country: name }),
            onClick: () => openCompositionPicker({ triples: current, country, onSave: update }),
          }, icon('edit', { size: 14 })),
          h('button', {
            type: 'button', class: 'btn-icon btn-icon-sm btn-icon-danger reveal', testid: 'remove-country', data: { country },
            'aria-label': t('composition.removeCountry', { country: name }), title: t('composition.removeCountry', { country: name }),
            onClick: () => update(without(current, { country })),
          }, icon('trash', { size: 14 })))),
      h('ul', { class: 'comp-operators' }, operators.map(({ operator, methods }) => {
        const opName = operatorName(country, operator);
        return h('li', { class: 'comp-operator', testid: 'composition-operator', 'data-country': country, 'data-operator': operator },
          h('div', { class: 'comp-operator-name' },
            h('span', {}, opName),
            readOnly ? null : removeButton('remove-operator', t('composition.removeOperator', { operator: opName, country: name }),
              { country, operator }, () => update(without(current, { country, operator })))),
          h('ul', { class: 'chips' }, methods.map((method) => h('li', {
            class: 'chip', testid: 'composition-method', 'data-country': country, 'data-operator': operator, 'data-method': method,
          },
          h('span', {}, methodName(method), h('span', { class: 'chip-code' }, method)),
          readOnly ? null : removeButton('remove-method',
            t('composition.removeMethod', { method: methodName(method), operator: opName, country: name }),
            { country, operator, method }, () => update(without(current, { country, operator, method })))))));
      })));
  }

  function render() {
    const cards = toCards(current);
    if (cards.length === 0) {
      replaceChildren(cardsEl, h('div', { class: 'comp-empty', testid: 'composition-empty' },
        icon('globe', { size: 20 }),
        h('p', {}, readOnly ? t('composition.emptyReadOnly') : t('composition.empty'))));
    } else {
      replaceChildren(cardsEl, cards.map(card));
    }
  }

  render();
  const element = h('div', { class: 'comp-editor' },
    addButton ? h('div', { class: 'comp-toolbar' }, addButton) : null,
    errorEl,
    cardsEl);
  return { element, getTriples: () => current, setError, focus: () => (addButton || cardsEl).focus() };
}
