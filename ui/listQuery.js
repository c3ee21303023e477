// The page of the token list on screen: its filter, search, sort and place, kept across
// navigation so coming back from a token shows the same page, scrolled where it was. main.js asks
// for this page at the start, and the list view asks for it on every load, so the two requests are
// the same query.
export const PAGE_SIZE = 50;

// `page` is which page to read (keyset paging: `first`, `last`, or `after` / `before` the id of a
// token shown); `position` is the index of its first row in the whole list, which the list keeps
// as it pages (the core reads a page from its neighbour's row, not from an offset).
// `environment` is 'live', 'sandbox' or null for both.
export const query = { status: 'current', environment: null, search: '', sort: 'created_at', descending: true, page: { kind: 'first' }, position: 0 };

/** Back to the first page (a new filter, search or sort). */
export function toFirstPage() {
  query.page = { kind: 'first' };
  query.position = 0;
}

/** The list_tokens query of the page the list shows. */
export function pageQuery() {
  return {
    status: query.status,
    environment: query.environment,
    search: query.search.trim() || null,
    sort: query.sort,
    descending: query.descending,
    page: query.page,
    limit: PAGE_SIZE,
  };
}

/**
 * Where the list was scrolled when the merchant left it (`top`, in px), and the page that was
 * (`key`, from `pageKey`): the list opens there again when it shows the same page.
 */
export const place = { key: '', top: 0, newToken: null };

/**
 * After a create: the list opens on its first page in its default order (newest first), with no
 * search and filters that show active tokens of both environments, so the new token (`id`) is its
 * first row, marked. A search or filter left from before would hide it.
 */
export function showNewToken(id) {
  query.search = '';
  query.environment = null;
  if (query.status !== 'current' && query.status !== 'active' && query.status !== 'all') query.status = 'current';
  query.sort = 'created_at';
  query.descending = true;
  toFirstPage();
  place.key = '';
  place.newToken = id;
}

/** Names the page a query asks for, to tell whether a kept scroll position belongs to it. */
export const pageKey = (asked) => JSON.stringify(asked);
