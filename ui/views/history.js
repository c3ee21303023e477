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
  }
  return { main, extra };
}

/** Events shown at first, and added by each "Show older events": a token used for payments
 * every minute gathers thousands of events, and its details must still open at once. */
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

/** The history, newest first (`events` come oldest first), a page at a time. */
export function historyTimeline(events) {
  if (events.length === 0) return h('p', { class: 'muted', testid: 'history-empty' }, t('details.noHistory'));
  const list = h('ol', { class: 'timeline', testid: 'history' });
  let shown = 0;
  const more = h('button', { type: 'button', class: 'btn btn-sm timeline-more', testid: 'history-more', onClick: () => showMore(true) });

  function showMore(focus) {
    const page = [];
    for (let i = events.length - 1 - shown; i >= 0 && page.length < HISTORY_PAGE; i -= 1) page.push(eventItem(events[i]));
    shown += page.length;
    list.append(...page);
    const left = events.length - shown;
    more.hidden = left === 0;
    more.textContent = t('details.historyMore', { count: Math.min(left, HISTORY_PAGE) });
    // Keyboard and screen-reader users continue from the first event just shown.
    if (focus && page.length > 0) {
      page[0].tabIndex = -1;
      page[0].focus();
    }
  }

  showMore(false);
  return h('div', { class: 'timeline-wrap' }, list, more);
}
