// Screen 3: "Your new token". The secret is shown once; Done asks Rust to zeroize it and drops
// every reference the page holds (the DOM node and this closure's variable).
import * as api from '../api.js';
import { h } from '../dom.js';
import { icon } from '../icons.js';
import { t } from '../i18n.js';
import { errorText } from '../format.js';
import { openModal } from './modal.js';

export function openSecretDialog(token, secretValue, { onDone }) {
  let secret = secretValue;
  let countdown = null;
  const secretNode = h('code', { class: 'secret mono', testid: 'secret-value', tabindex: '0' }, secret);
  const secretBox = h('div', { class: 'secret-box' }, secretNode);
  const announce = h('p', { class: 'visually-hidden', role: 'status', testid: 'copy-announcement' });
  const status = h('p', { class: 'copy-status', testid: 'copy-status', 'aria-hidden': 'true' });
  const copyButton = h('button', { type: 'button', class: 'btn btn-primary', testid: 'copy-secret', onClick: copy },
    icon('copy'), t('secret.copy'));
  const done = h('button', { type: 'button', class: 'btn', testid: 'secret-done', onClick: finish }, t('secret.done'));

  async function copy() {
    copyButton.disabled = true;
    try {
      const { clear_after_secs: seconds } = await api.copySecret({ id: token.id });
      startCountdown(seconds);
      announce.textContent = t('secret.copied', { seconds });
    } catch (error) {
      status.classList.add('copy-status-error');
      status.removeAttribute('aria-hidden');
      status.textContent = errorText(error);
    } finally {
      copyButton.disabled = false;
    }
  }

  function startCountdown(seconds) {
    clearInterval(countdown);
    status.classList.remove('copy-status-error');
    status.setAttribute('aria-hidden', 'true');
    let left = seconds;
    const paint = () => {
      status.replaceChildren(icon('check', { size: 14 }),
        left > 0 ? t('secret.copied', { seconds: left }) : t('secret.cleared'));
    };
    paint();
    countdown = setInterval(() => {
      left -= 1;
      paint();
      if (left <= 0) clearInterval(countdown);
    }, 1000);
  }

  async function finish() {
    done.disabled = true;
    clearInterval(countdown);
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
      secretBox,
      h('div', { class: 'secret-actions' }, copyButton, status, announce),
      h('div', { class: 'alert alert-warning', role: 'note' }, icon('alert'),
        h('span', {}, h('strong', {}, t('secret.onceTitle')), ' ', t('secret.onceBody'))),
    ],
    footer: [done],
  });
  copyButton.focus();
}
