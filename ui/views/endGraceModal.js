// "End now": the confirmation that ends the grace of a rolling token, so its old secret stops
// working at once (its successor is not affected).
import * as api from '../api.js';
import { h } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatDateTime } from '../i18n.js';
import { errorText } from '../format.js';
import { toast } from '../toast.js';
import { openModal } from './modal.js';

/** `token` is a summary or details of a ROLLING token. */
export function openEndGraceModal(token, { onEnded }) {
  const errorEl = h('div', { class: 'alert alert-error', role: 'alert', testid: 'end-grace-error', hidden: true });
  const confirm = h('button', { type: 'button', class: 'btn btn-danger', testid: 'confirm-end-grace', onClick: end },
    icon('power'), t('endGrace.confirm'));
  const cancel = h('button', { type: 'button', class: 'btn', testid: 'cancel-end-grace', data: { autofocus: '' }, onClick: () => modal.close() },
    t('common.cancel'));

  async function end() {
    confirm.disabled = true;
    try {
      await api.endGrace({ id: token.id });
      modal.close();
      toast(t('endGrace.done', { name: token.name }));
      onEnded();
    } catch (error) {
      errorEl.hidden = false;
      errorEl.textContent = errorText(error);
      confirm.disabled = false;
    }
  }

  const modal = openModal({
    title: t('endGrace.title', { name: token.name }),
    testid: 'end-grace-dialog',
    size: 'sm',
    body: [
      h('p', {}, t('endGrace.body')),
      token.grace_ends_at
        ? h('p', { class: 'muted', testid: 'end-grace-planned', 'data-iso': token.grace_ends_at },
          t('endGrace.planned', { date: formatDateTime(token.grace_ends_at) }))
        : null,
      errorEl,
    ],
    footer: [cancel, confirm],
  });
}
