// Short confirmations announced by a polite live region.
import { h } from './dom.js';

export function toast(message, { kind = 'info', millis = 3500 } = {}) {
  const region = document.getElementById('toasts');
  const node = h('div', { class: `toast toast-${kind}`, testid: 'toast' }, message);
  region.append(node);
  setTimeout(() => node.remove(), millis);
}
