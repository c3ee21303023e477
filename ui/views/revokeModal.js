// Screen 6: the revoke confirmation, naming the token.
import * as api from '../api.js';
import { h } from '../dom.js';
import { icon } from '../icons.js';
import { t } from '../i18n.js';
import { errorText } from '../format.js';
import { toast } from '../toast.js';
import { openModal } from './modal.js';

export function openRevokeModal(token, { onRevoked }) {
  const errorEl = h('div', { class: 'alert alert-error', role: 'alert', testid: 'revoke-error', hidden: true });
  const confirm = h('button', { type: 'button', class: 'btn btn-danger', testid: 'confirm-revoke', onClick: revoke },
    icon('trash'), t('revoke.confirm'));
  const cancel = h('button', { type: 'button', class: 'btn', testid: 'cancel-revoke', data: { autofocus: '' }, onClick: () => modal.close() },
    t('common.cancel'));

  async function revoke() {
    confirm.disabled = true;
    try {
      await api.revokeToken({ id: token.id });
      modal.close();
      toast(t('revoke.done', { name: token.name }));
      onRevoked();
    } catch (error) {
      errorEl.hidden = false;
      errorEl.textContent = errorText(error);
      confirm.disabled = false;
    }
  }

  const modal = openModal({
    title: t('revoke.title', { name: token.name }),
    testid: 'revoke-dialog',
    size: 'sm',
    body: [
      h('p', {}, t('revoke.body')),
      token.number_count > 0 ? h('p', { class: 'muted' }, t('revoke.numbers', { count: token.number_count })) : null,
      errorEl,
    ],
    footer: [cancel, confirm],
  });
}
