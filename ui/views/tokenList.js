// Screen 1: the token list (home). Only one page of rows is ever in the DOM.
import * as api from '../api.js';
import { h, replaceChildren, debounce } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatNumber } from '../i18n.js';
import { dateText, statusBadge, errorText } from '../format.js';
import { flag, countryName } from '../state.js';
import { reportListRendered } from '../ready.js';
import { openCompositionModal } from './compositionModal.js';
import { openNumbersModal } from './numbersModal.js';
import { openRevokeModal } from './revokeModal.js';

const PAGE_SIZE = 50;
const STATUSES = ['current', 'active', 'expired', 'revoked', 'all'];
const SORTABLE = ['name', 'created_at', 'expires_at', 'last_used_at'];

// Kept across navigation so coming back from a token shows the same page, filter and sort.
const query = { status: 'current', search: '', sort: 'created_at', descending: true, offset: 0 };

export function mount(container, { navigate }) {
  let requestSeq = 0;
  let alive = true;
  const tbody = h('tbody', { testid: 'token-rows' });
  const table = buildTable(tbody, onSort);
  const range = h('span', { class: 'pager-range', testid: 'list-range', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', class: 'btn btn-sm', testid: 'list-prev', onClick: () => page(-1) },
    icon('chevronLeft'), t('list.previous'));
  const next = h('button', { type: 'button', class: 'btn btn-sm', testid: 'list-next', onClick: () => page(1) },
    t('list.next'), icon('chevronRight'));
  // Jumps to either end: with 10,000 tokens the last page is 200 clicks of Next away.
  const firstPage = h('button', { type: 'button', class: 'btn btn-sm', testid: 'list-first', title: t('list.first'), 'aria-label': t('list.first'), onClick: () => jump(false) },
    icon('chevronsLeft'));
  const lastPage = h('button', { type: 'button', class: 'btn btn-sm', testid: 'list-last', title: t('list.last'), 'aria-label': t('list.last'), onClick: () => jump(true) },
    icon('chevronsRight'));
  let shownTotal = 0;
  const errorBox = h('div', { class: 'alert alert-error', role: 'alert', testid: 'list-error', hidden: true });
  const tableArea = h('div', { class: 'table-area' });

  const search = h('input', {
    type: 'search',
    id: 'token-search',
    class: 'input',
    placeholder: t('list.searchPlaceholder'),
    value: query.search,
    testid: 'list-search',
    autocomplete: 'off',
    onInput: debounce(() => {
      query.search = search.value;
      query.offset = 0;
      load();
    }, 250),
  });
  const statusSelect = h('select', {
    id: 'token-status-filter',
    class: 'select',
    testid: 'list-status-filter',
    onChange: () => {
      query.status = statusSelect.value;
      query.offset = 0;
      load();
    },
  }, STATUSES.map((s) => h('option', { value: s, selected: s === query.status }, t(`list.filter.${s}`))));

  const toolbar = h('div', { class: 'toolbar', role: 'search' },
      h('div', { class: 'search-field' },
        h('label', { for: 'token-search', class: 'visually-hidden' }, t('list.searchLabel')),
        icon('search'),
        search),
      h('div', { class: 'inline-field' },
        h('label', { for: 'token-status-filter' }, t('list.statusLabel')),
        statusSelect));
  replaceChildren(container,
    h('header', { class: 'page-header' },
      h('div', {},
        h('h1', { class: 'page-title' }, t('list.title')),
        h('p', { class: 'page-subtitle' }, t('list.subtitle')))),
    toolbar,
    errorBox,
    tableArea);

  function onSort(column) {
    if (query.sort === column) query.descending = !query.descending;
    else {
      query.sort = column;
      query.descending = column !== 'name';
    }
    query.offset = 0;
    load();
  }

  function page(direction) {
    query.offset = Math.max(0, query.offset + direction * PAGE_SIZE);
    load();
  }

  function jump(toLast) {
    query.offset = toLast ? Math.max(0, Math.floor((shownTotal - 1) / PAGE_SIZE) * PAGE_SIZE) : 0;
    load();
  }

  const actions = { reload: () => load() };

  async function load() {
    const seq = ++requestSeq;
    tableArea.setAttribute('aria-busy', 'true');
    let result;
    try {
      result = await api.listTokens({
        query: {
          status: query.status,
          search: query.search.trim() || null,
          sort: query.sort,
          descending: query.descending,
          offset: query.offset,
          limit: PAGE_SIZE,
        },
      });
    } catch (error) {
      if (!alive || seq !== requestSeq) return;
      tableArea.removeAttribute('aria-busy');
      errorBox.hidden = false;
      errorBox.textContent = errorText(error);
      return;
    }
    if (!alive || seq !== requestSeq) return;
    errorBox.hidden = true;
    tableArea.removeAttribute('aria-busy');
    // A revoke on the last row of the last page leaves an empty page: step back one.
    if (result.items.length === 0 && result.total > 0 && query.offset > 0) {
      query.offset = Math.max(0, Math.floor((result.total - 1) / PAGE_SIZE) * PAGE_SIZE);
      load();
      return;
    }
    // No current token may still mean revoked ones exist: then the filter must stay reachable.
    let revokedOnly = false;
    if (result.total === 0 && query.status === 'current' && query.search.trim() === '') {
      try {
        const everything = await api.listTokens({ query: { status: 'all', search: null, sort: query.sort, descending: query.descending, offset: 0, limit: 1 } });
        revokedOnly = everything.total > 0;
      } catch {
        revokedOnly = false;
      }
      if (!alive || seq !== requestSeq) return;
    }
    render(result, revokedOnly);
    reportListRendered();
  }

  function render({ items, total }, revokedOnly = false) {
    const filtered = query.status !== 'current' || query.search.trim() !== '';
    // With no token at all there is nothing to search: the empty state stands alone. With only
    // revoked tokens it invites a new one, and the toolbar keeps the revoked filter reachable.
    toolbar.hidden = total === 0 && !filtered && !revokedOnly;
    if (total === 0 && !filtered) {
      replaceChildren(tableArea, emptyState(navigate));
      return;
    }
    if (total === 0) {
      replaceChildren(tableArea, noMatch(() => {
        query.search = '';
        query.status = 'current';
        search.value = '';
        statusSelect.value = 'current';
        load();
      }));
      return;
    }
    updateSortHeaders(table);
    const fragment = document.createDocumentFragment();
    for (const token of items) fragment.append(row(token, actions));
    tbody.replaceChildren(fragment);
    const first = query.offset + 1;
    const last = query.offset + items.length;
    range.textContent = t('list.range', { first: formatNumber(first), last: formatNumber(last), total: formatNumber(total) });
    shownTotal = total;
    prev.disabled = query.offset === 0;
    next.disabled = last >= total;
    firstPage.disabled = prev.disabled;
    lastPage.disabled = next.disabled;
    if (!tableArea.contains(table)) {
      replaceChildren(tableArea,
        h('div', { class: 'table-scroll' }, table),
        h('div', { class: 'pager' }, range, h('div', { class: 'pager-buttons' }, firstPage, prev, next, lastPage)));
    }
  }

  load();
  return () => { alive = false; };
}

function buildTable(tbody, onSort) {
  const header = (key, column) => {
    const th = h('th', { scope: 'col', class: `col-${key}`, data: { column: column || '' } });
    if (column) {
      th.append(h('button', { type: 'button', class: 'sort-button', testid: `sort-${column}`, onClick: () => onSort(column) },
        t(`list.col.${key}`), h('span', { class: 'sort-icon' })));
    } else {
      th.append(t(`list.col.${key}`));
    }
    return th;
  };
  return h('table', { class: 'data-table', testid: 'token-table' },
    h('caption', { class: 'visually-hidden' }, t('list.caption')),
    h('thead', {},
      h('tr', {},
        header('name', 'name'),
        header('created', 'created_at'),
        header('expiry', 'expires_at'),
        header('status'),
        header('composition'),
        header('numbers'),
        header('lastUsed', 'last_used_at'),
        header('description'),
        h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'visually-hidden' }, t('list.col.actions'))))),
    tbody);
}

function updateSortHeaders(table) {
  for (const th of table.querySelectorAll('th[data-column]')) {
    const column = th.dataset.column;
    if (!SORTABLE.includes(column)) continue;
    const active = query.sort === column;
    th.setAttribute('aria-sort', active ? (query.descending ? 'descending' : 'ascending') : 'none');
    const slot = th.querySelector('.sort-icon');
    slot.replaceChildren(icon(active ? (query.descending ? 'arrowDown' : 'arrowUp') : 'sort', { size: 14 }));
    slot.classList.toggle('sort-icon-idle', !active);
  }
}

function dateCell(iso, testid, emptyKey) {
  return h('td', { testid, 'data-iso': iso || '', class: 'cell-date' },
    dateText(iso, { empty: t(emptyKey) }));
}

function expiryCell(token) {
  const cell = dateCell(token.expires_at, 'cell-expiry', 'list.noExpiry');
  if (!token.expires_at) cell.classList.add('cell-warning');
  return cell;
}

function compositionSummary(countries) {
  const shown = countries.slice(0, 4);
  const names = countries.map(countryName).join(', ');
  return h('span', { class: 'flag-stack', title: names },
    shown.map((iso) => flag(iso)),
    countries.length > shown.length ? h('span', { class: 'flag-more' }, `+${countries.length - shown.length}`) : null,
    h('span', { class: 'visually-hidden' }, names));
}

function row(token, { reload }) {
  const revoked = token.status === 'REVOKED';
  return h('tr', { testid: 'token-row', 'data-token-id': token.id, class: revoked ? 'row-revoked' : null },
    h('td', {},
      h('div', { class: 'cell-name-col' },
        h('a', { href: `#/token/${encodeURIComponent(token.id)}`, class: 'token-name', testid: 'cell-name' }, token.name),
        h('span', { class: 'mono hint', testid: 'cell-hint' }, token.hint))),
    dateCell(token.created_at, 'cell-created', 'date.never'),
    expiryCell(token),
    h('td', { testid: 'cell-status' }, statusBadge(token.status)),
    h('td', {},
      h('div', { class: 'cell-inline' },
        compositionSummary(token.countries),
        h('button', {
          type: 'button',
          class: 'btn btn-sm',
          testid: 'view-composition',
          'aria-label': t('list.viewCompositionOf', { name: token.name }),
          onClick: () => openCompositionModal(token.id, { onChanged: reload }),
        }, t('list.view')))),
    h('td', {},
      h('div', { class: 'cell-inline' },
        h('span', {
          class: 'count',
          testid: 'cell-numbers-count',
          title: t('list.numbersTitle', { count: token.number_count, enabled: token.enabled_number_count }),
        }, formatNumber(token.number_count)),
        revoked ? null : h('button', {
          type: 'button',
          class: 'btn btn-sm',
          testid: 'manage-numbers',
          'aria-label': t('list.manageNumbersOf', { name: token.name }),
          onClick: () => openNumbersModal(token.id, { onChanged: reload }),
        }, t('list.manage')))),
    dateCell(token.last_used_at, 'cell-last-used', 'date.never'),
    h('td', { class: 'cell-description', testid: 'cell-description', title: token.description || null },
      h('span', { class: 'clamp' }, token.description || '')),
    h('td', { class: 'col-actions' },
      revoked ? null : h('button', {
        type: 'button',
        class: 'btn-icon btn-icon-danger',
        testid: 'revoke-token',
        'aria-label': t('list.revokeNamed', { name: token.name }),
        title: t('list.revoke'),
        onClick: () => openRevokeModal(token, { onRevoked: reload }),
      }, icon('trash'))));
}

function emptyState(navigate) {
  return h('section', { class: 'empty-state', testid: 'empty-state' },
    h('div', { class: 'empty-icon', 'aria-hidden': 'true' }, icon('key', { size: 28 })),
    h('h2', {}, t('list.empty.title')),
    h('p', {}, t('list.empty.body1')),
    h('p', { class: 'muted' }, t('list.empty.body2')),
    h('button', { type: 'button', class: 'btn btn-primary', testid: 'empty-create-token', onClick: () => navigate('#/new') },
      icon('plus'), t('list.empty.create')));
}

function noMatch(onClear) {
  return h('section', { class: 'empty-state empty-state-small', testid: 'no-match' },
    h('h2', {}, t('list.noMatch.title')),
    h('p', { class: 'muted' }, t('list.noMatch.body')),
    h('button', { type: 'button', class: 'btn', testid: 'clear-filters', onClick: onClear }, t('list.noMatch.clear')));
}
