// Shared presentational pieces: dates, status badges, error texts.
import { h } from './dom.js';
import { t, formatRelative, formatDateTime, currentLanguage, hasKey } from './i18n.js';

/** A relative date with the exact local date on hover and the ISO value for tests. */
export function dateText(iso, { testid = null, empty = null } = {}) {
  if (!iso) return h('span', { class: 'muted', testid, 'data-iso': '' }, empty ?? t('date.never'));
  return h('time', {
    datetime: iso,
    title: formatDateTime(iso),
    testid,
    'data-iso': iso,
  }, formatRelative(iso));
}

export function statusBadge(status, testid = null) {
  const kind = String(status).toLowerCase();
  return h('span', { class: `badge badge-${kind}`, testid, 'data-status': status },
    h('span', { class: 'badge-dot', 'aria-hidden': 'true' }), t(`status.${kind}`));
}

/**
 * The environment of a token as a chip: "Live" or "Sandbox", with its secret's prefix on hover. The
 * word is always there (not only the colour).
 */
export function environmentChip(environment, testid = null) {
  const sandbox = environment === 'sandbox';
  return h('span', {
    class: `env-chip env-${sandbox ? 'sandbox' : 'live'}`,
    testid,
    'data-environment': sandbox ? 'sandbox' : 'live',
    title: t(sandbox ? 'environment.sandboxTitle' : 'environment.liveTitle'),
  }, t(sandbox ? 'environment.sandbox' : 'environment.live'));
}

/**
 * The text to show for an API error. English keeps the backend's sentence, which is the most
 * specific; other languages use the translation of its kind.
 */
export function errorText(error) {
  if (!error) return '';
  if (currentLanguage() === 'en' && error.message) return error.message;
  const key = `error.${error.kind}`;
  return hasKey(key) ? t(key) : (error.message || t('error.internal'));
}
