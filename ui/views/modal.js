// Dialogs: a stack of modals that trap focus, close on Escape and give focus back to their opener.
import { h, uid, focusables } from '../dom.js';
import { icon } from '../icons.js';
import { t } from '../i18n.js';

const stack = [];

function onKeydown(event) {
  const top = stack[stack.length - 1];
  if (!top) return;
  if (event.key === 'Escape') {
    event.preventDefault();
    event.stopPropagation();
    if (top.dismissible) top.close();
    return;
  }
  if (event.key === 'Tab') trapTab(event, top.dialog);
}

function trapTab(event, dialog) {
  const items = focusables(dialog);
  if (items.length === 0) {
    event.preventDefault();
    dialog.focus();
    return;
  }
  const first = items[0];
  const last = items[items.length - 1];
  const inside = dialog.contains(document.activeElement);
  if (event.shiftKey && (document.activeElement === first || !inside)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
    event.preventDefault();
    first.focus();
  }
}

document.addEventListener('keydown', onKeydown, true);

function setBackgroundInert() {
  const app = document.getElementById('app');
  if (app) app.inert = stack.length > 0;
  stack.forEach((entry, index) => { entry.backdrop.inert = index !== stack.length - 1; });
}

/**
 * Opens a dialog. `body` and `footer` are nodes (or arrays of nodes).
 * Returns { close, dialog, body, setFooter }. `onClose` runs once, whatever closed the dialog.
 */
export function openModal({ title, body, footer = [], testid, size = 'md', dismissible = true, onClose = null, description = null }) {
  const opener = document.activeElement;
  const titleId = uid('modal-title');
  const bodyEl = h('div', { class: 'modal-body' }, body);
  const footerEl = h('div', { class: 'modal-footer' }, footer);
  const closeButton = dismissible
    ? h('button', { type: 'button', class: 'btn-icon', testid: `${testid}-close`, 'aria-label': t('common.close'), onClick: () => entry.close() }, icon('x'))
    : null;
  const dialog = h('div', {
    class: `modal modal-${size}`,
    role: 'dialog',
    'aria-modal': 'true',
    'aria-labelledby': titleId,
    tabindex: '-1',
    testid,
  },
  h('div', { class: 'modal-header' },
    h('div', {},
      h('h2', { id: titleId, class: 'modal-title' }, title),
      description ? h('p', { class: 'modal-description' }, description) : null),
    closeButton),
  bodyEl,
  footerEl);
  const backdrop = h('div', { class: 'modal-backdrop' }, dialog);
  backdrop.addEventListener('mousedown', (event) => {
    if (event.target === backdrop && entry.dismissible) entry.close();
  });

  let closed = false;
  const entry = {
    dialog,
    backdrop,
    dismissible,
    body: bodyEl,
    setFooter: (...nodes) => footerEl.replaceChildren(...nodes.flat()),
    close() {
      if (closed) return;
      closed = true;
      const index = stack.indexOf(entry);
      if (index >= 0) stack.splice(index, 1);
      backdrop.remove();
      setBackgroundInert();
      if (onClose) onClose();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
    },
  };
  stack.push(entry);
  document.getElementById('modal-root').append(backdrop);
  setBackgroundInert();
  const initial = dialog.querySelector('[data-autofocus]') || focusables(bodyEl)[0] || focusables(dialog)[0] || dialog;
  initial.focus();
  return entry;
}

/** Resolves true when the user confirms, false when they cancel or press Escape. */
export function confirmDialog({ title, message, confirmLabel, danger = false, testid = 'confirm-dialog' }) {
  return new Promise((resolve) => {
    let answer = false;
    const confirmButton = h('button', {
      type: 'button',
      class: danger ? 'btn btn-danger' : 'btn btn-primary',
      testid: `${testid}-confirm`,
      onClick: () => { answer = true; modal.close(); },
    }, confirmLabel);
    const cancelButton = h('button', {
      type: 'button', class: 'btn', testid: `${testid}-cancel`, data: { autofocus: '' }, onClick: () => modal.close(),
    }, t('common.cancel'));
    const modal = openModal({
      title,
      testid,
      size: 'sm',
      body: h('p', { class: 'confirm-message' }, message),
      footer: [cancelButton, confirmButton],
      onClose: () => resolve(answer),
    });
  });
}
