// The restore confirmation, naming the backup's date and saying that restoring is a trust decision:
// a file in the backups folder may come from someone else, with tokens whose secrets they hold.
import * as api from '../api.js';
import { h } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatDateTime } from '../i18n.js';
import { errorText } from '../format.js';
import { toast } from '../toast.js';
import { openModal } from './modal.js';

export function openRestoreModal(backup, { onRestored }) {
  const date = formatDateTime(backup.at);
  const errorEl = h('div', { class: 'alert alert-error', role: 'alert', testid: 'restore-error', hidden: true });
  const confirm = h('button', { type: 'button', class: 'btn btn-danger', testid: 'confirm-restore', onClick: restore },
    icon('upload'), t('restore.confirm'));
  const cancel = h('button', { type: 'button', class: 'btn', testid: 'cancel-restore', data: { autofocus: '' }, onClick: () => modal.close() },
    t('common.cancel'));

  async function restore() {
    confirm.disabled = true;
    try {
      await api.restoreBackup({ file: backup.file });
      modal.close();
      toast(t('restore.done', { date }));
      await onRestored();
    } catch (error) {
      errorEl.hidden = false;
      errorEl.textContent = errorText(error);
      confirm.disabled = false;
    }
  }

  const modal = openModal({
    title: t('restore.title', { date }),
    testid: 'restore-dialog',
    size: 'sm',
    body: [
      h('p', {}, t('restore.body', { date })),
      h('div', { class: 'alert alert-warning', role: 'note', testid: 'restore-trust-warning' }, icon('alert'),
        h('span', {}, h('strong', {}, t('restore.trustTitle')), ' ', t('restore.trustBody'))),
      errorEl,
    ],
    footer: [cancel, confirm],
  });
}
