// Screen 4: the composition of a token, editable with the same card editor as the create form.
import * as api from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { t, formatList } from '../i18n.js';
import { errorText } from '../format.js';
import { countryName } from '../state.js';
import { countriesOf, fromCards } from '../composition.js';
import { toast } from '../toast.js';
import { openModal, confirmDialog } from './modal.js';
import { createCompositionEditor } from './compositionEditor.js';

const loading = () => h('p', { class: 'muted', testid: 'modal-loading' }, t('common.loading'));

export function openCompositionModal(id, { onChanged }) {
  const modal = openModal({ title: t('composition.title'), testid: 'composition-dialog', size: 'lg', body: loading() });
  api.getToken({ id }).then((token) => show(modal, token, onChanged), (error) => {
    replaceChildren(modal.body, h('div', { class: 'alert alert-error', role: 'alert' }, errorText(error)));
  });
}

function show(modal, token, onChanged) {
  // A rolled token follows its successor's composition: the successor is the one to change.
  const rolled = Boolean(token.rolled_to);
  const readOnly = token.status === 'REVOKED' || rolled;
  const title = modal.dialog.querySelector('.modal-title');
  title.textContent = t('composition.titleNamed', { name: token.name });
  const editor = createCompositionEditor({ triples: fromCards(token.composition), readOnly });
  const formError = h('div', { class: 'alert alert-error', role: 'alert', testid: 'composition-error', hidden: true });
  replaceChildren(modal.body,
    readOnly ? h('p', { class: 'muted', testid: 'composition-read-only' },
      rolled && token.successor ? t('composition.rolledReadOnly', { name: token.successor.name }) : t('composition.revokedReadOnly')) : null,
    editor.element,
    formError);
  if (readOnly) {
    modal.setFooter(h('button', { type: 'button', class: 'btn', testid: 'composition-cancel', onClick: () => modal.close() }, t('common.close')));
    return;
  }
  const save = h('button', { type: 'button', class: 'btn btn-primary', testid: 'composition-save', onClick: () => submit(false) }, t('common.save'));
  modal.setFooter(
    h('button', { type: 'button', class: 'btn', testid: 'composition-cancel', onClick: () => modal.close() }, t('common.cancel')),
    save);
  editor.focus();

  async function submit(confirmRemoveNumbers) {
    const composition = editor.getTriples();
    if (composition.length === 0) {
      editor.setError(t('create.errorComposition'));
      return;
    }
    save.disabled = true;
    formError.hidden = true;
    try {
      await api.setComposition({ id: token.id, composition, confirmRemoveNumbers });
      modal.close();
      toast(t('composition.saved'));
      onChanged();
    } catch (error) {
      save.disabled = false;
      // Disabling the button moved focus to <body>; put it back so dialogs opened now return to it.
      save.focus();
      if (error.kind === 'country_has_numbers' && !confirmRemoveNumbers) {
        if (await confirmNumbersRemoval(token, composition)) submit(true);
      } else if (error.field === 'composition') {
        editor.setError(errorText(error));
      } else {
        formError.hidden = false;
        formError.textContent = errorText(error);
      }
    }
  }
}

function confirmNumbersRemoval(token, composition) {
  const kept = countriesOf(composition);
  const lost = token.numbers.filter((n) => !kept.includes(n.country));
  const countries = [...new Set(lost.map((n) => n.country))];
  return confirmDialog({
    title: t('composition.numbersTitle'),
    message: t('composition.removeNumbersToo', {
      count: lost.length,
      country: formatList(countries.map(countryName)),
    }),
    confirmLabel: t('composition.removeNumbersConfirm'),
    danger: true,
    testid: 'confirm-remove-numbers',
  });
}
