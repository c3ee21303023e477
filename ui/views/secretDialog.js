// Screen 3: "Your new token". The secret is shown once; Done asks Rust to zeroize it and drops
// every reference the page holds (the DOM node and this closure's variable).
//
// The secret leaves only through the guarded copy (copy_secret: marked sensitive for clipboard
// managers, cleared after the delay): its text cannot be selected, and Ctrl+C / Cmd+C or a copy
// from a menu while the dialog is open go to the same command as the Copy button, so the webview
// never writes it to the clipboard itself.
import * as api from '../api.js';
import { h } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatDateTime } from '../i18n.js';
import { errorText, environmentChip } from '../format.js';
import { openModal } from './modal.js';

/** What the dialog says once a copy's delay is over, by the clipboard owner's outcome. */
const OUTCOME_TEXT = {
  cleared: 'secret.cleared',
  left_alone: 'secret.leftAlone',
  failed: 'secret.clearFailed',
  pending: 'secret.clearUnknown',
};

export function openSecretDialog(token, secretValue, { onDone }) {
  let secret = secretValue;
  let countdown = null;
  // The copy whose countdown is shown: an older copy's outcome no longer matters.
  let shownCopy = null;
  const secretNode = h('code', {
    class: 'secret mono',
    testid: 'secret-value',
    tabindex: '0',
    'aria-describedby': 'secret-copy-hint',
  }, secret);
  const secretBox = h('div', { class: 'secret-box' }, secretNode);
  const copyHint = h('p', { class: 'hint-text', id: 'secret-copy-hint' }, t('secret.copyHint'));
  const announce = h('p', { class: 'visually-hidden', role: 'status', testid: 'copy-announcement' });
  const status = h('p', { class: 'copy-status', testid: 'copy-status', 'aria-hidden': 'true' });
  const copyButton = h('button', { type: 'button', class: 'btn btn-primary', testid: 'copy-secret', onClick: copy },
    icon('copy'), t('secret.copy'));
  const done = h('button', { type: 'button', class: 'btn', testid: 'secret-done', onClick: finish }, t('secret.done'));

  async function copy() {
    if (copyButton.disabled || secret === null) return;
    copyButton.disabled = true;
    try {
      const { clear_after_secs: seconds, copy: number } = await api.copySecret({ id: token.id });
      shownCopy = number;
      startCountdown(number, seconds);
      announce.textContent = t('secret.copied', { seconds });
    } catch (error) {
      clearInterval(countdown);
      showStatus(errorText(error), { error: true });
    } finally {
      copyButton.disabled = false;
    }
  }

  function showStatus(text, { error = false, spoken = false } = {}) {
    status.classList.toggle('copy-status-error', error);
    // The countdown ticks every second: spoken once by `announce`, not at each tick.
    if (error || spoken) status.removeAttribute('aria-hidden');
    else status.setAttribute('aria-hidden', 'true');
    status.replaceChildren(error ? icon('alert', { size: 14 }) : icon('check', { size: 14 }), text);
  }

  function startCountdown(number, seconds) {
    clearInterval(countdown);
    let left = seconds;
    const paint = () => showStatus(t('secret.copied', { seconds: left }));
    paint();
    countdown = setInterval(() => {
      left -= 1;
      if (left > 0) {
        paint();
        return;
      }
      clearInterval(countdown);
      reportOutcome(number);
    }, 1000);
  }

  /** Says what the clipboard owner did once the delay was over: cleared it, or why not. */
  async function reportOutcome(number) {
    let outcome;
    try {
      outcome = await api.clipboardOutcome({ copy: number });
    } catch {
      outcome = 'pending';
    }
    // A later copy has its own countdown; a closed dialog says nothing.
    if (number !== shownCopy || secret === null || outcome === 'replaced') return;
    const text = t(OUTCOME_TEXT[outcome] || OUTCOME_TEXT.pending);
    showStatus(text, { error: outcome !== 'cleared', spoken: true });
    status.dataset.outcome = outcome;
  }

  // Ctrl+C / Cmd+C anywhere in the dialog: the guarded copy, never the webview's own.
  function onKeydown(event) {
    const shortcut = (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey;
    if (shortcut && (event.key === 'c' || event.key === 'C' || event.code === 'KeyC')) {
      event.preventDefault();
      copy();
    }
  }

  // A copy the keyboard handler did not catch (a menu's Copy, a selection made by a script): the
  // webview writes nothing, and the guarded copy runs instead.
  function onCopyEvent(event) {
    event.preventDefault();
    copy();
  }

  async function finish() {
    done.disabled = true;
    clearInterval(countdown);
    document.removeEventListener('copy', onCopyEvent, true);
    document.removeEventListener('cut', onCopyEvent, true);
    try {
      await api.discardSecret({ id: token.id });
    } catch {
      // The secret is dropped on this side whatever Rust answers; there is nothing to retry.
    }
    secretNode.remove();
    secretNode.textContent = '';
    secret = null;
    modal.close();
    onDone();
  }

  const modal = openModal({
    title: t('secret.title'),
    testid: 'secret-dialog',
    dismissible: false,
    body: [
      h('p', {}, t('secret.intro', { name: token.name })),
      h('p', { class: 'secret-environment' }, t('secret.environment'), ' ', environmentChip(token.environment, 'secret-environment'),
        ' ', h('span', { class: 'muted' }, t(token.environment === 'sandbox' ? 'environment.sandboxHelp' : 'environment.liveHelp'))),
      secretBox,
      copyHint,
      h('div', { class: 'secret-actions' }, copyButton, status, announce),
      token.expires_at
        ? h('p', { class: 'muted secret-expiry', testid: 'secret-expiry', 'data-iso': token.expires_at },
          t('secret.expiresAt', { date: formatDateTime(token.expires_at) }))
        : null,
      h('div', { class: 'alert alert-warning', role: 'note' }, icon('alert'),
        h('span', {}, h('strong', {}, t('secret.onceTitle')), ' ', t('secret.onceBody'))),
    ],
    footer: [done],
  });
  modal.dialog.addEventListener('keydown', onKeydown);
  document.addEventListener('copy', onCopyEvent, true);
  document.addEventListener('cut', onCopyEvent, true);
  copyButton.focus();
}
