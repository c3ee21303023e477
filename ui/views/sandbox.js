// Screen 10: the Sandbox. Starts and stops the local ClaPay gateway (127.0.0.1 only), shows its
// base URL, reveals or copies its webhook keys only when asked (the copy goes through the app's
// guarded clipboard), and shows the last requests, refreshed while the screen is open.
import * as api from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatDateTime } from '../i18n.js';
import { errorText } from '../format.js';
import { toast } from '../toast.js';
import { field } from './fields.js';

const DEFAULT_PORT = 8787;
const REFRESH_MS = 1000;
const MASK = '••••••••••••';

const KEYS = [
  { key: 'unique_key', id: 'unique-key', label: 'sandbox.uniqueKey' },
  { key: 'secret', id: 'secret', label: 'sandbox.secret' },
];

export function mount(container) {
  let status = null;
  let timer = null;
  let lastSeq = null;
  let gone = false;

  const portInput = h('input', {
    id: 'sandbox-port', class: 'input mono', type: 'number', min: '0', max: '65535', inputmode: 'numeric',
    value: String(DEFAULT_PORT), testid: 'sandbox-port',
  });
  const port = field({ name: 'port', label: t('sandbox.port'), hint: t('sandbox.portHint'), control: portInput });
  const toggleButton = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'sandbox-toggle' });
  const statusBadge = h('span', { class: 'badge', testid: 'sandbox-status', role: 'status' });
  const baseUrl = h('input', {
    id: 'sandbox-base-url', class: 'input mono', readonly: true, testid: 'sandbox-base-url',
    'aria-label': t('sandbox.baseUrl'),
  });
  const copyUrl = h('button', {
    type: 'button', class: 'btn', testid: 'sandbox-copy-url', onClick: copyBaseUrl,
  }, icon('copy'), t('sandbox.copy'));
  const formError = h('div', { class: 'sandbox-error', 'aria-live': 'polite' });
  const settleNote = h('p', { class: 'hint-text', testid: 'sandbox-settle-note' });
  const logBody = h('tbody', { testid: 'sandbox-log-rows' });
  const logEmpty = h('p', { class: 'muted sandbox-log-empty', testid: 'sandbox-log-empty' });

  const keyRows = KEYS.map(({ key, id, label }) => {
    const value = h('code', { class: 'mono sandbox-key-value', testid: `sandbox-${id}-value` }, MASK);
    const reveal = h('button', {
      type: 'button', class: 'btn btn-sm', testid: `sandbox-reveal-${id}`, 'aria-pressed': 'false',
      onClick: () => toggleKey(key, value, reveal),
    }, icon('eye'), t('sandbox.show'));
    const copy = h('button', {
      type: 'button', class: 'btn btn-sm', testid: `sandbox-copy-${id}`, onClick: () => copyKey(key),
    }, icon('copy'), t('sandbox.copy'));
    return h('div', { class: 'sandbox-key' },
      h('span', { class: 'sandbox-key-label' }, t(label)),
      value,
      h('div', { class: 'sandbox-key-actions' }, reveal, copy));
  });

  async function toggleKey(key, value, button) {
    const shown = button.getAttribute('aria-pressed') === 'true';
    if (shown) {
      value.textContent = MASK;
      button.setAttribute('aria-pressed', 'false');
      button.replaceChildren(icon('eye'), t('sandbox.show'));
      return;
    }
    try {
      const answer = await api.sandboxRevealKey({ key });
      if (gone) return;
      value.textContent = answer.key;
      button.setAttribute('aria-pressed', 'true');
      button.replaceChildren(icon('eyeOff'), t('sandbox.hide'));
    } catch (error) {
      toast(errorText(error), { kind: 'error' });
    }
  }

  async function copyKey(key) {
    try {
      const answer = await api.sandboxCopyKey({ key });
      toast(t('secret.copied', { seconds: answer.clear_after_secs }));
    } catch (error) {
      toast(errorText(error), { kind: 'error' });
    }
  }

  async function copyBaseUrl() {
    try {
      const answer = await api.sandboxCopyBaseUrl();
      toast(t('secret.copied', { seconds: answer.clear_after_secs }));
    } catch (error) {
      toast(errorText(error), { kind: 'error' });
    }
  }

  function showStatus(next) {
    status = next;
    const running = Boolean(status?.running);
    statusBadge.className = `badge ${running ? 'badge-active' : 'badge-disabled'}`;
    statusBadge.dataset.running = String(running);
    replaceChildren(statusBadge, h('span', { class: 'badge-dot', 'aria-hidden': 'true' }),
      running ? t('sandbox.running') : t('sandbox.stopped'));
    replaceChildren(toggleButton, icon('power'), running ? t('sandbox.stop') : t('sandbox.start'));
    toggleButton.dataset.action = running ? 'stop' : 'start';
    portInput.disabled = running;
    if (running && status.port) portInput.value = String(status.port);
    baseUrl.value = running ? status.base_url : '';
    baseUrl.placeholder = running ? '' : t('sandbox.notRunning');
    copyUrl.disabled = !running;
    settleNote.textContent = t('sandbox.settleNote', { seconds: (status?.settle_after_ms ?? 2000) / 1000 });
    renderEmpty();
  }

  async function toggle(event) {
    event.preventDefault();
    port.setError(null);
    formError.replaceChildren();
    toggleButton.disabled = true;
    try {
      if (status?.running) {
        showStatus(await api.sandboxStop());
      } else {
        const value = portInput.value.trim() === '' ? DEFAULT_PORT : Number(portInput.value);
        if (!Number.isInteger(value) || value < 0 || value > 65535) {
          port.setError(t('sandbox.portInvalid'));
          portInput.focus();
          return;
        }
        showStatus(await api.sandboxStart({ port: value }));
      }
      await refreshLog();
    } catch (error) {
      if (error.field === 'port') {
        port.setError(errorText(error));
        portInput.focus();
      } else {
        formError.replaceChildren(h('div', { class: 'alert alert-error', role: 'alert', testid: 'sandbox-error' }, errorText(error)));
      }
    } finally {
      toggleButton.disabled = false;
    }
  }

  function cell(text, { className = '', title = null } = {}) {
    return h('td', { class: className, title }, text ?? '—');
  }

  function logRow(entry) {
    const allowed = entry.decision === 'allowed';
    const decision = entry.decision
      ? h('span', { class: `badge ${allowed ? 'badge-active' : 'badge-revoked'}` },
        h('span', { class: 'badge-dot', 'aria-hidden': 'true' }), allowed ? t('sandbox.allowed') : t('sandbox.denied'))
      : null;
    const what = entry.kind === 'webhook' ? t('sandbox.webhook') : `${entry.verb} ${entry.path}`;
    return h('tr', { testid: 'sandbox-log-row', data: { seq: String(entry.seq), kind: entry.kind, status: String(entry.status) } },
      cell(h('time', { datetime: entry.at, title: formatDateTime(entry.at) }, new Date(entry.at).toLocaleTimeString())),
      cell(h('span', { class: 'mono' }, what), { className: 'sandbox-path', title: entry.kind === 'webhook' ? entry.path : null }),
      cell(h('span', { class: `sandbox-code sandbox-code-${Math.floor(entry.status / 100)}` }, entry.status ? String(entry.status) : '—')),
      cell(entry.token_name ? h('span', {}, entry.token_name) : null, { className: 'sandbox-token', title: entry.token_name }),
      cell(entry.country),
      cell(entry.operator),
      cell(entry.method),
      cell(entry.phone ? h('span', { class: 'mono' }, entry.phone) : null),
      cell(decision),
      cell(entry.reason ? h('span', { class: 'mono', title: entry.detail }, entry.reason) : (entry.detail ?? null)));
  }

  function renderEmpty() {
    const empty = logBody.childElementCount === 0;
    logEmpty.hidden = !empty;
    if (!empty) return;
    const base = status?.running ? status.base_url : `http://127.0.0.1:${DEFAULT_PORT}`;
    replaceChildren(logEmpty, t('sandbox.logEmpty'), h('pre', { class: 'mono sandbox-example' },
      `curl -X POST ${base}/init/payment \\\n  -H "Authorization: Bearer clp_test_…" \\\n  -H "Content-Type: application/json" \\\n  -d '{"transaction_id":"order-1","amount":5000,"country_code":"CI","operators_code":["OM"],"method":"MERCHANT","tunnel":"API"}'`));
  }

  async function refreshLog() {
    try {
      const [next, entries] = await Promise.all([api.sandboxStatus(), api.sandboxLog()]);
      if (gone) return;
      if (!status || next.running !== status.running || next.base_url !== status.base_url) showStatus(next);
      const newest = entries.length ? entries[0].seq : null;
      if (newest !== lastSeq) {
        lastSeq = newest;
        replaceChildren(logBody, entries.map(logRow));
        renderEmpty();
      }
    } catch (error) {
      formError.replaceChildren(h('div', { class: 'alert alert-error', role: 'alert', testid: 'sandbox-error' }, errorText(error)));
    }
  }

  const table = h('table', { class: 'sandbox-log', testid: 'sandbox-log' },
    h('caption', { class: 'visually-hidden' }, t('sandbox.logTitle')),
    h('thead', {}, h('tr', {},
      ['time', 'request', 'status', 'token', 'country', 'operator', 'method', 'phone', 'decision', 'reason']
        .map((column) => h('th', { scope: 'col' }, t(`sandbox.col.${column}`))))),
    logBody);

  replaceChildren(container,
    h('header', { class: 'page-header' },
      h('div', {},
        h('h1', { class: 'page-title' }, t('sandbox.title')),
        h('p', { class: 'page-subtitle' }, t('sandbox.subtitle')))),
    h('div', { class: 'sandbox-layout', testid: 'sandbox-page' },
      h('form', { class: 'card', novalidate: true, onSubmit: toggle },
        h('div', { class: 'card-header' },
          h('h2', { class: 'section-title' }, t('sandbox.gateway')), statusBadge),
        h('div', { class: 'sandbox-controls' }, port.element, h('div', { class: 'field-button' }, toggleButton)),
        h('div', { class: 'field' },
          h('label', { class: 'label', for: 'sandbox-base-url' }, t('sandbox.baseUrl')),
          h('div', { class: 'sandbox-url' }, baseUrl, copyUrl),
          settleNote),
        formError),
      h('section', { class: 'card' },
        h('h2', { class: 'section-title' }, t('sandbox.keys')),
        h('p', { class: 'section-help' }, t('sandbox.keysHelp')),
        keyRows)),
    h('section', { class: 'card sandbox-log-card' },
      h('div', { class: 'card-header' },
        h('h2', { class: 'section-title' }, t('sandbox.logTitle')),
        h('span', { class: 'muted small' }, t('sandbox.logHelp'))),
      h('div', { class: 'table-scroll sandbox-log-scroll' }, table),
      logEmpty));

  showStatus(null);
  refreshLog();
  timer = setInterval(refreshLog, REFRESH_MS);
  return () => {
    gone = true;
    clearInterval(timer);
  };
}
