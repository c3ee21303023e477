// The token's history timeline: each event kind in plain words.
import { h } from '../dom.js';
import { icon } from '../icons.js';
import { t, hasKey, formatDateTime } from '../i18n.js';
import { dateText } from '../format.js';
import { countryName, operatorName, methodName } from '../state.js';
import { reasonLabel } from '../reasons.js';

const ICONS = {
  created: 'key',
  composition_changed: 'globe',
  number_added: 'phone',
  number_disabled: 'power',
  number_enabled: 'power',
  number_removed: 'phone',
  name_changed: 'edit',
  description_changed: 'edit',
  expiry_changed: 'clock',
  revoked: 'ban',
  rolled: 'roll',
  grace_ended: 'power',
  reminded: 'clock',
  pruned: 'trash',
  used: 'checkCircle',
  denied: 'xCircle',
};

const first = (detail, keys) => keys.map((k) => detail[k]).find((v) => v !== undefined && v !== null && v !== '');

/** The payment that was checked, when the event's detail names it. */
function paymentContext(detail) {
  const parts = [];
  if (detail.operator && detail.country) parts.push(operatorName(detail.country, detail.operator));
  if (detail.method) parts.push(methodName(detail.method));
  if (detail.country) parts.push(countryName(detail.country));
  const phone = first(detail, ['formatted', 'phone', 'number']);
  if (phone) parts.push(phone);
  return parts.join(' · ');
}

function sentence(event) {
  const detail = event.detail && typeof event.detail === 'object' ? event.detail : {};
  const kind = hasKey(`history.${event.kind}`) ? event.kind : 'other';
  const number = first(detail, ['formatted', 'number', 'phone']);
  const params = { kind: event.kind, number: number || '' };
  let main = t(number && hasKey(`history.${kind}.number`) ? `history.${kind}.number` : `history.${kind}`, params);
  let extra = '';
  if (kind === 'used' || kind === 'denied') {
    extra = paymentContext(detail);
    if (kind === 'denied' && detail.reason) main = t('history.deniedReason', { reason: reasonLabel(detail.reason) });
  } else if (kind === 'name_changed' && detail.from && detail.to) {
    extra = `${detail.from} → ${detail.to}`;
  } else if (kind === 'expiry_changed' && ('from' in detail || 'to' in detail)) {
    const when = (value) => (value ? formatDateTime(value) : t('list.noExpiry'));
    extra = `${when(detail.from)} → ${when(detail.to)}`;
  } else if (kind === 'composition_changed' && Array.isArray(detail.added) && Array.isArray(detail.removed)) {
    extra = t('history.compositionDelta', { added: detail.added.length, removed: detail.removed.length });
  } else if (kind === 'rolled') {
    // The old token's event names its successor (`to`), the successor's the token it replaces (`from`).
    const moved = Array.isArray(detail.numbers_moved) ? detail.numbers_moved.length : 0;
    if (detail.from) main = t('history.rolledFrom');
    else if (detail.grace_ends_at) extra = t('history.rolledGrace', { date: formatDateTime(detail.grace_ends_at) });
    if (detail.renamed_from && detail.renamed_to) extra = [`${detail.renamed_from} → ${detail.renamed_to}`, extra].filter(Boolean).join(' · ');
    if (moved > 0) extra = [extra, t('history.numbersMoved', { count: moved })].filter(Boolean).join(' · ');
  } else if (kind === 'reminded' && Number.isInteger(detail.threshold_days)) {
    main = detail.threshold_days === 0 ? t('history.remindedAtExpiry') : t('history.remindedDays', { count: detail.threshold_days });
  } else if (kind === 'pruned' && Number.isInteger(detail.count)) {
    main = t('history.prunedCount', { count: detail.count });
  }
  return { main, extra };
}

/** Events asked for at first, and by each "Show older events": a token used for payments every
 * minute gathers thousands of events, and its details must still open at once. The shell reads
 * them a page at a time (`token_history` with `before` and `limit`). */
export const HISTORY_PAGE = 20;

function eventItem(event) {
  const { main, extra } = sentence(event);
  return h('li', { class: `timeline-item timeline-${event.kind}`, testid: 'history-event', 'data-kind': event.kind },
    h('span', { class: 'timeline-icon', 'aria-hidden': 'true' }, icon(ICONS[event.kind] || 'info', { size: 14 })),
    h('div', { class: 'timeline-body' },
      h('p', { class: 'timeline-text' }, main),
      extra ? h('p', { class: 'timeline-extra muted' }, extra) : null),
    h('span', { class: 'timeline-date muted' }, dateText(event.at)));
}

/**
 * The history, newest first, from its first page (`{ events, older }`, events newest first).
 * `loadOlder(beforeId)` answers the next page; `describe(error)` words a failure.
 */
export function historyTimeline(firstPage, loadOlder, describe) {
  if (firstPage.events.length === 0) return h('p', { class: 'muted', testid: 'history-empty' }, t('details.noHistory'));
  const list = h('ol', { class: 'timeline', testid: 'history' });
  const failure = h('div', { class: 'alert alert-error', role: 'alert', testid: 'details-error', hidden: true });
  const more = h('button', { type: 'button', class: 'btn btn-sm timeline-more', testid: 'history-more', onClick: () => showOlder() });
  let oldest = null;

  function add(page, focus) {
    const items = page.events.map(eventItem);
    list.append(...items);
    if (page.events.length > 0) oldest = page.events[page.events.length - 1].id;
    more.hidden = page.older === 0;
    more.textContent = t('details.historyMore', { count: Math.min(page.older, HISTORY_PAGE) });
    // Keyboard and screen-reader users continue from the first event just shown.
    if (focus && items.length > 0) {
      items[0].tabIndex = -1;
      items[0].focus();
    }
  }

  async function showOlder() {
    more.disabled = true;
    failure.hidden = true;
    try {
      add(await loadOlder(oldest), true);
    } catch (error) {
      failure.textContent = describe(error);
      failure.hidden = false;
    } finally {
      more.disabled = false;
    }
  }

  add(firstPage, false);
  return h('div', { class: 'timeline-wrap' }, list, failure, more);
}
