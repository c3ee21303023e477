// Screen 1: the token list (home). Only one page of rows is ever in the DOM, and its rows are built
// once: paging, sorting and searching write the new tokens into the same row nodes. A new page is
// written first into the rows the merchant can see, and the rest once that is painted.
import * as api from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { icon } from '../icons.js';
import { t, formatNumber, formatDateTime, formatRelative } from '../i18n.js';
import { statusBadge, errorText } from '../format.js';
import { flag, flagSource, countryName } from '../state.js';
import { markPhase, reportListRendered } from '../ready.js';
import { lazy, withModule } from '../lazy.js';
import { query, pageQuery, place, pageKey, toFirstPage, showNewToken } from '../listQuery.js';

// The dialogs of a row's buttons, loaded after the first page is painted (or on a first click).
const compositionModal = lazy(() => import('./compositionModal.js'));
const numbersModal = lazy(() => import('./numbersModal.js'));
const revokeModal = lazy(() => import('./revokeModal.js'));
const actionMenu = lazy(() => import('./actionMenu.js'));
const rollDialog = lazy(() => import('./rollDialog.js'));
const endGraceModal = lazy(() => import('./endGraceModal.js'));

// Every row is this tall (`.data-table tbody tr` in styles.css) and the columns have fixed widths,
// so which rows are in view follows from the scroll position alone, and rows written after the
// first frame cannot move the ones already shown.
const ROW_HEIGHT = 56;
// The height of the page around the table's scrolling box: its max-height in styles.css is the
// window's height less this. Should the CSS leave more room than this says (by more than the
// overscan), the first frame of the list would show rows not yet written: the scale end-to-end
// test checks every row in view when the clock stops.
const AROUND_TABLE = 260;
// Rows written beyond the edges of the view, so a small scroll finds them ready.
const OVERSCAN = 2;
// Rows written per task once the rows in view are painted: a few milliseconds, short enough not to
// hold up a click or a keystroke.
const CHUNK = 10;
// The table dims only when an answer takes longer than this: a fast page change repaints once.
const BUSY_DELAY_MS = 150;
const STATUSES = ['current', 'active', 'expiring', 'rolling', 'expired', 'rolled', 'revoked', 'all'];
// The environment filter's values; `all` is no filter (null in the query).
const ENVIRONMENTS = ['all', 'live', 'sandbox'];
// Expiring tokens the banner names, each with its Roll… button; "Show them" filters the list to all.
const BANNER_TOKENS = 3;
// The banner's last answer. The list shows it at once when it opens again, then asks anew: the
// banner's height moves the table, and a banner that came back only after the rows were painted
// would move the rows the merchant left in view.
let lastBanner = null;
const SORTABLE = ['name', 'created_at', 'expires_at', 'last_used_at'];


export function mount(container, { navigate }) {
  // The page is asked for first, and the view built while the answer is on its way (at the app's
  // start main.js has asked already: the same query keeps that request).
  api.prefetchListTokens({ query: pageQuery() });
  let requestSeq = 0;
  let alive = true;
  let busyTimer = null;
  const tbody = h('tbody', { testid: 'token-rows' });
  const rows = [];
  const table = buildTable(tbody, onSort);
  const scroller = h('div', { class: 'table-scroll' }, table);
  // The tokens of the page on screen not yet written into their rows (null once written), and how
  // many are left: while any is, the rows below the view still show the previous page, and the
  // body says so to assistive technology (and to the tests) with aria-busy.
  let pending = [];
  let left = 0;
  let fillSeq = 0;
  let toTop = false;
  // Where the table is scrolled, as its scroll events report it: the list keeps it when it is left
  // (`place`) without reading scrollTop then, which would lay the list out again just before it goes.
  let scrolledTo = 0;
  scroller.addEventListener('scroll', () => {
    scrolledTo = scroller.scrollTop;
    fillRange(...inView());
  }, { passive: true });
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
  // The tokens of the page on screen (the cursors of the next and previous pages).
  let shownItems = [];
  // The page on screen (pageKey), and where the table is scrolled when it is first shown: where the
  // merchant left this same page, else its top.
  let shownKey = '';
  let openAt = 0;
  const errorBox = h('div', { class: 'alert alert-error', role: 'alert', testid: 'list-error', hidden: true });
  const tableArea = h('div', { class: 'table-area' });

  // Every keystroke searches at once, with at most one search on its way: keystrokes typed while
  // one is answered become a single search for the newest text when it returns, so a word typed
  // at speed costs two or three queries, and a pause is answered without waiting for a timer.
  let searching = false;
  let searchAgain = false;
  const runSearch = async () => {
    if (searching) {
      searchAgain = true;
      return;
    }
    if (search.value === query.search) return;
    query.search = search.value;
    toFirstPage();
    searching = true;
    try {
      await load({ top: true });
    } finally {
      searching = false;
    }
    if (searchAgain && alive) {
      searchAgain = false;
      runSearch();
    }
  };
  const search = h('input', {
    type: 'search',
    id: 'token-search',
    class: 'input',
    placeholder: t('list.searchPlaceholder'),
    value: query.search,
    testid: 'list-search',
    autocomplete: 'off',
    onInput: runSearch,
    onKeydown: (event) => { if (event.key === 'Enter') runSearch(); },
  });
  const statusSelect = h('select', {
    id: 'token-status-filter',
    class: 'select',
    testid: 'list-status-filter',
    onChange: () => {
      query.status = statusSelect.value;
      toFirstPage();
      load({ top: true });
    },
  }, STATUSES.map((s) => h('option', { value: s, selected: s === query.status }, t(`list.filter.${s}`))));
  const environmentSelect = h('select', {
    id: 'token-environment-filter',
    class: 'select',
    testid: 'list-environment-filter',
    onChange: () => {
      query.environment = environmentSelect.value === 'all' ? null : environmentSelect.value;
      toFirstPage();
      load({ top: true });
    },
  }, ENVIRONMENTS.map((e) => h('option', { value: e, selected: e === (query.environment ?? 'all') }, t(`list.environment.${e}`))));

  const toolbar = h('div', { class: 'toolbar', role: 'search' },
      h('div', { class: 'search-field' },
        h('label', { for: 'token-search', class: 'visually-hidden' }, t('list.searchLabel')),
        icon('search'),
        search),
      h('div', { class: 'inline-field' },
        h('label', { for: 'token-status-filter' }, t('list.statusLabel')),
        statusSelect),
      h('div', { class: 'inline-field' },
        h('label', { for: 'token-environment-filter' }, t('list.environmentLabel')),
        environmentSelect));
  const banner = h('div', { class: 'alert alert-warning expiring-banner', role: 'status', testid: 'expiring-banner', hidden: true });
  replaceChildren(container,
    h('header', { class: 'page-header' },
      h('div', {},
        h('h1', { class: 'page-title' }, t('list.title')),
        h('p', { class: 'page-subtitle' }, t('list.subtitle')))),
    banner,
    toolbar,
    errorBox,
    tableArea);

  function onSort(column) {
    if (query.sort === column) query.descending = !query.descending;
    else {
      query.sort = column;
      query.descending = column !== 'name';
    }
    toFirstPage();
    load({ top: true });
  }

  // Keyset paging: the page after the last row shown, or before the first one.
  function page(direction) {
    if (shownItems.length === 0) return;
    query.page = direction > 0
      ? { kind: 'after', cursor: shownItems[shownItems.length - 1].id }
      : { kind: 'before', cursor: shownItems[0].id };
    load({ top: true });
  }

  function jump(toLast) {
    query.page = { kind: toLast ? 'last' : 'first' };
    load({ top: true });
  }

  /** Where the page just read starts in the whole list (its first row's index). */
  function positionOf(result) {
    switch (query.page.kind) {
      case 'after': return query.position + shownItems.length;
      case 'before': return result.has_previous ? Math.max(0, query.position - result.items.length) : 0;
      case 'last': return Math.max(0, result.total - result.items.length);
      default: return 0;
    }
  }

  /** The rows in view, with the overscan, as [from, to). */
  function inView() {
    // Before the table is on screen its box has no height yet: the window's height less the page
    // around the table bounds it (the `.table-scroll` max-height in styles.css), and its scroll
    // position is the one it will be given (`openAt`).
    const shown = scroller.isConnected;
    const height = shown ? scroller.clientHeight : window.innerHeight - AROUND_TABLE;
    const top = shown ? scroller.scrollTop : openAt;
    return [Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN), Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN];
  }

  /** Writes the pending tokens of rows [from, to) into their rows, putting rows in the table as needed. */
  function fillRange(from, to) {
    const end = Math.min(to, pending.length);
    for (let index = from; index < end; index++) {
      if (pending[index] === null) continue;
      while (tbody.childElementCount <= index) {
        const count = tbody.childElementCount;
        if (!rows[count]) rows[count] = createRow(actions);
        tbody.append(rows[count].element);
      }
      rows[index].update(pending[index]);
      pending[index] = null;
      left--;
    }
    if (left === 0) tbody.removeAttribute('aria-busy');
  }

  /** After the first two frames, the rest of the page, a few rows per task. */
  function fillRest(seq) {
    let next = 0;
    const step = () => {
      if (seq !== fillSeq || left === 0) return;
      while (next < pending.length && pending[next] === null) next++;
      fillRange(next, next + CHUNK);
      if (left > 0) setTimeout(step, 0);
    };
    // A task queued from an animation frame runs once that frame is painted; waiting for the second
    // frame keeps this work out of the first one and of the frame after it, whatever else the page
    // queued for them.
    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(step, 0)));
  }

  // A change made from a row (revoke, roll, end now...) reads the page and the banner again.
  const actions = {
    reload: () => { load(); loadBanner(); },
    navigate,
    // After a roll, the list shows the successor first, marked, as after a create.
    showToken: (id) => {
      showNewToken(id);
      syncControls();
      load({ top: true });
      loadBanner();
    },
  };

  function syncControls() {
    search.value = query.search;
    statusSelect.value = query.status;
    environmentSelect.value = query.environment ?? 'all';
  }

  // The banner reads its own query (expiring tokens, both environments, whatever the filter), soonest
  // first. A failure hides it: the list itself says what went wrong.
  let bannerSeq = 0;
  async function loadBanner() {
    const seq = ++bannerSeq;
    let result;
    try {
      result = await api.listTokens({ query: {
        status: 'expiring', environment: null, search: null, sort: 'expires_at', descending: false,
        page: { kind: 'first' }, limit: BANNER_TOKENS,
      } });
    } catch {
      result = { items: [], total: 0 };
    }
    if (!alive || seq !== bannerSeq) return;
    lastBanner = result;
    renderBanner(result);
  }

  function renderBanner({ items, total }) {
    banner.hidden = total === 0;
    if (total === 0) {
      banner.replaceChildren();
      return;
    }
    banner.dataset.count = String(total);
    banner.replaceChildren(icon('clock'),
      h('div', { class: 'expiring-banner-body' },
        h('strong', { testid: 'expiring-banner-text' }, t('list.expiringBanner', { count: total })),
        h('ul', { class: 'expiring-banner-list' }, items.map((token) => h('li', { testid: 'expiring-banner-token', 'data-token-id': token.id },
          h('a', { href: `#/token/${encodeURIComponent(token.id)}`, class: 'expiring-banner-name', title: token.name }, token.name),
          h('time', { class: 'muted', datetime: token.expires_at, title: formatDateTime(token.expires_at) }, formatRelative(token.expires_at)),
          h('button', {
            type: 'button', class: 'btn btn-sm', testid: 'expiring-roll', 'aria-label': t('list.rollNamed', { name: token.name }),
            onClick: () => withModule(rollDialog, (m) => m.openRollDialog(token, { onRolled: (rolled) => actions.showToken(rolled.token.id) })),
          }, t('list.roll')))))),
      query.status === 'expiring' ? null : h('button', {
        type: 'button', class: 'btn btn-sm btn-ghost', testid: 'expiring-show',
        onClick: () => {
          query.status = 'expiring';
          syncControls();
          toFirstPage();
          load({ top: true });
          loadBanner();
        },
      }, t('list.expiringShow', { count: total })));
  }

  function notBusy() {
    clearTimeout(busyTimer);
    tableArea.removeAttribute('aria-busy');
  }

  // `top`: the answer is a different page, shown from its first row (a reload after an edit keeps
  // the merchant's place).
  async function load({ top = false } = {}) {
    const seq = ++requestSeq;
    if (top) toTop = true;
    clearTimeout(busyTimer);
    busyTimer = setTimeout(() => tableArea.setAttribute('aria-busy', 'true'), BUSY_DELAY_MS);
    let result;
    const asked = pageQuery();
    try {
      result = await api.listTokens({ query: asked });
    } catch (error) {
      if (!alive || seq !== requestSeq) return;
      notBusy();
      errorBox.hidden = false;
      errorBox.textContent = errorText(error);
      return;
    }
    if (!alive || seq !== requestSeq) return;
    markPhase('answer');
    errorBox.hidden = true;
    notBusy();
    // A revoke on the last row of the last page leaves an empty page: show the last one.
    if (result.items.length === 0 && result.total > 0 && query.page.kind !== 'first') {
      query.page = { kind: result.has_previous ? 'last' : 'first' };
      openAt = 0;
      load();
      return;
    }
    query.position = positionOf(result);
    // No current token may still mean revoked ones exist: then the filter must stay reachable.
    let revokedOnly = false;
    if (result.total === 0 && query.status === 'current' && query.environment === null && query.search.trim() === '') {
      try {
        const everything = await api.listTokens({ query: { status: 'all', environment: null, search: null, sort: query.sort, descending: query.descending, page: { kind: 'first' }, limit: 1 } });
        revokedOnly = everything.total > 0;
      } catch {
        revokedOnly = false;
      }
      if (!alive || seq !== requestSeq) return;
    }
    shownKey = pageKey(asked);
    render(result, revokedOnly);
    // Only the first page shown opens where the merchant left it.
    openAt = 0;
    reportListRendered();
  }

  function render({ items, total, has_previous: hasPrevious, has_next: hasNext }, revokedOnly = false) {
    const filtered = query.status !== 'current' || query.environment !== null || query.search.trim() !== '';
    // With no token at all there is nothing to search: the empty state stands alone. With only
    // revoked tokens it invites a new one, and the toolbar keeps the revoked filter reachable.
    toolbar.hidden = total === 0 && !filtered && !revokedOnly;
    fillSeq++;
    if (total === 0 && !filtered) {
      replaceChildren(tableArea, emptyState(navigate));
      return;
    }
    if (total === 0) {
      replaceChildren(tableArea, noMatch(() => {
        query.search = '';
        query.status = 'current';
        query.environment = null;
        syncControls();
        load();
        loadBanner();
      }));
      return;
    }
    updateSortHeaders(table);
    // Only the row count changes the children, and only at the end: the rows that stay are never
    // taken out and put back (WebKit styles a re-inserted row from scratch, so a search that
    // changes the count would otherwise cost as much as the first rendering of the page).
    while (tbody.childElementCount > items.length) tbody.lastElementChild.remove();
    if (toTop) {
      toTop = false;
      scroller.scrollTop = 0;
      scrolledTo = 0;
    }
    pending = items.slice();
    left = items.length;
    tbody.setAttribute('aria-busy', 'true');
    fillRange(...inView());
    if (left > 0) fillRest(fillSeq);
    const first = query.position + 1;
    const last = query.position + items.length;
    range.textContent = t('list.range', { first: formatNumber(first), last: formatNumber(last), total: formatNumber(total) });
    shownItems = items;
    prev.disabled = !hasPrevious;
    next.disabled = !hasNext;
    firstPage.disabled = prev.disabled;
    lastPage.disabled = next.disabled;
    if (!tableArea.contains(table)) {
      replaceChildren(tableArea,
        scroller,
        h('div', { class: 'pager' }, range, h('div', { class: 'pager-buttons' }, firstPage, prev, next, lastPage)));
      // The rows in view at this position are written (inView above). Past the end of a page
      // that has become shorter, the browser stops at its end, and the scroll writes what it shows.
      if (openAt > 0) {
        scroller.scrollTop = openAt;
        scrolledTo = scroller.scrollTop;
      }
    }
  }

  // Opened on the page the merchant left (back from a token's details), the list shows it where
  // it was; a page the merchant changed since (sorted, searched, created a token) opens at its top.
  if (place.key === pageKey(pageQuery())) openAt = place.top;
  if (lastBanner) renderBanner(lastBanner);
  load();
  loadBanner();
  return () => {
    alive = false;
    fillSeq++;
    clearTimeout(busyTimer);
    place.key = tableArea.contains(table) ? shownKey : '';
    place.top = place.key ? scrolledTo : 0;
    place.newToken = null;
  };
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
  // The name's column holds the description too, on its second line.
  const nameHeader = header('name', 'name');
  nameHeader.append(h('span', { class: 'th-secondary' }, ` · ${t('list.col.description')}`));
  return h('table', { class: 'data-table', testid: 'token-table' },
    h('caption', { class: 'visually-hidden' }, t('list.caption')),
    h('thead', {},
      h('tr', {},
        nameHeader,
        header('created', 'created_at'),
        header('expiry', 'expires_at'),
        header('status'),
        header('composition'),
        header('numbers'),
        header('lastUsed', 'last_used_at'),
        h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'visually-hidden' }, t('list.col.actions'))))),
    tbody);
}

function updateSortHeaders(table) {
  const order = `${query.sort} ${query.descending}`;
  if (table.dataset.order === order) return;
  table.dataset.order = order;
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

/**
 * One row of the table, built once and refilled by `update(token)` for every page: the nodes,
 * listeners and icons stay, only texts and attributes change.
 */
function createRow({ reload, navigate, showToken }) {
  let token = null;
  const environment = h('span', { class: 'env-chip', testid: 'cell-environment' });
  const name = h('a', { class: 'token-name', testid: 'cell-name' });
  const hint = h('span', { class: 'mono hint', testid: 'cell-hint' });
  // The environment's chip is before the name. The second line starts with the hint's last
  // characters (the chip says what its prefix would: the whole hint is in its title and
  // `data-hint`), then the description: one line, ending in an ellipsis, the whole of it in the
  // title (and on the token's page).
  const descriptionText = h('span', { class: 'token-description', testid: 'cell-description' });
  const created = dateCell('cell-created');
  const expiry = dateCell('cell-expiry');
  // The status badge, and under it what the status leaves to know: when a rolling token's grace
  // ends, or that an active one expires within 7 days.
  const badgeSlot = h('span', { class: 'status-badge-slot' });
  const graceTime = h('time', { testid: 'cell-grace' });
  const grace = h('span', { class: 'status-note' }, graceTime);
  const expiring = h('span', { class: 'tag tag-warning status-note', testid: 'cell-expiring' }, icon('clock', { size: 11 }), t('list.expiring'));
  const statusColumn = h('div', { class: 'cell-status-col' }, badgeSlot);
  const status = h('td', { testid: 'cell-status' }, statusColumn);
  const flags = flagStack();
  const count = h('span', { class: 'count', testid: 'cell-numbers-count' });
  const lastUsed = dateCell('cell-last-used');
  const view = h('button', {
    type: 'button',
    class: 'btn btn-sm',
    testid: 'view-composition',
    onClick: () => withModule(compositionModal, (m) => m.openCompositionModal(token.id, { onChanged: reload })),
  }, t('list.view'));
  const manage = h('button', {
    type: 'button',
    class: 'btn btn-sm',
    testid: 'manage-numbers',
    onClick: () => withModule(numbersModal, (m) => m.openNumbersModal(token.id, { onChanged: reload })),
  }, t('list.manage'));
  const more = h('button', {
    type: 'button',
    class: 'btn-icon btn-icon-row',
    testid: 'row-actions',
    title: t('list.moreActions'),
    'aria-haspopup': 'menu',
    'aria-expanded': 'false',
    onClick: () => withModule(actionMenu, (m) => m.openActionMenu(more, menuItems(), { label: t('list.moreActionsOf', { name: token.name }) })),
  }, icon('more'));
  const revoke = h('button', {
    type: 'button',
    class: 'btn-icon btn-icon-row btn-icon-danger',
    testid: 'revoke-token',
    title: t('list.revoke'),
    onClick: () => withModule(revokeModal, (m) => m.openRevokeModal(token, { onRevoked: reload })),
  }, icon('trash'));
  const numbers = h('div', { class: 'cell-inline' }, count, manage);
  const actionButtons = h('div', { class: 'row-actions' }, more, revoke);
  const actions = h('td', { class: 'col-actions' }, actionButtons);
  const element = h('tr', { testid: 'token-row' },
    h('td', {}, h('div', { class: 'cell-name-col' },
      h('div', { class: 'cell-line' }, environment, name),
      h('div', { class: 'cell-line cell-second-line' }, hint, descriptionText))),
    created.cell,
    expiry.cell,
    status,
    h('td', {}, h('div', { class: 'cell-inline' }, flags.element, view)),
    h('td', {}, numbers),
    lastUsed.cell,
    actions);
  let shownStatus = null;
  let shownCountries = null;
  let shownEnvironment = null;

  /** What the row's menu offers for the token as it is now. */
  function menuItems() {
    const shown = token;
    const items = [];
    if (shown.status === 'ROLLING') {
      items.push({ label: t('list.endGrace'), testid: 'row-end-grace', icon: 'power', danger: true,
        onSelect: () => withModule(endGraceModal, (m) => m.openEndGraceModal(shown, { onEnded: reload })) });
    } else if (shown.status !== 'REVOKED' && !shown.rolled_to) {
      items.push({ label: t('list.roll'), testid: 'row-roll', icon: 'roll',
        onSelect: () => withModule(rollDialog, (m) => m.openRollDialog(shown, { onRolled: (rolled) => showToken(rolled.token.id) })) });
    }
    items.push({ label: t('list.duplicate'), testid: 'row-duplicate', icon: 'copy',
      onSelect: () => navigate(`#/duplicate/${encodeURIComponent(shown.id)}`) });
    items.push({ label: t('list.details'), testid: 'row-details', icon: 'info',
      onSelect: () => navigate(`#/token/${encodeURIComponent(shown.id)}`) });
    return items;
  }

  function update(next) {
    token = next;
    const revoked = token.status === 'REVOKED';
    // A rolled or rolling token is changed through its successor (the core refuses with
    // token_rolled): its row offers no edit.
    const editable = !revoked && !token.rolled_to;
    element.dataset.tokenId = token.id;
    element.dataset.environment = token.environment;
    element.classList.toggle('row-revoked', revoked);
    element.classList.toggle('row-rolled', token.status === 'ROLLED');
    // The token just created (listQuery.js showNewToken) is marked until the list is left.
    if (token.id === place.newToken) element.dataset.new = 'true';
    else delete element.dataset.new;
    if (token.environment !== shownEnvironment) {
      shownEnvironment = token.environment;
      const sandbox = token.environment === 'sandbox';
      environment.className = `env-chip env-${sandbox ? 'sandbox' : 'live'}`;
      environment.dataset.environment = token.environment;
      environment.title = t(sandbox ? 'environment.sandboxTitle' : 'environment.liveTitle');
      setText(environment, t(sandbox ? 'environment.sandbox' : 'environment.live'));
    }
    name.href = `#/token/${encodeURIComponent(token.id)}`;
    setText(name, token.name);
    name.title = token.name;
    setText(hint, `…${token.hint.split('…').pop()}`);
    hint.title = token.hint;
    hint.dataset.hint = token.hint;
    created.set(token.created_at, 'date.never');
    expiry.set(token.expires_at, 'list.noExpiry');
    expiry.cell.classList.toggle('cell-warning', !token.expires_at || token.expiring);
    if (token.status !== shownStatus) {
      shownStatus = token.status;
      badgeSlot.replaceChildren(statusBadge(token.status));
    }
    if (token.status === 'ROLLING' && token.grace_ends_at) {
      graceTime.dateTime = token.grace_ends_at;
      graceTime.dataset.iso = token.grace_ends_at;
      graceTime.title = t('list.graceEndsAt', { date: formatDateTime(token.grace_ends_at) });
      setText(graceTime, t('list.graceEnds', { when: formatRelative(token.grace_ends_at, Date.now(), { style: 'short' }) }));
    }
    present(statusColumn, grace, token.status === 'ROLLING' && Boolean(token.grace_ends_at));
    if (token.expiring) expiring.title = t('list.expiringTitle', { date: formatDateTime(token.expires_at) });
    present(statusColumn, expiring, token.expiring);
    const countries = token.countries.join(',');
    if (countries !== shownCountries) {
      shownCountries = countries;
      flags.set(token.countries);
    }
    view.setAttribute('aria-label', t('list.viewCompositionOf', { name: token.name }));
    setText(count, formatNumber(token.number_count));
    count.title = t('list.numbersTitle', { count: token.number_count, enabled: token.enabled_number_count });
    manage.setAttribute('aria-label', t('list.manageNumbersOf', { name: token.name }));
    more.setAttribute('aria-label', t('list.moreActionsOf', { name: token.name }));
    revoke.setAttribute('aria-label', t('list.revokeNamed', { name: token.name }));
    present(numbers, manage, editable);
    // Revoking stays offered while a rolled token still works (its grace); once rolled for good, or
    // revoked, there is nothing left to stop.
    present(actionButtons, revoke, !revoked && token.status !== 'ROLLED');
    lastUsed.set(token.last_used_at, 'date.never');
    setText(descriptionText, token.description || '');
    if (token.description) descriptionText.title = token.description;
    else descriptionText.removeAttribute('title');
  }

  return { element, update };
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function present(parent, child, shown) {
  if (shown && child.parentNode !== parent) parent.append(child);
  else if (!shown && child.parentNode === parent) child.remove();
}

/** A date cell: `data-iso` on the cell, the relative date inside, the exact one on hover. */
function dateCell(testid) {
  const cell = h('td', { testid, class: 'cell-date' });
  const time = h('time');
  const empty = h('span', { class: 'muted', 'data-iso': '' });
  return {
    cell,
    set(iso, emptyKey) {
      cell.dataset.iso = iso || '';
      if (iso) {
        time.dateTime = iso;
        time.dataset.iso = iso;
        time.title = formatDateTime(iso);
        setText(time, formatRelative(iso));
        if (time.parentNode !== cell) cell.replaceChildren(time);
      } else {
        setText(empty, t(emptyKey));
        if (empty.parentNode !== cell) cell.replaceChildren(empty);
      }
    },
  };
}

// Countries shown in a row's Composition cell, each as its flag and its code; "+N" for the rest.
const SHOWN_COUNTRIES = 2;

/**
 * Up to two countries as flag and code ("CI", "ML": adjacent flags alone read as one), "+N" for
 * the rest, and every country's name for hover and screen readers. The nodes stay from page to page
 * and only change what they show: a node put into the table is styled from scratch, and a page step
 * would otherwise make a hundred-odd new flags.
 */
function flagStack() {
  const element = h('span', { class: 'flag-stack' });
  const more = h('span', { class: 'flag-more' });
  const names = h('span', { class: 'visually-hidden' });
  element.append(names);
  const items = []; // One per country shown, first in the stack, then "+N" when shown, then the names.
  return {
    element,
    set(countries) {
      const text = countries.map(countryName).join(', ');
      element.title = text;
      setText(names, text);
      const extra = countries.length - SHOWN_COUNTRIES;
      setText(more, `+${extra}`);
      if (extra > 0 && more.parentNode !== element) names.before(more);
      else if (extra <= 0) more.remove();
      const shown = countries.slice(0, SHOWN_COUNTRIES);
      shown.forEach((iso, index) => {
        if (!items[index]) {
          items[index] = flagItem();
          (more.parentNode === element ? more : names).before(items[index].element);
        }
        items[index].set(iso);
      });
      for (const item of items.splice(shown.length)) item.element.remove();
    },
  };
}

/** One country of a row's Composition cell: its flag, then its code. */
function flagItem() {
  // The names are read from the stack's hidden text; the code is for the eye.
  const code = h('span', { class: 'flag-code', 'aria-hidden': 'true' });
  const element = h('span', { class: 'flag-item' }, code);
  let picture = null;
  return {
    element,
    set(iso) {
      const src = flagSource(iso);
      if (picture && src && picture.tagName === 'IMG') {
        if (picture.getAttribute('src') !== src) picture.setAttribute('src', src);
      } else {
        const next = flag(iso);
        if (picture) picture.replaceWith(next);
        else element.prepend(next);
        picture = next;
      }
      setText(code, iso);
    },
  };
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
