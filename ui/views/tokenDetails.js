// Screen 7: every field of one token, its composition, numbers and history; edit name,
// description and expiry; roll, end a roll's grace, duplicate. A rolled or rolling token is changed
// through its successor: its page links to it and offers no edit.
import * as api from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatDateTime, formatRelative } from '../i18n.js';
import { dateText, statusBadge, errorText, environmentChip } from '../format.js';
import { countryLabel } from '../state.js';
import { fromCards } from '../composition.js';
import { toast } from '../toast.js';
import { field } from './fields.js';
import { createExpiryField } from './expiryField.js';
import { createCompositionEditor } from './compositionEditor.js';
import { openCompositionModal } from './compositionModal.js';
import { openNumbersModal } from './numbersModal.js';
import { openRevokeModal } from './revokeModal.js';
import { openRollDialog } from './rollDialog.js';
import { openEndGraceModal } from './endGraceModal.js';
import { historyTimeline, HISTORY_PAGE } from './history.js';

export function mount(container, { params: [id], navigate }) {
  let alive = true;
  let editing = false;
  const root = h('div', { class: 'details', testid: 'token-details' }, h('p', { class: 'muted' }, t('common.loading')));
  replaceChildren(container,
    h('a', { href: '#/tokens', class: 'back-link', testid: 'back-to-list' }, icon('arrowLeft', { size: 14 }), t('nav.tokens')),
    root);

  let loadSeq = 0;
  let historyView = null;
  let historyBox = null;

  // The token and its history are asked for together; the token's part is drawn as soon as it
  // arrives, the history (the longer answer) fills its card when it comes.
  async function load() {
    const seq = ++loadSeq;
    const tokenAnswer = api.getToken({ id });
    const historyAnswer = api.tokenHistory({ id, limit: HISTORY_PAGE });
    historyAnswer.catch(() => {});
    let token;
    try {
      token = await tokenAnswer;
    } catch (error) {
      if (alive && seq === loadSeq) replaceChildren(root, h('div', { class: 'alert alert-error', role: 'alert', testid: 'details-error' }, errorText(error)));
      return;
    }
    if (!alive || seq !== loadSeq) return;
    // After a change the previous history stays on screen until the new one replaces it.
    render(token);
    try {
      const page = await historyAnswer;
      if (!alive || seq !== loadSeq) return;
      historyView = historyTimeline(page, (before) => api.tokenHistory({ id, before, limit: HISTORY_PAGE }), errorText);
      replaceChildren(historyBox, historyView);
    } catch (error) {
      if (alive && seq === loadSeq) replaceChildren(historyBox, h('div', { class: 'alert alert-error', role: 'alert', testid: 'details-error' }, errorText(error)));
    }
  }

  function render(token) {
    // Revoked, or rolled (its successor is what changes): nothing on this page edits it.
    const readOnly = token.status === 'REVOKED' || Boolean(token.rolled_to);
    historyBox = h('div', { class: 'history-box' },
      historyView || h('p', { class: 'muted' }, t('common.loading')));
    replaceChildren(root,
      header(token, readOnly),
      lifecycleNote(token),
      h('div', { class: 'details-layout' },
        h('div', {},
          editing && !readOnly ? editForm(token) : infoCard(token),
          compositionCard(token, readOnly),
          numbersCard(token, readOnly)),
        h('section', { class: 'card', 'aria-labelledby': 'details-history-title' },
          h('h2', { id: 'details-history-title', class: 'section-title' }, t('details.history')),
          historyBox)));
  }

  function header(token, readOnly) {
    const rolling = token.status === 'ROLLING';
    const duplicate = h('button', { type: 'button', class: 'btn', testid: 'details-duplicate', onClick: () => navigate(`#/duplicate/${encodeURIComponent(token.id)}`) },
      icon('copy'), t('list.duplicate'));
    const revoke = h('button', { type: 'button', class: 'btn btn-danger-ghost', testid: 'details-revoke', onClick: () => openRevokeModal(token, { onRevoked: load }) },
      icon('trash'), t('list.revoke'));
    let actions;
    if (!readOnly) {
      actions = [
        h('button', { type: 'button', class: 'btn', testid: 'edit-token', disabled: editing, onClick: () => { editing = true; render(token); } },
          icon('edit'), t('details.edit')),
        // After a roll the page of the successor opens: it is the token that now carries the name.
        h('button', { type: 'button', class: 'btn', testid: 'details-roll', onClick: () => openRollDialog(token, { onRolled: (rolled) => navigate(`#/token/${encodeURIComponent(rolled.token.id)}`) }) },
          icon('roll'), t('list.roll')),
        duplicate,
        revoke];
    } else if (rolling) {
      actions = [
        h('button', { type: 'button', class: 'btn btn-danger-ghost', testid: 'details-end-grace', onClick: () => openEndGraceModal(token, { onEnded: load }) },
          icon('power'), t('list.endGrace')),
        duplicate,
        revoke];
    } else {
      actions = [duplicate];
    }
    return h('header', { class: 'page-header' },
      h('div', {},
        h('div', { class: 'title-row' },
          h('h1', { class: 'page-title', testid: 'detail-name' }, token.name),
          environmentChip(token.environment, 'detail-environment'),
          statusBadge(token.status, 'detail-status'),
          token.expiring ? h('span', { class: 'tag tag-warning', testid: 'detail-expiring', title: formatDateTime(token.expires_at) },
            t('list.expiring')) : null),
        h('p', { class: 'page-subtitle mono', testid: 'detail-hint' }, token.hint)),
      h('div', { class: 'header-actions' }, actions));
  }

  /** What a roll means for this token: its successor and until when it works, or what it replaced. */
  function lifecycleNote(token) {
    const link = (ref, testid) => h('a', { href: `#/token/${encodeURIComponent(ref.id)}`, class: 'token-link', testid, 'data-token-id': ref.id }, ref.name);
    if (token.successor && token.status === 'ROLLING') {
      return h('div', { class: 'alert alert-warning', role: 'note', testid: 'detail-rolling' }, icon('roll'),
        h('p', {}, t('details.rollingBefore'), ' ', link(token.successor, 'detail-successor'), '. ',
          h('time', { datetime: token.grace_ends_at, title: formatDateTime(token.grace_ends_at), testid: 'detail-grace', 'data-iso': token.grace_ends_at },
            t('details.rollingUntil', { date: formatDateTime(token.grace_ends_at), relative: formatRelative(token.grace_ends_at) }))));
    }
    if (token.successor) {
      return h('div', { class: 'alert alert-neutral', role: 'note', testid: 'detail-rolled' }, icon('roll'),
        h('p', {}, t('details.rolledBefore'), ' ', link(token.successor, 'detail-successor'), '. ',
          token.grace_ends_at ? t('details.rolledSince', { date: formatDateTime(token.grace_ends_at) }) : null));
    }
    if (token.rolled_from) {
      return h('div', { class: 'alert alert-neutral', role: 'note', testid: 'detail-replaces' }, icon('roll'),
        h('p', {}, t('details.replaces'), ' ', link(token.rolled_from, 'detail-rolled-from'), '.'));
    }
    return null;
  }

  function compositionCard(token, readOnly) {
    return h('section', { class: 'card', 'aria-labelledby': 'details-composition-title' },
      h('div', { class: 'card-header' },
        h('h2', { id: 'details-composition-title', class: 'section-title' }, t('details.composition')),
        readOnly ? null : h('button', { type: 'button', class: 'btn btn-sm', testid: 'details-edit-composition', onClick: () => openCompositionModal(token.id, { onChanged: load }) },
          icon('edit', { size: 14 }), t('details.editComposition'))),
      createCompositionEditor({ triples: fromCards(token.composition), readOnly: true }).element);
  }

  function numbersCard(token, readOnly) {
    return h('section', { class: 'card', 'aria-labelledby': 'details-numbers-title' },
      h('div', { class: 'card-header' },
        h('h2', { id: 'details-numbers-title', class: 'section-title' }, t('details.numbers')),
        readOnly ? null : h('button', { type: 'button', class: 'btn btn-sm', testid: 'details-manage-numbers', onClick: () => openNumbersModal(token.id, { onChanged: load }) },
          icon('phone', { size: 14 }), t('details.manageNumbers'))),
      numbersSummary(token));
  }

  function infoCard(token) {
    const item = (label, value, testid, extra = {}) => [h('dt', {}, label), h('dd', { testid, ...extra }, value)];
    return h('section', { class: 'card', 'aria-label': t('details.info') },
      h('dl', { class: 'detail-grid' },
        item(t('details.id'), h('span', { class: 'mono selectable' }, token.id), 'detail-id'),
        item(t('environment.label'), h('span', {}, environmentChip(token.environment), ' ',
          h('span', { class: 'muted' }, t(token.environment === 'sandbox' ? 'environment.sandboxHelp' : 'environment.liveHelp'))), 'detail-environment-row'),
        item(t('list.col.created'), dateWithExact(token.created_at), 'detail-created', { 'data-iso': token.created_at }),
        item(t('list.col.expiry'), token.expires_at ? dateWithExact(token.expires_at)
          : h('span', { class: 'warning-text' }, icon('alert', { size: 14 }), t('list.noExpiry')), 'detail-expiry', { 'data-iso': token.expires_at || '' }),
        item(t('list.col.lastUsed'), token.last_used_at ? dateWithExact(token.last_used_at) : t('date.never'), 'detail-last-used', { 'data-iso': token.last_used_at || '' }),
        token.revoked_at ? item(t('details.revokedAt'), dateWithExact(token.revoked_at), 'detail-revoked', { 'data-iso': token.revoked_at }) : null,
        item(t('list.col.description'), token.description
          ? h('span', { class: 'pre-line' }, token.description)
          : h('span', { class: 'muted' }, t('details.noDescription')), 'detail-description')));
  }

  function editForm(token) {
    const name = field({
      name: 'name', label: t('create.name'),
      control: h('input', { id: 'edit-name', class: 'input', type: 'text', value: token.name, testid: 'field-name' }),
    });
    const description = field({
      name: 'description', label: t('create.description'), optional: t('common.optional'),
      control: h('textarea', { id: 'edit-description', class: 'input textarea', rows: 3, testid: 'field-description' }, token.description || ''),
    });
    const expiry = createExpiryField({ initial: token.expires_at ? { kind: 'days', days: 30 } : { kind: 'never' }, counted: 'saved' });
    expiry.element.hidden = true;
    const changeExpiry = h('button', {
      type: 'button', class: 'btn btn-sm', testid: 'change-expiry',
      onClick: () => { expiry.element.hidden = false; changeExpiry.remove(); expiry.element.querySelector('input').focus(); },
    }, icon('clock', { size: 14 }), t('details.changeExpiry'));
    const formError = h('div', { class: 'alert alert-error', role: 'alert', testid: 'edit-error', hidden: true });
    const save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'save-token' }, t('common.save'));

    async function submit(event) {
      event.preventDefault();
      name.setError(null);
      description.setError(null);
      formError.hidden = true;
      const changes = {};
      const newName = name.control.value.trim();
      if (!newName) return name.setError(t('create.errorNameRequired'));
      if (newName !== token.name) changes.name = newName;
      if (description.control.value !== (token.description || '')) changes.description = description.control.value;
      if (!expiry.element.hidden) {
        const chosen = expiry.read();
        if (!chosen) return undefined;
        changes.expiry = chosen;
      }
      if (Object.keys(changes).length === 0) {
        editing = false;
        return load();
      }
      save.disabled = true;
      try {
        await api.updateToken({ id: token.id, changes });
        editing = false;
        toast(t('details.saved'));
        return load();
      } catch (error) {
        save.disabled = false;
        const message = errorText(error);
        if (error.field === 'name') name.setError(message);
        else if (error.field === 'description') description.setError(message);
        else if (error.field === 'expiry') expiry.setError(message);
        else { formError.hidden = false; formError.textContent = message; }
        return undefined;
      }
    }

    const form = h('form', { class: 'card form-card', testid: 'edit-form', novalidate: true, onSubmit: submit },
      h('h2', { class: 'section-title' }, t('details.editTitle')),
      name.element,
      description.element,
      h('div', { class: 'field' },
        h('span', { class: 'label' }, t('expiry.label')),
        h('p', { class: 'hint-text' }, token.expires_at ? t('details.currentExpiry', { date: formatDateTime(token.expires_at) }) : t('list.noExpiry')),
        changeExpiry),
      expiry.element,
      formError,
      h('div', { class: 'form-footer' },
        h('button', { type: 'button', class: 'btn', testid: 'cancel-edit', onClick: () => { editing = false; load(); } }, t('common.cancel')),
        save));
    queueMicrotask(() => name.control.focus());
    return form;
  }

  load();
  return () => { alive = false; };
}

function dateWithExact(iso) {
  return h('span', {}, dateText(iso), h('span', { class: 'muted exact-date' }, ` · ${formatDateTime(iso)}`));
}

function numbersSummary(token) {
  if (token.numbers.length === 0 && token.successor) {
    return h('p', { class: 'muted', testid: 'detail-numbers-empty' }, t('details.numbersMoved', { name: token.successor.name }));
  }
  if (token.numbers.length === 0) return h('p', { class: 'muted', testid: 'detail-numbers-empty' }, t('details.noNumbers'));
  return h('ul', { class: 'number-list', testid: 'detail-numbers' }, token.numbers.map((n) =>
    h('li', { class: `number-item${n.enabled ? '' : ' number-disabled'}`, testid: 'detail-number', 'data-number': n.number },
      countryLabel(n.country),
      h('span', { class: 'mono' }, n.formatted),
      h('span', { class: `badge ${n.enabled ? 'badge-enabled' : 'badge-disabled'}` },
        h('span', { class: 'badge-dot', 'aria-hidden': 'true' }), n.enabled ? t('numbers.enabled') : t('numbers.disabled')))));
}
